package io.javaoverlay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.channels.ServerSocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.testkit.Parallel;
import io.javaoverlay.testkit.Requirements;

/**
 * CNI pods on the wireguard backend: three hosts with real agents (wireguard-go here), pods made
 * by the real CNI executable through each agent's socket, every pod reaching every pod on the
 * other hosts through {@code flannel-wg}, a TCP stream arriving intact, and DEL leaving nothing.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class WireguardCniIT {

    @RegisterExtension
    static final OverlayCluster cluster = WireguardHosts.configure(OverlayCluster.agentsOnly("{\"Type\":\"wireguard\"}", 3));

    @BeforeAll
    static void clientPresent() {
        Requirements.check().command("socat", "socat").orAbort();
    }

    @Test
    void podsOnThreeHostsReachEachOtherThroughWireguardAndDelLeavesNothing() throws Exception {
        Map<String, OverlayCluster.Pod> pods = new LinkedHashMap<>();
        for (int h = 1; h <= 3; h++) {
            for (int k = 1; k <= 2; k++) {
                String id = "wg-h" + h + "p" + k;
                OverlayCluster.Pod pod = cluster.cniPod(h, id);
                assertThat(pod.ns().ip("link", "show", "eth0")).as("the pod's MTU is FLANNEL_MTU").contains("mtu 1420");
                pods.put(id, pod);
            }
        }
        assertThat(cluster.agent(1).log()).contains("CNI ADD wg-h1p1 ");

        List<Callable<String>> pings = new ArrayList<>();
        for (String from : pods.keySet()) {
            for (String to : pods.keySet()) {
                if (pods.get(from).host() == pods.get(to).host()) {
                    continue;
                }
                String what = from + " -> " + to + " (" + pods.get(to).ip() + ")";
                pings.add(() -> pods.get(from).ns().ping(pods.get(to).ip().toString(), 5) ? null : what);
            }
        }
        assertThat(Parallel.all(pings).stream().filter(f -> f != null).toList())
                .as("pod pairs on different hosts that cannot ping each other").isEmpty();

        Ip4 target = pods.get("wg-h3p2").ip();
        try (ServerSocketChannel server = NamespaceSockets.listen(pods.get("wg-h3p2").ns(), target, 5021)) {
            String[] digests = NamespaceSockets.transfer(pods.get("wg-h1p1").ns(), server, target, 5021, 4 << 20, Duration.ofSeconds(60));
            assertThat(digests[1]).as("SHA-256 of 4 MiB from a pod on host 1 to a pod on host 3").isEqualTo(digests[0]);
        }

        for (Map.Entry<String, OverlayCluster.Pod> p : pods.entrySet()) {
            int h = p.getValue().host();
            OverlayCluster.CniRun del = cluster.cni(h, cluster.cniSocket(h).toString(),
                    OverlayCluster.cniEnv("DEL", p.getKey(), p.getValue().ns()), cluster.cniConf(h));
            assertThat(del.exit()).as("DEL %s: %s", p.getKey(), del).isZero();
            assertThat(p.getValue().ns().ip("link", "show")).as("eth0 gone from %s", p.getKey()).doesNotContain("eth0");
        }
        for (int h = 1; h <= 3; h++) {
            assertThat(cluster.host(h).ip("link", "show", "master", "cni0")).as("no veth left on host %d's bridge", h).isBlank();
        }
    }
}
