package io.javaoverlay.cni;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

import io.javaoverlay.cni.model.Attachment;
import io.javaoverlay.cni.model.Dns;
import io.javaoverlay.cni.model.NetConf;
import io.javaoverlay.cni.model.Result;
import io.javaoverlay.cni.testing.CniJson;
import io.javaoverlay.cni.wire.JsonTree;
import io.javaoverlay.cni.wire.ResultCodec;
import io.javaoverlay.core.host.HostAttachment;
import io.javaoverlay.core.host.FakeBridgeFirewall;
import io.javaoverlay.core.host.FakeHostAttachment;
import io.javaoverlay.core.ipam.DiskStore;
import io.javaoverlay.core.ipam.Reservations;
import io.javaoverlay.core.net.Ip6Net;

/**
 * A test class of the plugin's logic over the in-memory host side: each test has a fresh
 * directory with the subnet.env its class writes ({@link #writeSubnetEnv}), the IPAM store, and
 * one pod namespace file; the plugin works on the fake datapath and firewall.
 */
abstract class FakeHostPluginTest {

    @TempDir
    Path dir;

    final FakeHostAttachment datapath = new FakeHostAttachment();
    final FakeBridgeFirewall firewall = new FakeBridgeFirewall();
    final OverlayPlugin plugin = new OverlayPlugin(datapath, firewall);
    Path subnetFile;
    Path netns;

    /** The host's subnet.env, as the agent (or flanneld) would have written it. */
    abstract void writeSubnetEnv(Path file) throws Exception;

    @BeforeEach
    final void createSubnetEnvAndPodNamespace() throws Exception {
        subnetFile = dir.resolve("subnet.env");
        writeSubnetEnv(subnetFile);
        netns = Files.createFile(dir.resolve("netns-pod1"));
    }

    /** A second pod's namespace file, {@code netns-pod2}; made once per test. */
    Path netns2() {
        try {
            return Files.createFile(dir.resolve("netns-pod2"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The network "podnet" of type javaoverlay on bridge cni0, with this test's subnet.env and IPAM directory. */
    NetConf netConf(CniVersion version, Optional<Boolean> ipMasq, boolean defaultGateway, Optional<Result> prev,
            Optional<List<Attachment>> valid) {
        return new NetConf(version, "podnet", "javaoverlay", subnetFile, dir.resolve("ipam"), "cni0",
                OptionalInt.empty(), ipMasq, true, defaultGateway, Dns.EMPTY, prev, List.of(), valid);
    }

    static CniEnv env(CniCommand command, String containerId, Path ns) {
        return new CniEnv(command, containerId, ns == null ? "" : ns.toString(), "eth0", Map.of(), "");
    }

    Reservations reservations() {
        return new Reservations(DiskStore.open(dir.resolve("ipam")));
    }

    static BigInteger ip6(String text) {
        return Ip6Net.parseAddress(text);
    }

    /**
     * Pod c1's ADD result with {@code conf} as each spec version writes it (oldest first), checked
     * against that version's schema and parsed.
     */
    Map<CniVersion, Map<String, Object>> addC1InEveryVersion(NetConf conf) {
        Result r = plugin.add(env(CniCommand.ADD, "c1", netns), conf);
        Map<CniVersion, Map<String, Object>> encoded = new EnumMap<>(CniVersion.class);
        for (CniVersion v : CniVersion.values()) {
            String json = new String(JsonTree.format(ResultCodec.encode(r, v)), StandardCharsets.UTF_8);
            encoded.put(v, CniJson.assertAddResult(json, v.text()));
        }
        return encoded;
    }

    /** A list of objects of a parsed result ({@code ips}, {@code routes}). */
    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> objects(Map<String, Object> parsed, String key) {
        return (List<Map<String, Object>>) parsed.get(key);
    }

    /**
     * DEL of pod {@code container} once its namespace is gone (containerd sends an empty CNI_NETNS)
     * and so is the agent (no subnet.env): it must still free what the pod held.
     */
    void delWithNeitherNamespaceNorAgent(String container, NetConf conf) throws IOException {
        Files.delete(subnetFile);
        plugin.del(env(CniCommand.DEL, container, null), conf);
    }

    /**
     * Pod c1's IPv6 masquerade rules dropped by hand: CHECK fails and names them; the next ADD
     * (pod c2, with {@code masq}) puts them back and CHECK passes again.
     */
    void assertCheckFindsTheIpv6MasqueradeMissingUntilTheNextAdd(NetConf masq, NetConf withPrev) {
        firewall.dropMasquerade6("podnet"); // ip6tables -t nat -F by hand
        assertThatThrownBy(() -> plugin.check(env(CniCommand.CHECK, "c1", netns), withPrev))
                .isInstanceOfSatisfying(CniException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.CHECK_FAILED);
                    assertThat(e.details()).isEqualTo("the IPv6 masquerade rules (ip6tables) for fc00:5:0:34::/64 are missing (ipMasq is on)");
                });
        plugin.add(env(CniCommand.ADD, "c2", netns2()), masq);
        plugin.check(env(CniCommand.CHECK, "c1", netns), withPrev);
    }

    /** Configuring the pod fails in the kernel: ADD of pod c1 with {@code conf} fails with KERNEL_FAILURE. */
    void assertAddOfC1FailsConfiguringThePod(NetConf conf) {
        datapath.failConfigure = true;
        assertThatThrownBy(() -> plugin.add(env(CniCommand.ADD, "c1", netns), conf))
                .isInstanceOfSatisfying(CniException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.KERNEL_FAILURE));
    }

    /** The pod's IPv6 default route deleted by hand: CHECK of pod c1 fails and names it. */
    void assertCheckFindsTheIpv6DefaultRouteMissing(NetConf withPrev) {
        datapath.configurePod6(netns, "eth0", datapath.inspectPod6(netns, "eth0").orElseThrow().addresses().get(0),
                List.of(new HostAttachment.PodRoute6(Ip6Net.parse("fc00:5::/48"), ip6("fc00:5:0:34::1"))));
        assertThatThrownBy(() -> plugin.check(env(CniCommand.CHECK, "c1", netns), withPrev))
                .isInstanceOfSatisfying(CniException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.CHECK_FAILED);
                    assertThat(e.details()).isEqualTo("route to ::/0 via fc00:5:0:34::1 is missing in " + netns);
                });
    }
}
