package io.javaoverlay.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.testkit.TestHost;

/** Hostile leases against the vxlan backend, and the FDB entries two leases of one machine share. */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class VxlanHostileLeasesIT extends HostileLeasesContract {

    @RegisterExtension
    static final OverlayCluster cluster = OverlayCluster.of("{\"Type\":\"vxlan\"}", 2, 2);

    @Override
    OverlayCluster cluster() {
        return cluster;
    }

    @Override
    String leaseValue(Ip4 publicIp, String mac) {
        return "{\"PublicIP\":\"" + publicIp + "\",\"PublicIPv6\":null,\"BackendType\":\"vxlan\",\"BackendData\":{\"VNI\":1,\"VtepMAC\":\""
                + mac + "\"}}";
    }

    @Override
    Map<String, String[]> backendSpecific(Ip4 peerIp, String peerMac) {
        Ip4 stranger = cluster.net.underlaySubnet().address().plus(99);
        Map<String, String[]> m = new LinkedHashMap<>();
        m.put("10.244.246.0-24", new String[] {leaseValue(stranger, "ff:ff:ff:ff:ff:ff"), "bad-vtep-mac"});
        m.put("10.244.247.0-24", new String[] {leaseValue(stranger, "00:00:00:00:00:00"), "bad-vtep-mac"});
        m.put("10.244.248.0-24", new String[] {leaseValue(stranger, peerMac), "vtep-mac-in-use"});
        m.put("10.244.249.0-24", new String[] {leaseValue(stranger, mac(1)), "bad-vtep-mac"});
        m.put("10.244.250.0-24", new String[] {"{\"PublicIP\":\"" + stranger + "\",\"BackendType\":\"host-gw\"}", "backend-type"});
        return m;
    }

    private static String mac(int host) {
        try {
            return new ObjectMapper().readTree(cluster.etcdctl("get", "--print-value-only",
                    OverlayCluster.PREFIX + "/subnets/" + cluster.subnet(host).toKey())).path("BackendData").path("VtepMAC").asText();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static boolean hasFdb(TestHost h, String mac, Ip4 dst) {
        for (JsonNode f : h.bridgeJson("fdb", "show", "dev", "flannel.1")) {
            if (f.path("mac").asText().equals(mac) && f.path("dst").asText().equals(dst.toString())) {
                return true;
            }
        }
        return false;
    }

    private static boolean hasRoute(TestHost h, String dst) {
        return !h.ipJson("route", "show", dst).isEmpty();
    }

    @Test
    @Order(2)
    void whenOneOfTwoLeasesOfOneMachineGoesTheSurvivorKeepsItsFdbEntry() {
        TestHost h1 = cluster.host(1);
        Ip4 peerIp = cluster.host(2).underlayIp();
        String peerMac = mac(2);
        String key = OverlayCluster.PREFIX + "/subnets/10.244.233.0-24";
        cluster.etcdctl("put", key, leaseValue(peerIp, peerMac));
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).until(() -> hasRoute(h1, "10.244.233.0/24"));
        cluster.etcdctl("del", key);
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).until(() -> !hasRoute(h1, "10.244.233.0/24"));
        assertThat(hasFdb(h1, peerMac, peerIp)).as("host 2's FDB entry right after its twin lease went").isTrue();
        assertThat(cluster.container(1, 1).ping(cluster.containerIp(2, 1).toString(), 3)).isTrue();
    }

    @Test
    @Order(3)
    void aDeletedFdbEntryOrNeighbourIsRestoredByTheRecheck() {
        TestHost h1 = cluster.host(1);
        Ip4 peerIp = cluster.host(2).underlayIp();
        String peerMac = mac(2);
        h1.ip("neigh", "del", cluster.subnet(2).address().toString(), "dev", "flannel.1");
        h1.execOk("bridge", "fdb", "del", peerMac, "dev", "flannel.1", "dst", peerIp.toString());
        assertThat(hasFdb(h1, peerMac, peerIp)).isFalse();
        await().atMost(Duration.ofSeconds(12)).pollInterval(Duration.ofMillis(200)).until(() -> hasFdb(h1, peerMac, peerIp));
        assertThat(cluster.agent(1).log()).contains("disappeared; restoring it");
        assertThat(cluster.container(1, 1).ping(cluster.containerIp(2, 1).toString(), 5)).isTrue();
    }
}
