package io.javaoverlay.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.testkit.TestHost;

/**
 * {@code "EnableNFTables": true} on namespace hosts whose agents run with a PATH that holds no
 * iptables binary at all (a directory of links to everything on the machine's PATH but
 * {@code *tables*}), as on an nftables-only host: the agents start, program flannel's nftables
 * tables, carry traffic between containers and masquerade traffic to the outside; rules deleted by
 * hand come back at the next resync; and an agent started where flannel's iptables chains are
 * left from an iptables-mode run removes them.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NftablesDataPathIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path NO_IPTABLES = NoIptablesPath.create();

    @RegisterExtension
    static final OverlayCluster cluster = OverlayCluster.of("{\"Type\":\"vxlan\"}", 2, 2)
            .withConfig(",\"EnableNFTables\":true")
            .withAgentEnv(Map.of("PATH", NO_IPTABLES.toString()))
            .withAgentArgs("--iptables-resync", "1");

    @AfterAll
    static void removeLinks() throws IOException {
        NoIptablesPath.remove(NO_IPTABLES);
    }

    /** The rule texts of flannel's postrtg chain on host {@code n}, from {@code nft -j list ruleset}. */
    private static List<JsonNode> nftObjects(TestHost host) throws IOException {
        List<JsonNode> objects = new ArrayList<>();
        JSON.readTree(host.execOk("nft", "-j", "list", "ruleset")).path("nftables").forEach(objects::add);
        return objects;
    }

    private static List<String> tables(TestHost host) throws IOException {
        return nftObjects(host).stream().filter(o -> o.has("table"))
                .map(o -> o.get("table").path("family").asText() + " " + o.get("table").path("name").asText()).toList();
    }

    private static long rules(TestHost host, String chain) throws IOException {
        return nftObjects(host).stream().filter(o -> o.has("rule") && o.get("rule").path("table").asText().equals("flannel-ipv4")
                && o.get("rule").path("chain").asText().equals(chain)).count();
    }

    @Test
    @Order(1)
    void theAgentsRunWithoutAnyIptablesOnTheirPath() {
        assertThat(NO_IPTABLES.resolve("iptables")).doesNotExist();
        assertThat(NO_IPTABLES.resolve("nft")).exists();
        for (int h = 1; h <= 2; h++) {
            assertThat(cluster.host(h).exec(List.of("sh", "-c", "command -v iptables"), Map.of("PATH", NO_IPTABLES.toString()), null,
                    Duration.ofSeconds(10)).ok()).as("iptables is not found with the agents' PATH").isFalse();
            assertThat(cluster.agent(h).log()).contains("iptables is not installed: no iptables rules to remove")
                    .contains("nftables: ip-masq (ip flannel-ipv4 postrtg");
        }
    }

    @Test
    @Order(2)
    void eachHostHasFlannelsNftablesTablesAndNoIptablesChains() throws IOException {
        for (int h = 1; h <= 2; h++) {
            TestHost host = cluster.host(h);
            assertThat(tables(host)).contains("ip flannel-ipv4", "ip6 flannel-ipv6");
            String postrtg = host.execOk("nft", "list", "chain", "ip", "flannel-ipv4", "postrtg");
            String lease = cluster.subnet(h).toString();
            assertThat(postrtg).contains("type nat hook postrouting priority srcnat",
                    "ip saddr " + lease + " ip daddr " + OverlayCluster.NETWORK + " return",
                    "ip saddr " + OverlayCluster.NETWORK + " ip daddr != 224.0.0.0/4 masquerade");
            assertThat(rules(host, "postrtg")).isEqualTo(6);
            assertThat(rules(host, "forward")).isEqualTo(2);
            // read with the test's own PATH, which has iptables
            assertThat(host.execOk("iptables", "-t", "nat", "-S")).doesNotContain("FLANNEL");
            assertThat(host.execOk("iptables", "-t", "filter", "-S")).doesNotContain("FLANNEL");
        }
    }

    @Test
    @Order(3)
    void containersOnTwoHostsSeeEachOthersOwnAddresses() {
        Ip4 server = cluster.containerIp(2, 1);
        assertThat(NoIptablesPath.sourceSeenBy(cluster.container(2, 1), server, cluster.container(1, 1), 7101))
                .isEqualTo(cluster.containerIp(1, 1).toString());
    }

    @Test
    @Order(4)
    void aContainerReachesTheUnderlayWithItsHostsAddress() {
        Ip4 outside = cluster.net.underlayGateway();
        assertThat(NoIptablesPath.sourceSeenBy(cluster.net.underlay(), outside, cluster.container(1, 1), 7102))
                .isEqualTo(cluster.host(1).underlayIp().toString());
    }

    @Test
    @Order(5)
    void rulesDeletedByHandComeBackAtTheNextResync() throws IOException {
        TestHost host = cluster.host(1);
        String restored = "nftables rules for " + cluster.subnet(1) + " were missing or changed; restored them";
        int restoresBefore = count(cluster.agent(1).log(), restored);
        // (the agent's resync may put them back at once: that the rules went is shown by its log line)
        host.execOk("nft", "flush", "chain", "ip", "flannel-ipv4", "postrtg");
        host.execOk("nft", "delete", "chain", "ip", "flannel-ipv4", "forward");

        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
                .until(() -> count(cluster.agent(1).log(), restored) > restoresBefore
                        && rules(host, "postrtg") == 6 && rules(host, "forward") == 2);
        assertThat(NoIptablesPath.sourceSeenBy(cluster.net.underlay(), cluster.net.underlayGateway(), cluster.container(1, 1), 7103))
                .isEqualTo(cluster.host(1).underlayIp().toString());

        host.execOk("nft", "delete", "table", "ip", "flannel-ipv4");
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
                .until(() -> rules(host, "postrtg") == 6 && rules(host, "forward") == 2);
    }

    @Test
    @Order(6)
    void anAgentStartedOverAnIptablesModeRunRemovesItsChains() throws IOException {
        // as an agent or flanneld in iptables mode leaves them (the test's PATH has iptables)
        TestHost host = cluster.host(2);
        cluster.agent(2).stop();
        host.execOk("iptables", "-t", "nat", "-N", "FLANNEL-POSTRTG");
        host.execOk("iptables", "-t", "nat", "-A", "FLANNEL-POSTRTG", "-s", OverlayCluster.NETWORK, "-j", "MASQUERADE");
        host.execOk("iptables", "-t", "nat", "-I", "POSTROUTING", "1", "-m", "comment", "--comment", "flanneld masq", "-j", "FLANNEL-POSTRTG");
        host.execOk("iptables", "-t", "filter", "-N", "FLANNEL-FWD");
        host.execOk("iptables", "-t", "filter", "-I", "FORWARD", "1", "-m", "comment", "--comment", "flanneld forward", "-j", "FLANNEL-FWD");

        // with iptables on its PATH this time, so it can remove them
        cluster.withAgentEnv(Map.of());
        cluster.startAgent(2);

        assertThat(host.execOk("iptables", "-t", "nat", "-S")).doesNotContain("FLANNEL");
        assertThat(host.execOk("iptables", "-t", "filter", "-S")).doesNotContain("FLANNEL");
        assertThat(cluster.agent(2).log()).contains("removed the iptables chain nat FLANNEL-POSTRTG", "removed the iptables chain filter FLANNEL-FWD");
        assertThat(rules(host, "postrtg")).isEqualTo(6);
        assertThat(NoIptablesPath.sourceSeenBy(cluster.container(2, 1), cluster.containerIp(2, 1), cluster.container(1, 1), 7104))
                .isEqualTo(cluster.containerIp(1, 1).toString());
    }

    private static int count(String log, String line) {
        int n = 0;
        for (int at = log.indexOf(line); at >= 0; at = log.indexOf(line, at + 1)) {
            n++;
        }
        return n;
    }
}
