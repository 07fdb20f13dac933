package io.javaoverlay.cli.cni;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

import io.javaoverlay.cni.wire.JsonTree;
import io.javaoverlay.core.config.SubnetEnv;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.testkit.ExecResult;
import io.javaoverlay.testkit.TestNamespace;
import io.javaoverlay.testkit.TestNetwork;

/**
 * A host namespace where the CNI plugin runs as a runtime would run it: the real
 * {@code bin/javaoverlay} executable, environment variables and config on stdin, from inside the
 * host namespace. Holds the host's subnet.env (written here, as the agent would), its IPAM
 * directory and the name of its bridge.
 */
final class CniHost {

    static final String BRIDGE = "jo0";
    static final int MTU = 1400;

    final TestNetwork net;
    final TestNamespace ns;
    final Path dir;
    final Path subnetFile;
    final Path dataDir;
    final Ip4Net network;
    final Ip4Net lease;
    private int pods;

    private CniHost(TestNetwork net, TestNamespace ns, Path dir, Ip4Net network, Ip4Net lease) {
        this.net = net;
        this.ns = ns;
        this.dir = dir;
        this.subnetFile = dir.resolve("run/flannel/subnet.env");
        this.dataDir = dir.resolve("ipam");
        this.network = network;
        this.lease = lease;
    }

    /** A new host namespace; {@code agentMasq} is what subnet.env says about FLANNEL_IPMASQ. */
    static CniHost create(TestNetwork net, String name, boolean agentMasq) {
        TestNamespace ns = net.createNamespace(name);
        ThreadLocalRandom r = ThreadLocalRandom.current();
        Ip4Net network = new Ip4Net(Ip4.of(10, r.nextInt(100, 200), 0, 0), 16);
        Ip4Net lease = network.subnet(24, r.nextInt(1, 255));
        Path dir = net.workDir().resolve(name);
        CniHost host = new CniHost(net, ns, dir, network, lease);
        try {
            SubnetEnv.of(network, lease, MTU, agentMasq).write(host.subnetFile);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return host;
    }

    Ip4 gateway() {
        return lease.firstHost();
    }

    /** A new, empty container namespace. */
    TestNamespace pod() {
        return net.createNamespace(ns.name().substring(net.prefix().length() + 1) + "p" + (++pods));
    }

    static Path executable() {
        String home = System.getProperty("javaoverlay.home", Path.of("").toAbsolutePath().getParent().toString());
        return Path.of(home, "bin", "javaoverlay");
    }

    /** Our entry in a conflist's {@code plugins} for this host. */
    Map<String, Object> plugin() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("type", "javaoverlay");
        c.put("subnetFile", subnetFile.toString());
        c.put("dataDir", dataDir.toString());
        c.put("bridge", BRIDGE);
        return c;
    }

    /** The plugin config for this host as a runtime passes it, with {@code extra} keys added or replaced. */
    String conf(String version, Map<String, Object> extra) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("cniVersion", version);
        c.put("name", "podnet");
        c.putAll(plugin());
        c.putAll(extra);
        return new String(JsonTree.format(c), StandardCharsets.UTF_8);
    }

    String conf(String version) {
        return conf(version, Map.of());
    }

    /** What one plugin run printed and returned. */
    record Run(int exit, String stdout, String stderr) {
        @Override
        public String toString() {
            return "exit " + exit + ", stdout: " + stdout + ", stderr: " + stderr;
        }
    }

    /** Runs the plugin in the host namespace with exactly these CNI variables and stdin. */
    Run run(Map<String, String> cniEnv, String stdin) {
        return run(executable().toString(), cniEnv, stdin);
    }

    Run run(String program, Map<String, String> cniEnv, String stdin) {
        ExecResult r = ns.exec(List.of(program), cniEnv, stdin, Duration.ofSeconds(60));
        return new Run(r.exitCode(), r.stdout(), r.stderr());
    }

    /** The environment a runtime sets for an attachment command. */
    static Map<String, String> env(String command, String containerId, TestNamespace pod, String ifName) {
        Map<String, String> env = new HashMap<>();
        env.put("CNI_COMMAND", command);
        env.put("CNI_CONTAINERID", containerId);
        env.put("CNI_NETNS", pod == null ? "" : pod.netnsPath().toString());
        env.put("CNI_IFNAME", ifName);
        env.put("CNI_PATH", "/usr/lib/cni");
        return env;
    }

    Run invoke(String command, String containerId, TestNamespace pod, String stdin) {
        return run(env(command, containerId, pod, "eth0"), stdin);
    }

    /** ADD of {@code pod} as {@code containerId} with this host's config in spec {@code version}, asserted to succeed. */
    Run addOk(String containerId, TestNamespace pod, String version) {
        Run add = invoke("ADD", containerId, pod, conf(version));
        assertThat(add.exit()).as("%s", add).isZero();
        return add;
    }

    /** Address files in the IPAM directory (one per reserved address). */
    List<String> reservations() {
        if (!Files.isDirectory(dataDir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dataDir)) {
            List<String> out = new ArrayList<>();
            files.map(p -> p.getFileName().toString()).filter(n -> Character.isDigit(n.charAt(0))).sorted().forEach(out::add);
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Names of the links in the host namespace other than lo. */
    List<String> hostLinks() {
        List<String> out = new ArrayList<>();
        ns.ipJson("link", "show").forEach(l -> {
            if (!l.get("ifname").asText().equals("lo")) {
                out.add(l.get("ifname").asText());
            }
        });
        return out;
    }

    /** Names of the links in a pod namespace other than lo. */
    static List<String> links(TestNamespace pod) {
        List<String> out = new ArrayList<>();
        pod.ipJson("link", "show").forEach(l -> {
            if (!l.get("ifname").asText().equals("lo")) {
                out.add(l.get("ifname").asText());
            }
        });
        return out;
    }
}
