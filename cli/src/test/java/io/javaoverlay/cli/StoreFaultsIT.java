package io.javaoverlay.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.testkit.Exec;
import io.javaoverlay.testkit.TestProcess;

/**
 * The store and the hosts disagree, as after a disaster an operator recovers from: etcd rebuilt
 * empty, etcd restored from a snapshot older than a host, a host cut off longer than its lease
 * while another takes its subnet. Containers on the hosts ping each other the whole time; the
 * agents run under a supervisor loop (as under systemd) and nobody restarts anything by hand.
 * Every case ends with every host on a subnet of its own and no key held twice.
 */
@Timeout(value = 600, unit = TimeUnit.SECONDS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StoreFaultsIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern PING_SUMMARY = Pattern.compile("(\\d+) packets transmitted, (\\d+) (?:packets )?received");
    private static final String CONFIG = "{\"Network\":\"" + OverlayCluster.NETWORK + "\",\"Backend\":{\"Type\":\"vxlan\"}}";

    /** 10 s leases renewed every 3 s: a host cut off for 15 s loses its lease, as one cut off for a day would with flannel's TTL. */
    @RegisterExtension
    static final OverlayCluster cluster = OverlayCluster.of("{\"Type\":\"vxlan\"}", 4, 3).withSubnetMax(199)
            .withAgentArgs("--subnet-lease-ttl", "10s", "--subnet-lease-renew-margin", "7s").supervised();

    /** Subnet key name -> PublicIP, from etcd. */
    static Map<String, String> keys() {
        Map<String, String> out = new HashMap<>();
        String[] lines = cluster.etcdctl("get", "--prefix", OverlayCluster.PREFIX + "/subnets/").split("\n");
        for (int i = 0; i + 1 < lines.length; i += 2) {
            String key = lines[i].substring(lines[i].lastIndexOf('/') + 1);
            try {
                out.put(key, JSON.readTree(lines[i + 1]).path("PublicIP").asText());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return out;
    }

    /** Every host on a subnet of its own, no key held twice: each running host's PublicIP holds exactly its subnet.env's key. */
    static void everyHostOnASubnetOfItsOwn(int... hosts) {
        Map<String, String> keys = keys();
        Set<String> subnets = new HashSet<>();
        for (int h : hosts) {
            String ip = cluster.host(h).underlayIp().toString();
            String own = cluster.subnet(h).toKey();
            assertThat(keys).as("host %d's key in etcd", h).containsEntry(own, ip);
            assertThat(keys.entrySet().stream().filter(e -> e.getValue().equals(ip)).count()).as("keys of host %d", h).isEqualTo(1);
            assertThat(subnets.add(own)).as("subnet %s held twice", own).isTrue();
        }
    }

    /** Pings between containers, 10 a second, until {@link #lost} stops them. */
    static List<TestProcess> pingAcross(int[][] pairs, String name) {
        List<TestProcess> pings = new ArrayList<>();
        for (int[] p : pairs) {
            pings.add(cluster.container(p[0], 1).start(name + "-" + p[0] + "-" + p[1], "ping", "-n", "-i", "0.1", "-w", "300",
                    cluster.containerIp(p[1], 1).toString()));
        }
        return pings;
    }

    /** Stops the pings; returns {sent, answered} over all of them. */
    static int[] lost(List<TestProcess> pings) throws InterruptedException {
        int sent = 0;
        int received = 0;
        for (TestProcess p : pings) {
            Exec.run("kill", "-INT", Long.toString(p.pid()));
            p.process().waitFor(10, TimeUnit.SECONDS);
            Matcher m = PING_SUMMARY.matcher(p.log());
            assertThat(m.find()).as("ping summary in:\n%s", p.log()).isTrue();
            sent += Integer.parseInt(m.group(1));
            received += Integer.parseInt(m.group(2));
        }
        return new int[] {sent, received};
    }

    static void assertFewLost(String what, int[] r) {
        System.out.printf("[StoreFaultsIT] %s: %d pings sent, %d answered (%.2f %% lost)%n", what, r[0], r[1],
                100.0 * (r[0] - r[1]) / Math.max(1, r[0]));
        assertThat(r[0] - r[1]).as("pings lost of %d (%s)", r[0], what).isLessThanOrEqualTo(Math.max(1, r[0] / 100));
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /** etcd stopped, its data removed, and started again from {@code snapshot} (etcdctl 3.4 restores one member's data directory). */
    static void restoreEtcd(Path snapshot) throws IOException {
        cluster.stopEtcd();
        deleteTree(cluster.etcdDataDir());
        cluster.net.underlay().execOk("etcdctl", "snapshot", "restore", snapshot.toString(), "--data-dir", cluster.etcdDataDir().toString(),
                "--name", "e2e", "--initial-cluster", "e2e=http://127.0.0.1:2380", "--initial-advertise-peer-urls", "http://127.0.0.1:2380");
        cluster.restartEtcd();
    }

    static long agentStarts(int host) {
        return cluster.agent(host).log().lines().filter(l -> l.contains("javaoverlay is ready")).count();
    }

    @Test
    @Order(1)
    void etcdRebuiltEmptyGetsEveryLeaseBackWithinSeconds() throws Exception {
        // a host that is gone for good: its lease is lost with the store and never comes back
        String ghost = "10.244.251.0/24";
        cluster.etcdctl("put", OverlayCluster.PREFIX + "/subnets/10.244.251.0-24", "{\"PublicIP\":\"" + cluster.net.underlaySubnet().address().plus(201)
                + "\",\"PublicIPv6\":null,\"BackendType\":\"vxlan\",\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"0e:00:00:00:fb:fb\"}}");
        await().atMost(Duration.ofSeconds(10)).until(() -> !cluster.host(1).ipJson("route", "show", ghost).isEmpty());
        Map<String, String> before = keys();
        before.remove("10.244.251.0-24");
        List<TestProcess> pings = pingAcross(new int[][] {{1, 2}, {2, 3}, {3, 1}}, "ping-wipe");
        Thread.sleep(1000);

        cluster.stopEtcd();
        deleteTree(cluster.etcdDataDir());
        cluster.restartEtcd();
        cluster.etcdctl("put", OverlayCluster.PREFIX + "/config", CONFIG);
        long start = System.nanoTime();
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).until(() -> keys().equals(before));
        long millis = (System.nanoTime() - start) / 1_000_000;
        System.out.printf("[StoreFaultsIT] etcd rebuilt empty: every lease back %d ms after the config%n", millis);
        Thread.sleep(2000);

        assertFewLost("through etcd rebuilt empty", lost(pings));
        everyHostOnASubnetOfItsOwn(1, 2, 3);
        // kept while the hosts put their leases back, then removed: the data path matches the store again
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500))
                .until(() -> cluster.host(1).ipJson("route", "show", ghost).isEmpty());
        assertThat(cluster.agent(1).log()).contains("peers did not come back to the store after its history changed; removing them");
        assertThat(JSON.readTree(cluster.agentHttp(2, "/status")).path("StoreEvents").toString())
                .as("what host 2's status says happened").contains("was gone from the store: put it back").contains("history changed");
        assertThat(cluster.host(2).execOk(OverlayCluster.launcher().toString(), "status", "--no-probe", "--healthz-port",
                Integer.toString(OverlayCluster.HEALTHZ_PORT), "--subnet-file", cluster.subnetFile(2).toString()))
                .contains("store events (what the agent did about the lease store lately):").contains("put it back");
        for (int h = 1; h <= 3; h++) {
            assertThat(agentStarts(h)).as("agent %d started once", h).isEqualTo(1);
            assertThat(cluster.agentHttp(h, "/metrics")).containsPattern("javaoverlay_lease_reasserted_total [1-9]");
        }
    }

    @Test
    @Order(2)
    void etcdRestoredFromASnapshotOlderThanAHostPutsThatHostBack() throws Exception {
        Path snapshot = cluster.net.workDir().resolve("before-h4.db");
        cluster.etcdctl("snapshot", "save", snapshot.toString());
        cluster.startAgent(4);
        cluster.addContainers(4);
        assertThat(cluster.container(4, 1).ping(cluster.containerIp(1, 1).toString(), 5)).isTrue();
        Map<String, String> before = keys();
        List<TestProcess> pings = pingAcross(new int[][] {{4, 1}, {2, 4}, {1, 3}}, "ping-restore");
        Thread.sleep(1000);

        restoreEtcd(snapshot);
        long start = System.nanoTime();
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).until(() -> keys().equals(before));
        System.out.printf("[StoreFaultsIT] etcd restored from before host 4 joined: host 4's lease back %d ms after etcd%n",
                (System.nanoTime() - start) / 1_000_000);
        Thread.sleep(2000);

        assertFewLost("through etcd restored from an older snapshot", lost(pings));
        everyHostOnASubnetOfItsOwn(1, 2, 3, 4);
        assertThat(cluster.agent(4).log()).contains("history changed under this agent");
        assertThat(agentStarts(4)).isEqualTo(1);
    }

    @Test
    @Order(3)
    void aHostCutOffLongerThanItsLeaseNeverTakesItsSubnetBackFromTheHostThatTookIt() throws Exception {
        Ip4Net old = cluster.subnet(2);
        String oldKey = OverlayCluster.PREFIX + "/subnets/" + old.toKey();
        String thief = "{\"PublicIP\":\"" + cluster.net.underlaySubnet().address().plus(77) + "\",\"PublicIPv6\":null,"
                + "\"BackendType\":\"vxlan\",\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"0e:00:00:00:77:77\"}}";
        List<TestProcess> pings = pingAcross(new int[][] {{1, 3}, {3, 4}}, "ping-partition");

        cluster.host(2).ip("link", "set", "eth0", "down");
        try {
            // its lease lapses in etcd, and another host takes the subnet
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> !keys().containsKey(old.toKey()));
            String lease = cluster.etcdctl("lease", "grant", "600").split(" ")[1];
            cluster.etcdctl("put", "--lease=" + lease, oldKey, thief);
        } finally {
            cluster.host(2).ip("link", "set", "eth0", "up");
        }
        // host 2 finds its subnet taken, exits, is started again by its supervisor, and leases a free subnet
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                .until(() -> cluster.agent(2).log().contains("supervisor: agent exited") && agentStarts(2) == 2);
        assertThat(cluster.agent(2).log()).contains("lease " + old + " is held by another host now");
        assertThat(cluster.etcdctl("get", "--print-value-only", oldKey).strip()).as("the other host's lease, untouched").isEqualTo(thief);
        Ip4Net moved = cluster.subnet(2);
        assertThat(moved).isNotEqualTo(old);
        everyHostOnASubnetOfItsOwn(1, 2, 3, 4);
        // the others route to host 2's new subnet: its VTEP address answers through the overlay
        String vtep = moved.address().toString();
        await().atMost(Duration.ofSeconds(15)).until(() -> cluster.container(1, 1).ping(vtep, 1));
        assertThat(cluster.container(4, 1).ping(vtep, 3)).isTrue();
        assertFewLost("between hosts 1, 3 and 4 while host 2 was cut off and moved", lost(pings));
        cluster.etcdctl("del", oldKey);
    }

    @Test
    @Order(4)
    void etcdRestoredFromASnapshotTakenBeforeAHostMovedPutsEveryHostBackOnItsOwnSubnet() throws Exception {
        // the snapshot of test 2 holds host 2 on the subnet it has since given up, and no key of host 4
        Path snapshot = cluster.net.workDir().resolve("before-h4.db");
        Ip4Net h2 = cluster.subnet(2);
        Map<String, String> before = keys();
        List<TestProcess> pings = pingAcross(new int[][] {{1, 3}, {4, 1}}, "ping-restore-old");
        Thread.sleep(1000);

        restoreEtcd(snapshot);
        // host 2 puts its current lease back and deletes the old one the snapshot gave back; host 4 puts its own back
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(200)).until(() -> keys().equals(before));
        Thread.sleep(2000);

        assertFewLost("through etcd restored to before host 2 moved", lost(pings));
        everyHostOnASubnetOfItsOwn(1, 2, 3, 4);
        assertThat(cluster.subnet(2)).isEqualTo(h2);
        assertThat(cluster.agent(2).log()).containsPattern("deleted lease [0-9./]+: it has this host.s public IP");
    }
}
