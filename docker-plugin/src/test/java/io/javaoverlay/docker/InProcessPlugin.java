package io.javaoverlay.docker;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

import io.javaoverlay.core.host.FakeBridgeFirewall;
import io.javaoverlay.core.host.FakeHostAttachment;
import io.javaoverlay.core.config.SubnetEnv;
import io.javaoverlay.core.metrics.OverlayMetrics;
import io.javaoverlay.core.net.Ip4Net;

/**
 * The plugin running in the test JVM on a socket in a temporary directory, with a fake host
 * (no namespaces, no iptables): for protocol tests that need no privileges.
 */
final class InProcessPlugin implements AutoCloseable {

    static final String OVERLAY = "10.5.0.0/16";
    static final String LEASE = "10.5.72.0/24";
    static final String GATEWAY = "10.5.72.1/24";
    static final int MTU = 1450;
    static final String BRIDGE = "jotest0";

    final Path dir;
    final DockerPlugin.Settings settings;
    final FakeHostAttachment host = new FakeHostAttachment();
    final FakeBridgeFirewall firewall = new FakeBridgeFirewall();
    final FakePublishedPorts dnat = new FakePublishedPorts();
    final FakeHostPorts ports = new FakeHostPorts();
    /** What the plugin counts: this test's own. */
    final OverlayMetrics metrics = new OverlayMetrics();
    DockerPlugin plugin;
    PluginClient client;

    /** How long calls wait for a missing lease here: short, so that tests of a missing lease stay quick. */
    static final Duration LEASE_WAIT = Duration.ofSeconds(2);

    InProcessPlugin(Path dir) {
        this(dir, LEASE_WAIT);
    }

    InProcessPlugin(Path dir, Duration leaseWait) {
        this.dir = dir;
        this.settings = new DockerPlugin.Settings(dir.resolve("run/javaoverlay.sock"), dir.resolve("docker"),
                dir.resolve("ipam"), dir.resolve("subnet.env"), BRIDGE, leaseWait);
    }

    static InProcessPlugin start(Path dir) {
        InProcessPlugin p = new InProcessPlugin(dir);
        p.writeLease(LEASE, GATEWAY);
        p.startPlugin();
        return p;
    }

    void writeLease(String lease, String gateway) {
        try {
            SubnetEnv.of(Ip4Net.parse(OVERLAY), Ip4Net.parse(lease), MTU, false).write(settings.subnetFile());
            if (!gateway.equals(Ip4Net.parse(lease).firstHost() + "/" + Ip4Net.parse(lease).prefixLength())) {
                throw new IllegalArgumentException("the agent's gateway is always the lease's first address");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void startPlugin() {
        try {
            plugin = DockerPlugin.start(settings, host, firewall, dnat, ports, () -> { }, metrics);
            client = new PluginClient(plugin.socket());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void restart() {
        plugin.close();
        startPlugin();
    }

    @Override
    public void close() {
        if (plugin != null) {
            plugin.close();
        }
    }

    /** A Docker-like 64-hex ID derived from a seed. */
    static String id(String seed) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(seed.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    /** A JSON object from alternating keys and values. */
    static Map<String, Object> obj(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    // --- what dockerd sends, step by step ---

    String requestPool() {
        return client.call("IpamDriver.RequestPool", obj("AddressSpace", "JavaOverlayLocal", "Pool", "", "SubPool", "",
                "Options", Map.of(), "V6", false)).get("PoolID").asText();
    }

    void createNetwork(String networkId, Map<String, Object> options) {
        var reply = client.call("NetworkDriver.CreateNetwork", obj("NetworkID", networkId, "Options", options,
                "IPv4Data", java.util.List.of(obj("AddressSpace", "JavaOverlayLocal", "Pool", LEASE, "Gateway", GATEWAY)),
                "IPv6Data", java.util.List.of()));
        if (reply.has("Err")) {
            throw new AssertionError("CreateNetwork failed: " + reply);
        }
    }

    String requestAddress(String poolId, String preferred, String mac) {
        var reply = client.call("IpamDriver.RequestAddress", obj("PoolID", poolId, "Address", preferred,
                "Options", Map.of("com.docker.network.endpoint.macaddress", mac)));
        if (reply.has("Error")) {
            throw new AssertionError("RequestAddress failed: " + reply);
        }
        return reply.get("Address").asText();
    }

    boolean stateFileExists(String kind, String id) {
        return Files.exists(settings.dataDir().resolve(kind).resolve(id + ".json"));
    }
}
