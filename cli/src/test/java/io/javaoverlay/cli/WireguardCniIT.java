package io.javaoverlay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.javaoverlay.cni.testing.CniJson;
import io.javaoverlay.cni.wire.JsonTree;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.testkit.ExecResult;
import io.javaoverlay.testkit.Requirements;
import io.javaoverlay.testkit.TestNamespace;

/**
 * CNI pods on the wireguard backend: three hosts with real agents (wireguard-go here), pods made
 * by the real CNI executable through each agent's socket, every pod reaching every pod on the
 * other hosts through {@code flannel-wg}, a TCP stream arriving intact, and DEL leaving nothing.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class WireguardCniIT {

    private static final boolean RUN_WIREGUARD_EXISTED = Files.exists(WireguardHosts.RUN_WIREGUARD);
    private static final String VERSION = "1.0.0";

    @RegisterExtension
    static final OverlayCluster cluster = WireguardHosts.configure(OverlayCluster.agentsOnly("{\"Type\":\"wireguard\"}", 3));

    @BeforeAll
    static void clientPresent() {
        Requirements.check().command("socat", "socat").orAbort();
    }

    @AfterAll
    static void removeMountPoint() throws IOException {
        WireguardHosts.removeMountPoint(RUN_WIREGUARD_EXISTED);
    }

    private static String conf(int host) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("cniVersion", VERSION);
        c.put("name", "wgnet");
        c.put("type", "javaoverlay");
        c.put("subnetFile", cluster.subnetFile(host).toString());
        c.put("dataDir", cluster.hostDir(host).resolve("ipam").toString());
        c.put("bridge", "cni0");
        return new String(JsonTree.format(c), StandardCharsets.UTF_8);
    }

    private static ExecResult cni(int host, String command, String id, TestNamespace pod) {
        Map<String, String> env = new HashMap<>();
        env.put("CNI_COMMAND", command);
        env.put("CNI_CONTAINERID", id);
        env.put("CNI_NETNS", pod.netnsPath().toString());
        env.put("CNI_IFNAME", "eth0");
        env.put("CNI_PATH", "/usr/lib/cni");
        env.put("JAVAOVERLAY_CNI_SOCKET", cluster.cniSocket(host).toString());
        return cluster.host(host).exec(List.of(OverlayCluster.launcher().toString()), env, conf(host), Duration.ofSeconds(60));
    }

    @SuppressWarnings("unchecked")
    private static Ip4 address(String stdout) {
        Map<String, Object> result = CniJson.assertAddResult(stdout, VERSION);
        return Ip4Net.parseHost((String) ((List<Map<String, Object>>) result.get("ips")).get(0).get("address")).ip();
    }

    @Test
    void podsOnThreeHostsReachEachOtherThroughWireguardAndDelLeavesNothing() throws Exception {
        Map<String, TestNamespace> pods = new LinkedHashMap<>();
        Map<String, Ip4> ips = new HashMap<>();
        Map<String, Integer> hostOf = new HashMap<>();
        for (int h = 1; h <= 3; h++) {
            for (int k = 1; k <= 2; k++) {
                String id = "wg-h" + h + "p" + k;
                TestNamespace pod = cluster.net.createNamespace(id);
                ExecResult add = cni(h, "ADD", id, pod);
                assertThat(add.exitCode()).as("ADD %s: %s", id, add.describe()).isZero();
                Ip4 ip = address(add.stdout());
                assertThat(cluster.subnet(h).contains(ip)).as("%s in host %d's subnet", ip, h).isTrue();
                assertThat(pod.ip("link", "show", "eth0")).as("the pod's MTU is FLANNEL_MTU").contains("mtu 1420");
                pods.put(id, pod);
                ips.put(id, ip);
                hostOf.put(id, h);
            }
        }
        assertThat(cluster.agent(1).log()).contains("CNI ADD wg-h1p1 ");

        List<CompletableFuture<String>> failures = new ArrayList<>();
        for (String from : pods.keySet()) {
            for (String to : pods.keySet()) {
                if (hostOf.get(from).equals(hostOf.get(to))) {
                    continue;
                }
                String what = from + " -> " + to + " (" + ips.get(to) + ")";
                failures.add(CompletableFuture.supplyAsync(() -> pods.get(from).ping(ips.get(to).toString(), 5) ? null : what));
            }
        }
        assertThat(failures.stream().map(CompletableFuture::join).filter(f -> f != null).toList())
                .as("pod pairs on different hosts that cannot ping each other").isEmpty();

        Ip4 target = ips.get("wg-h3p2");
        try (ServerSocketChannel server = NamespaceSockets.listen(pods.get("wg-h3p2"), target, 5021)) {
            String[] digests = NamespaceSockets.transfer(pods.get("wg-h1p1"), server, target, 5021, 4 << 20, Duration.ofSeconds(60));
            assertThat(digests[1]).as("SHA-256 of 4 MiB from a pod on host 1 to a pod on host 3").isEqualTo(digests[0]);
        }

        for (Map.Entry<String, TestNamespace> p : pods.entrySet()) {
            ExecResult del = cni(hostOf.get(p.getKey()), "DEL", p.getKey(), p.getValue());
            assertThat(del.exitCode()).as("DEL %s: %s", p.getKey(), del.describe()).isZero();
            assertThat(p.getValue().ip("link", "show")).as("eth0 gone from %s", p.getKey()).doesNotContain("eth0");
        }
        for (int h = 1; h <= 3; h++) {
            assertThat(cluster.host(h).ip("link", "show", "master", "cni0")).as("no veth left on host %d's bridge", h).isBlank();
        }
    }
}
