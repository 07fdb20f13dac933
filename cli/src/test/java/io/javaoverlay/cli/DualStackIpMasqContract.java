package io.javaoverlay.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import io.javaoverlay.core.net.Ip6Net;

/**
 * Dual-stack host-gw with {@code --ip-masq} on two namespace hosts and a real etcd, once per
 * firewall tool (ip6tables, nftables): the IPv6 masquerade and forward rules are flannel's, pods
 * keep their IPv6 source inside the overlay, reach an address outside it masqueraded to their
 * host's {@code PublicIPv6}, rules someone removed come back at the next resync, and the rules
 * stay when the agent stops, as the IPv4 ones do.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
abstract class DualStackIpMasqContract {

    static final String NETWORK6 = "fc00:6::/48";

    abstract OverlayCluster cluster();

    /** The cluster's hosts on the dual-stack underlay. */
    final DualStackHosts hosts() {
        return new DualStackHosts(cluster());
    }

    /** Host {@code n}'s IPv6 masquerade rules as the tool lists them, one a line, in order. */
    abstract List<String> ipv6MasqRules(int n);

    /** flannel's IPv6 masquerade rules for this network and {@code lease6}, in the tool's listing form. */
    abstract List<String> flannelsIpv6MasqRules(Ip6Net lease6);

    /** Host {@code n}'s IPv6 forward rules as the tool lists them. */
    abstract List<String> ipv6ForwardRules(int n);

    abstract List<String> flannelsIpv6ForwardRules();

    /** Removes host {@code n}'s IPv6 masquerade rules behind the agent's back (an operator's flush). */
    abstract void flushIpv6MasqRules(int n);

    /** What host {@code n}'s agent logs when its resync put the rules back. */
    abstract String restoredLogLine(int n);


    @Test
    @Order(1)
    void bothHostsComeUpWithFlannelsIpv6MasqueradeAndForwardRules() {
        hosts().bringUp(1);
        hosts().bringUp(2);
        for (int h = 1; h <= 2; h++) {
            assertThat(ipv6MasqRules(h)).as("host %d", h).containsExactlyElementsOf(flannelsIpv6MasqRules(cluster().lease6(h)));
            assertThat(ipv6ForwardRules(h)).as("host %d", h).containsExactlyElementsOf(flannelsIpv6ForwardRules());
            assertThat(cluster().subnetEnv(h).ipMasq()).isTrue();
        }
    }

    @Test
    @Order(2)
    void containersPingAcrossHostsOverBothFamilies() {
        assertThat(cluster().container(1, 1).ping(hosts().containerIp6(2, 1), 10)).as("ping -6 across hosts").isTrue();
        assertThat(cluster().container(2, 2).ping(hosts().containerIp6(1, 2), 5)).isTrue();
        assertThat(cluster().container(1, 1).ping(cluster().containerIp(2, 1).toString(), 5)).as("ping -4 across hosts").isTrue();
    }

    @Test
    @Order(3)
    void trafficInsideTheOverlayKeepsItsIpv6Source() {
        assertThat(DualStackHosts.sourceSeenBy(cluster().container(2, 1), hosts().containerIp6(2, 1), cluster().container(1, 1), 7301))
                .isEqualTo(hosts().containerIp6(1, 1));
    }

    @Test
    @Order(4)
    void aContainerReachesAnAddressOutsideTheOverlayMasqueradedToItsHostsPublicIpv6() {
        // the underlay has no route back into the overlay: only a masqueraded connection gets an answer
        hosts().addUnderlayBridgeAddress();
        assertThat(DualStackHosts.sourceSeenBy(cluster().net.underlay(), DualStackHosts.UNDERLAY_BRIDGE6, cluster().container(1, 2), 7302))
                .isEqualTo(DualStackHosts.underlay6(1));
        assertThat(DualStackHosts.sourceSeenBy(cluster().net.underlay(), DualStackHosts.UNDERLAY_BRIDGE6, cluster().container(2, 1), 7303))
                .isEqualTo(DualStackHosts.underlay6(2));
        // and IPv4 as before
        assertThat(NoIptablesPath.sourceSeenBy(cluster().net.underlay(), cluster().net.underlayGateway(), cluster().container(1, 2), 7304))
                .isEqualTo(cluster().host(1).underlayIp().toString());
    }

    @Test
    @Order(5)
    void ipv6RulesSomeoneRemovedComeBackAtTheNextResync() {
        List<String> before = ipv6MasqRules(1);
        flushIpv6MasqRules(1);
        assertThat(ipv6MasqRules(1)).isNotEqualTo(before);
        // --iptables-resync is 5 s by default
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(250))
                .until(() -> cluster().agent(1).log().contains(restoredLogLine(1)));
        assertThat(ipv6MasqRules(1)).isEqualTo(before);
        assertThat(DualStackHosts.sourceSeenBy(cluster().net.underlay(), DualStackHosts.UNDERLAY_BRIDGE6, cluster().container(1, 1), 7305))
                .isEqualTo(DualStackHosts.underlay6(1));
    }

    @Test
    @Order(6)
    void theIpv6RulesStayWhenTheAgentStopsAsTheIpv4OnesDo() {
        List<String> masq = ipv6MasqRules(2);
        List<String> forward = ipv6ForwardRules(2);
        cluster().agent(2).stop();
        assertThat(ipv6MasqRules(2)).isEqualTo(masq);
        assertThat(ipv6ForwardRules(2)).isEqualTo(forward);
        // a pod's connection out keeps being masqueraded while its agent restarts
        assertThat(DualStackHosts.sourceSeenBy(cluster().net.underlay(), DualStackHosts.UNDERLAY_BRIDGE6, cluster().container(2, 2), 7306))
                .isEqualTo(DualStackHosts.underlay6(2));
    }

    /** The lines of {@code text} that start with {@code prefix}, stripped. */
    static List<String> linesStartingWith(String text, String... prefixes) {
        List<String> lines = new ArrayList<>();
        for (String line : text.split("\n")) {
            String l = line.strip();
            for (String p : prefixes) {
                if (l.startsWith(p)) {
                    lines.add(l);
                    break;
                }
            }
        }
        return lines;
    }
}
