package io.javaoverlay.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.testkit.Exec;
import io.javaoverlay.testkit.TestHost;
import io.javaoverlay.testkit.TestProcess;

/**
 * The trust boundary between etcd and the kernel, tried as an attacker with write access to
 * etcd would (docs/security.md): hostile leases are put while containers on two hosts ping each
 * other, and host 1 must keep every route it did not make, keep its peer reachable, and count,
 * log and list every rejection. Then the keys go, and still nothing of the host's is gone.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
abstract class HostileLeasesContract extends ClusterContract<OverlayCluster> {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern PING_SUMMARY = Pattern.compile("(\\d+) packets transmitted, (\\d+) (?:packets )?received");

    /**
     * A lease value of this backend for a host at {@code publicIp} with VTEP MAC {@code mac} (ignored where there is none);
     * the subclass's cluster (its {@code @RegisterExtension}) is two or more hosts that run its backend.
     */
    String leaseValue(Ip4 publicIp, String mac) {
        return LeaseValues.of(cluster().backendType(), publicIp, mac);
    }

    /** The public IP of most hostile leases: an address on the underlay that no host has. */
    Ip4 stranger() {
        return cluster().net.underlaySubnet().address().plus(99);
    }

    /** The hostile leases only this backend has (key name -> value), with the reason each must be rejected for. */
    Map<String, String[]> backendSpecific(Ip4 peerIp, String peerMac) {
        return Map.of();
    }

    /** Well-formed leases of hosts that do not run (key name -> value), put before the hostile ones: what some of those collide with. */
    Map<String, String> validDecoys() {
        return Map.of();
    }

    /** The BackendData of host {@code host}'s lease, as etcd holds it. */
    static JsonNode backendData(OverlayCluster c, int host) {
        try {
            return JSON.readTree(c.etcdctl("get", "--print-value-only", OverlayCluster.PREFIX + "/subnets/" + c.subnet(host).toKey()))
                    .path("BackendData");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What host 1 has that no lease may take: every route not made by javaoverlay (its mark, its devices). */
    static TreeSet<String> hostRoutes(TestHost h) {
        TreeSet<String> out = new TreeSet<>();
        for (JsonNode r : h.ipJson("route", "show")) {
            String dev = r.path("dev").asText();
            if (r.path("protocol").asText().equals("74") || dev.startsWith("flannel")) {
                continue;
            }
            out.add(r.path("dst").asText() + " via " + r.path("gateway").asText("-") + " dev " + dev + " proto "
                    + r.path("protocol").asText("boot"));
        }
        return out;
    }

    @Test
    @Order(1)
    void hostileLeasesAreRejectedCountedAndListedWhileTheHostKeepsItsRoutesAndPeers() throws Exception {
        OverlayCluster c = cluster();
        TestHost h1 = c.host(1);
        Ip4Net underlay = c.net.underlaySubnet();
        Ip4 ownIp = h1.underlayIp();
        Ip4 peerIp = c.host(2).underlayIp();
        Ip4Net own = c.subnet(1);
        String peerMac = backendData(c, 2).path("VtepMAC").asText("0e:00:00:00:00:02");
        Ip4 stranger = stranger();
        // an operator's route inside the overlay's Network: a lease there must not take it over
        h1.ip("route", "add", "10.244.238.0/24", "via", c.net.underlayGateway().toString());
        TreeSet<String> routesBefore = hostRoutes(h1);
        assertThat(routesBefore).anyMatch(r -> r.startsWith("default via")).anyMatch(r -> r.startsWith(underlay + " "))
                .anyMatch(r -> r.startsWith("10.244.238.0/24 "));

        Map<String, String[]> hostile = new LinkedHashMap<>();
        hostile.put(underlay.toKey(), new String[] {leaseValue(peerIp, peerMac), "outside-network"});
        hostile.put(own.address().plus(5) + "-32", new String[] {leaseValue(peerIp, peerMac), "wrong-prefix-length"});
        hostile.put("128.0.0.0-1", new String[] {leaseValue(peerIp, peerMac), "wrong-prefix-length"});
        hostile.put("0.0.0.0-0", new String[] {leaseValue(peerIp, peerMac), "wrong-prefix-length"});
        hostile.put("10.244.251.0-25", new String[] {leaseValue(stranger, "0e:00:00:00:fb:01"), "wrong-prefix-length"});
        hostile.put("10.244.240.0-24", new String[] {leaseValue(Ip4.parse("0.0.0.0"), "0e:00:00:00:f0:01"), "bad-public-ip"});
        hostile.put("10.244.241.0-24", new String[] {leaseValue(Ip4.parse("127.0.0.1"), "0e:00:00:00:f1:01"), "bad-public-ip"});
        hostile.put("10.244.242.0-24", new String[] {leaseValue(ownIp, "0e:00:00:00:f2:01"), "own-public-ip"});
        hostile.put("10.244.243.0-24", new String[] {leaseValue(Ip4.parse("224.0.0.1"), "0e:00:00:00:f3:01"), "bad-public-ip"});
        hostile.put("10.244.244.0-24", new String[] {leaseValue(Ip4.parse("255.255.255.255"), "0e:00:00:00:f4:01"), "bad-public-ip"});
        hostile.put("10.244.245.0-24", new String[] {leaseValue(underlay.last(), "0e:00:00:00:f5:01"), "bad-public-ip"});
        hostile.put("10.244.238.0-24", new String[] {leaseValue(stranger, "0e:00:00:00:ee:01"), "overlaps-host-route"});
        hostile.putAll(backendSpecific(peerIp, peerMac));

        TestProcess ping = c.container(2, 1).start("ping-through-hostile-leases", "ping", "-n", "-i", "0.1", "-w", "120",
                c.containerIp(1, 1).toString());
        try {
            for (Map.Entry<String, String> e : validDecoys().entrySet()) {
                c.etcdctl("put", OverlayCluster.PREFIX + "/subnets/" + e.getKey(), e.getValue());
            }
            for (Map.Entry<String, String[]> e : hostile.entrySet()) {
                c.etcdctl("put", OverlayCluster.PREFIX + "/subnets/" + e.getKey(), e.getValue()[0]);
            }
            Map<String, Integer> expected = new TreeMap<>();
            hostile.values().forEach(v -> expected.merge(v[1], 1, Integer::sum));
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
                    .untilAsserted(() -> assertThat(rejectedCounts(c.agentHttp(1, "/metrics"))).isEqualTo(expected));

            JsonNode status = JSON.readTree(c.agentHttp(1, "/status"));
            Map<String, String> listed = new TreeMap<>();
            status.path("Rejected").forEach(r -> listed.put(r.path("Key").asText(), r.path("Reason").asText()));
            Map<String, String> wanted = new TreeMap<>();
            hostile.forEach((k, v) -> wanted.put(k, v[1]));
            assertThat(listed).as("/status Rejected").isEqualTo(wanted);
            for (String key : hostile.keySet()) {
                assertThat(c.agent(1).log()).contains("rejected the lease " + key + " ");
            }
            String table = h1.execOk(OverlayCluster.launcher().toString(), "status", "--no-probe", "--healthz-port", Integer.toString(OverlayCluster.HEALTHZ_PORT),
                    "--subnet-file", c.subnetFile(1).toString());
            assertThat(table).contains("rejected leases (not programmed; see docs/security.md): " + hostile.size())
                    .contains(underlay.toKey() + " at " + peerIp + ": outside-network");

            // a recheck later (every 5 s), nothing has moved either
            Thread.sleep(6000);
            assertThat(hostRoutes(h1)).as("routes of host 1 that javaoverlay did not make").isEqualTo(routesBefore);
            assertThat(c.container(1, 1).ping(c.containerIp(2, 2).toString(), 3)).isTrue();

            for (String key : hostile.keySet()) {
                c.etcdctl("del", OverlayCluster.PREFIX + "/subnets/" + key);
            }
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200))
                    .until(() -> JSON.readTree(c.agentHttp(1, "/status")).path("Rejected").isEmpty());
            assertThat(hostRoutes(h1)).as("routes of host 1 after the hostile keys went").isEqualTo(routesBefore);
        } finally {
            for (String key : validDecoys().keySet()) {
                c.etcdctl("del", OverlayCluster.PREFIX + "/subnets/" + key);
            }
            for (String key : hostile.keySet()) {
                c.etcdctl("del", OverlayCluster.PREFIX + "/subnets/" + key);
            }
            Exec.run("kill", "-INT", Long.toString(ping.pid()));
            ping.process().waitFor();
            h1.exec("ip", "route", "del", "10.244.238.0/24");
        }
        Matcher m = PING_SUMMARY.matcher(ping.log());
        assertThat(m.find()).as("ping summary in:\n%s", ping.log()).isTrue();
        int sent = Integer.parseInt(m.group(1));
        int received = Integer.parseInt(m.group(2));
        System.out.printf("[%s] pings across hosts while %d hostile leases came and went: %d sent, %d answered%n",
                getClass().getSimpleName(), hostile.size(), sent, received);
        assertThat(sent - received).as("pings lost of %d", sent).isLessThanOrEqualTo(Math.max(1, sent / 100));
        assertThat(c.container(1, 2).ping(c.containerIp(2, 1).toString(), 3)).isTrue();
    }

    /** {@code javaoverlay_leases_rejected_total} by reason, from a scrape. */
    static Map<String, Integer> rejectedCounts(String metrics) {
        Map<String, Integer> out = new TreeMap<>();
        Matcher m = Pattern.compile("(?m)^javaoverlay_leases_rejected_total\\{reason=\"([a-z-]+)\"} ([0-9.]+)$").matcher(metrics);
        while (m.find()) {
            out.put(m.group(1), (int) Double.parseDouble(m.group(2)));
        }
        return out;
    }
}
