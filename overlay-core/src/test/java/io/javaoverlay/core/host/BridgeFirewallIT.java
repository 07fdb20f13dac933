package io.javaoverlay.core.host;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.javaoverlay.core.firewall.Iptables;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.Ip6Net;
import io.javaoverlay.testkit.Requirements;
import io.javaoverlay.testkit.TestNamespace;
import io.javaoverlay.testkit.TestNetwork;

/**
 * The bridge's forward and masquerade policy against the real iptables, each test in a fresh
 * network namespace (its chains live there, nothing touches the machine's own), read back with
 * {@code iptables -S} independently of the code under test.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class BridgeFirewallIT {

    private static final Ip4Net OVERLAY = Ip4Net.parse("10.5.0.0/16");
    private static final Ip4Net LEASE = Ip4Net.parse("10.5.72.0/24");
    private static final Ip6Net OVERLAY6 = Ip6Net.parse("fc00:5::/48");
    private static final Ip6Net LEASE6 = Ip6Net.parse("fc00:5:0:34::/64");

    @RegisterExtension
    final TestNetwork net = TestNetwork.namespacesOnly();

    private TestNamespace host;
    private BridgeFirewall firewall;

    @BeforeEach
    void host() {
        Requirements.check().root().command("iptables", "iptables").command("ip6tables", "iptables").orAbort();
        host = net.createNamespace("bfw");
        firewall = new IptablesBridgeFirewall(new Iptables(host.wrap(List.of())));
    }

    /**
     * Network podnet's masquerade chain as {@code -S} lists it, the same for both families: the lease's traffic
     * to the overlay is kept, the rest but multicast is masqueraded.
     */
    private static List<String> podnetMasquerade(String chain, String lease, String overlay, String multicast) {
        String comment = " -m comment --comment \"javaoverlay cni podnet\" -j ";
        return List.of("-N " + chain,
                "-A " + chain + " -s " + lease + " -d " + overlay + comment + "RETURN",
                "-A " + chain + " -s " + lease + " ! -d " + multicast + comment + "MASQUERADE");
    }

    /** POSTROUTING with nothing but the jump into podnet's masquerade chain. */
    private static List<String> postroutingInto(String chain) {
        return List.of("-P POSTROUTING ACCEPT", "-A POSTROUTING -m comment --comment \"javaoverlay cni podnet\" -j " + chain);
    }

    private List<String> rules(String table, String chain) {
        return host.execOk("iptables", "-t", table, "-S", chain).lines().toList();
    }

    private List<String> rules6(String table, String chain) {
        return host.execOk("ip6tables", "-t", table, "-S", chain).lines().toList();
    }

    @Test
    void forwardingForTheBridgeComesBeforeADropPolicyAndGoesWithoutTouchingOthersRules() {
        // what dockerd leaves: policy DROP and rules of its own
        host.execOk("iptables", "-P", "FORWARD", "DROP");
        host.execOk("iptables", "-A", "FORWARD", "-o", "docker0", "-j", "ACCEPT");

        firewall.ensureForwarding("cni0");
        firewall.ensureForwarding("cni0");

        assertThat(rules("filter", "JAVAOVERLAY-FWD")).containsExactly("-N JAVAOVERLAY-FWD",
                "-A JAVAOVERLAY-FWD -i cni0 -m comment --comment \"javaoverlay docker forward\" -j ACCEPT",
                "-A JAVAOVERLAY-FWD -o cni0 -m comment --comment \"javaoverlay docker forward\" -j ACCEPT");
        assertThat(rules("filter", "FORWARD")).as("one jump, first").containsExactly("-P FORWARD DROP",
                "-A FORWARD -m comment --comment \"javaoverlay docker forward\" -j JAVAOVERLAY-FWD",
                "-A FORWARD -o docker0 -j ACCEPT");

        firewall.removeForwarding();
        firewall.removeForwarding();

        assertThat(host.exec("iptables", "-S", "JAVAOVERLAY-FWD").ok()).as("the chain is gone").isFalse();
        assertThat(rules("filter", "FORWARD")).containsExactly("-P FORWARD DROP", "-A FORWARD -o docker0 -j ACCEPT");
    }

    @Test
    void ipv6ForwardingForTheBridgeIsTheSameChainInIp6tablesAndGoesWithTheIpv4One() {
        // what dockerd with ip6tables on (Docker 27 and later) leaves: ip6tables' FORWARD policy DROP
        host.execOk("ip6tables", "-P", "FORWARD", "DROP");
        firewall.removeForwarding(); // nothing there yet: fine

        firewall.ensureForwarding("cni0");
        firewall.ensureForwarding6("cni0");
        firewall.ensureForwarding6("cni0");

        assertThat(rules6("filter", "JAVAOVERLAY-FWD")).containsExactly("-N JAVAOVERLAY-FWD",
                "-A JAVAOVERLAY-FWD -i cni0 -m comment --comment \"javaoverlay docker forward\" -j ACCEPT",
                "-A JAVAOVERLAY-FWD -o cni0 -m comment --comment \"javaoverlay docker forward\" -j ACCEPT");
        assertThat(rules6("filter", "FORWARD")).containsExactly("-P FORWARD DROP",
                "-A FORWARD -m comment --comment \"javaoverlay docker forward\" -j JAVAOVERLAY-FWD");

        firewall.removeForwarding();
        assertThat(host.exec("ip6tables", "-S", "JAVAOVERLAY-FWD").ok()).as("the IPv6 chain is gone").isFalse();
        assertThat(host.exec("iptables", "-S", "JAVAOVERLAY-FWD").ok()).as("the IPv4 chain is gone").isFalse();
        assertThat(rules6("filter", "FORWARD")).containsExactly("-P FORWARD DROP");
    }

    @Test
    void aBridgeRenamedRewritesTheOneForwardChain() {
        firewall.ensureForwarding("cni0");
        firewall.ensureForwarding("jo1");
        assertThat(rules("filter", "JAVAOVERLAY-FWD")).hasSize(3).allMatch(r -> !r.contains("cni0"))
                .anyMatch(r -> r.contains("-i jo1"));
    }

    @Test
    void theMasqueradeChainKeepsOverlayTrafficAndIsCheckedAndRepaired() {
        String chain = IptablesBridgeFirewall.masqueradeChain("podnet");
        assertThat(firewall.isMasqueraded("podnet", OVERLAY, LEASE)).as("nothing yet").isFalse();

        firewall.ensureMasquerade("podnet", OVERLAY, LEASE);
        firewall.ensureMasquerade("podnet", OVERLAY, LEASE);

        assertThat(rules("nat", chain)).containsExactlyElementsOf(podnetMasquerade(chain, "10.5.72.0/24", "10.5.0.0/16", "224.0.0.0/4"));
        assertThat(rules("nat", "POSTROUTING")).containsExactlyElementsOf(postroutingInto(chain));
        assertThat(firewall.isMasqueraded("podnet", OVERLAY, LEASE)).isTrue();
        assertThat(firewall.isMasqueraded("podnet", OVERLAY, Ip4Net.parse("10.5.73.0/24"))).as("another lease").isFalse();
        assertThat(firewall.isMasqueraded("other", OVERLAY, LEASE)).as("another network").isFalse();

        host.execOk("iptables", "-t", "nat", "-F", chain);
        assertThat(firewall.isMasqueraded("podnet", OVERLAY, LEASE)).as("flushed by hand").isFalse();
        firewall.ensureMasquerade("podnet", OVERLAY, LEASE);
        assertThat(firewall.isMasqueraded("podnet", OVERLAY, LEASE)).isTrue();
        assertThat(rules("nat", chain)).hasSize(3);
    }

    @Test
    void theIpv6MasqueradeChainIsTheIpv4OneInIp6tablesAndIsCheckedRepairedAndRemovedWithIt() {
        String chain = IptablesBridgeFirewall.masqueradeChain("podnet");
        assertThat(firewall.isMasqueraded6("podnet", OVERLAY6, LEASE6)).as("nothing yet").isFalse();
        firewall.removeMasquerade("podnet"); // nothing there: fine

        firewall.ensureMasquerade("podnet", OVERLAY, LEASE);
        firewall.ensureMasquerade6("podnet", OVERLAY6, LEASE6);
        firewall.ensureMasquerade6("podnet", OVERLAY6, LEASE6);

        assertThat(rules6("nat", chain)).containsExactlyElementsOf(podnetMasquerade(chain, "fc00:5:0:34::/64", "fc00:5::/48", "ff00::/8"));
        assertThat(rules6("nat", "POSTROUTING")).containsExactlyElementsOf(postroutingInto(chain));
        assertThat(rules("nat", chain)).as("the IPv4 chain beside it").hasSize(3).noneMatch(r -> r.contains("fc00"));
        assertThat(firewall.isMasqueraded6("podnet", OVERLAY6, LEASE6)).isTrue();
        assertThat(firewall.isMasqueraded6("podnet", OVERLAY6, Ip6Net.parse("fc00:5:0:35::/64"))).as("another lease").isFalse();

        host.execOk("ip6tables", "-t", "nat", "-F", chain);
        assertThat(firewall.isMasqueraded6("podnet", OVERLAY6, LEASE6)).as("flushed by hand").isFalse();
        assertThat(firewall.isMasqueraded("podnet", OVERLAY, LEASE)).as("the IPv4 chain untouched").isTrue();
        firewall.ensureMasquerade6("podnet", OVERLAY6, LEASE6);
        assertThat(firewall.isMasqueraded6("podnet", OVERLAY6, LEASE6)).isTrue();

        // another network's chains stay when podnet's go
        firewall.ensureMasquerade6("other", OVERLAY6, LEASE6);
        firewall.removeMasquerade("podnet");
        firewall.removeMasquerade("podnet");
        assertThat(host.exec("ip6tables", "-t", "nat", "-S", chain).ok()).as("the IPv6 chain is gone").isFalse();
        assertThat(host.exec("iptables", "-t", "nat", "-S", chain).ok()).as("the IPv4 chain is gone").isFalse();
        String other = IptablesBridgeFirewall.masqueradeChain("other");
        assertThat(rules6("nat", "POSTROUTING")).containsExactly("-P POSTROUTING ACCEPT",
                "-A POSTROUTING -m comment --comment \"javaoverlay cni other\" -j " + other);
        assertThat(rules("nat", "POSTROUTING")).containsExactly("-P POSTROUTING ACCEPT");
    }
}
