package io.javaoverlay.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import com.fasterxml.jackson.databind.JsonNode;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.testkit.TestHost;

/** Hostile leases against the vxlan backend, and the FDB entries two leases of one machine share. */
class VxlanHostileLeasesIT extends HostileLeasesContract {

    @RegisterExtension
    static final OverlayCluster cluster = OverlayCluster.of("{\"Type\":\"vxlan\"}", 3, 2).withSubnetMax(199);

    @Override
    Map<String, String[]> backendSpecific(Ip4 peerIp, String peerMac) {
        Ip4 stranger = stranger();
        Map<String, String[]> m = new LinkedHashMap<>();
        m.put("10.244.246.0-24", new String[] {leaseValue(stranger, "ff:ff:ff:ff:ff:ff"), "bad-vtep-mac"});
        m.put("10.244.247.0-24", new String[] {leaseValue(stranger, "00:00:00:00:00:00"), "bad-vtep-mac"});
        // the decoy's MAC at another address (a lease with host 2's own MAC would make host 2 choose a new one: see below)
        m.put("10.244.248.0-24", new String[] {leaseValue(stranger, DECOY_MAC), "vtep-mac-in-use"});
        m.put("10.244.250.0-24", new String[] {"{\"PublicIP\":\"" + stranger + "\",\"BackendType\":\"host-gw\"}", "backend-type"});
        return m;
    }

    static final String DECOY_MAC = "0e:00:00:00:de:c0";

    /** A host that does not run, at .97 of the underlay: its lease is well formed and programmed. */
    @Override
    Map<String, String> validDecoys() {
        return Map.of("10.244.231.0-24", leaseValue(cluster.net.underlaySubnet().address().plus(97), DECOY_MAC));
    }

    private static String mac(int host) {
        return backendData(cluster, host).path("VtepMAC").asText();
    }

    private static boolean hasFdb(TestHost h, String mac, Ip4 dst) {
        for (JsonNode f : h.bridgeJson("fdb", "show", "dev", "flannel.1")) {
            if (f.path("mac").asText().equals(mac) && f.path("dst").asText().equals(dst.toString())) {
                return true;
            }
        }
        return false;
    }

    private static String deviceMac(TestHost h) {
        return h.ipJson("link", "show", "flannel.1").get(0).path("address").asText();
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
        // deleted (bridge exited 0): the kernel reports it and the agent may have put it back already
        h1.execOk("bridge", "fdb", "del", peerMac, "dev", "flannel.1", "dst", peerIp.toString());
        await().atMost(Duration.ofSeconds(12)).pollInterval(Duration.ofMillis(200)).until(() -> hasFdb(h1, peerMac, peerIp));
        assertThat(cluster.agent(1).log()).contains("disappeared; restoring it");
        assertThat(cluster.container(1, 1).ping(cluster.containerIp(2, 1).toString(), 5)).isTrue();
    }

    @Test
    @Order(4)
    void aLeaseWithThisHostsVtepMacMakesItChooseANewOneWhileTrafficGoesOn() throws Exception {
        TestHost h1 = cluster.host(1);
        String before = mac(1);
        Ip4 stranger = cluster.net.underlaySubnet().address().plus(98);
        String key = OverlayCluster.PREFIX + "/subnets/10.244.232.0-24";
        cluster.etcdctl("put", key, leaseValue(stranger, before));
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).until(() -> !mac(1).equals(before));
        String after = mac(1);
        assertThat(deviceMac(h1)).as("flannel.1's MAC is the one published").isEqualTo(after);
        assertThat(HostileLeasesContract.rejectedCounts(cluster.agentHttp(1, "/metrics"))).containsEntry("vtep-mac-collision", 1);
        assertThat(cluster.agentHttp(1, "/metrics")).contains("javaoverlay_vtep_mac_collisions_total 1.0");
        assertThat(cluster.agent(1).log()).contains("VTEP MAC " + before + " was published by another host too; changed it to " + after);
        // host 2 follows the change: its FDB points the new MAC at host 1
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                .until(() -> hasFdb(cluster.host(2), after, h1.underlayIp()));
        assertThat(cluster.container(2, 1).ping(cluster.containerIp(1, 1).toString(), 5)).isTrue();
        assertThat(cluster.container(1, 2).ping(cluster.containerIp(2, 2).toString(), 5)).isTrue();
        cluster.etcdctl("del", key);
    }

    @Test
    @Order(5)
    void aHostStartedFromACopyOfAnothersDataDirectoryChoosesAVtepMacOfItsOwn() throws Exception {
        Path from = cluster.hostDir(1).resolve("data");
        Path to = cluster.hostDir(3).resolve("data");
        Files.createDirectories(to);
        try (var files = Files.list(from)) {
            for (Path f : files.toList()) {
                Files.copy(f, to.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        cluster.startAgent(3);
        cluster.addContainers(3);
        assertThat(mac(3)).as("host 3's VTEP MAC").isNotEqualTo(mac(1));
        assertThat(cluster.agent(3).log()).contains("is published by another host (a copied data directory?); choosing a new one");
        assertThat(cluster.container(3, 1).ping(cluster.containerIp(1, 1).toString(), 5)).isTrue();
        assertThat(cluster.container(1, 1).ping(cluster.containerIp(3, 2).toString(), 5)).isTrue();
        assertThat(cluster.container(2, 1).ping(cluster.containerIp(3, 1).toString(), 5)).isTrue();
    }
}
