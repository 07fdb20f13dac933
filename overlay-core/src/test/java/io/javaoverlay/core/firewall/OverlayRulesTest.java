package io.javaoverlay.core.firewall;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.Ip6Net;

class OverlayRulesTest {

    /**
     * flannel's masquerade rules in its order, in iptables-save form, for one family: both families get the same
     * six rules, with the family's multicast range left unmasqueraded.
     */
    private static List<String> flannelMasqRules(String network, String lease, String multicast) {
        String masq = " -m comment --comment \"flanneld masq\" -j ";
        return List.of(
                "-A FLANNEL-POSTRTG -m mark --mark 0x4000/0x4000" + masq + "RETURN",
                "-A FLANNEL-POSTRTG -s " + lease + " -d " + network + masq + "RETURN",
                "-A FLANNEL-POSTRTG -s " + network + " -d " + lease + masq + "RETURN",
                "-A FLANNEL-POSTRTG ! -s " + network + " -d " + lease + masq + "RETURN",
                "-A FLANNEL-POSTRTG -s " + network + " ! -d " + multicast + masq + "MASQUERADE --random-fully",
                "-A FLANNEL-POSTRTG ! -s " + network + " -d " + network + masq + "MASQUERADE --random-fully");
    }

    @Test
    void masqRulesAreFlannelsInFlannelsOrder() {
        var rules = OverlayRules.masqRules(Ip4Net.parse("10.5.0.0/16"), Ip4Net.parse("10.5.72.0/24"), true);
        assertThat(rules).extracting(Rule::toSaveFormat).containsExactlyElementsOf(flannelMasqRules("10.5.0.0/16", "10.5.72.0/24", "224.0.0.0/4"));
        assertThat(rules).allMatch(r -> r.table().equals("nat"));
    }

    @Test
    void withoutRandomFullyMasqueradeHasNoFlag() {
        var rules = OverlayRules.masqRules(Ip4Net.parse("10.5.0.0/16"), Ip4Net.parse("10.5.72.0/24"), false);
        assertThat(rules.get(4).toSaveFormat()).endsWith("-j MASQUERADE");
    }

    @Test
    void forwardRulesAcceptTheOverlayBothWays() {
        assertThat(OverlayRules.forwardRules(Ip4Net.parse("10.5.0.0/16"))).extracting(Rule::toString).containsExactly(
                "-t filter -A FLANNEL-FWD -s 10.5.0.0/16 -m comment --comment flanneld forward -j ACCEPT",
                "-t filter -A FLANNEL-FWD -d 10.5.0.0/16 -m comment --comment flanneld forward -j ACCEPT");
    }

    /** flannel v0.28's masqIP6Rules (pkg/trafficmngr/iptables/iptables.go): the IPv4 rules with ff00::/8 for multicast. */
    @Test
    void ipv6MasqRulesAreFlannelsMasqIp6RulesInFlannelsOrder() {
        var rules = OverlayRules.masqRules6(Ip6Net.parse("fc00:5::/48"), Ip6Net.parse("fc00:5:0:3a::/64"), true);
        assertThat(rules).extracting(Rule::toSaveFormat).containsExactlyElementsOf(flannelMasqRules("fc00:5::/48", "fc00:5:0:3a::/64", "ff00::/8"));
        assertThat(rules).allMatch(r -> r.table().equals("nat"));
        assertThat(OverlayRules.masqRules6(Ip6Net.parse("fc00:5::/48"), Ip6Net.parse("fc00:5:0:3a::/64"), false).get(4).toSaveFormat())
                .endsWith("! -d ff00::/8 -m comment --comment \"flanneld masq\" -j MASQUERADE");
    }

    /** flannel's forwardRules, called with the IPv6 network for ip6tables. */
    @Test
    void ipv6ForwardRulesAcceptTheIpv6NetworkBothWays() {
        assertThat(OverlayRules.forwardRules6(Ip6Net.parse("fc00:5::/48"))).extracting(Rule::toString).containsExactly(
                "-t filter -A FLANNEL-FWD -s fc00:5::/48 -m comment --comment flanneld forward -j ACCEPT",
                "-t filter -A FLANNEL-FWD -d fc00:5::/48 -m comment --comment flanneld forward -j ACCEPT");
    }

    @Test
    void aRuleScopeHasBothIpv6HalvesOrNeither() {
        Ip4Net net = Ip4Net.parse("10.5.0.0/16");
        Ip4Net lease = Ip4Net.parse("10.5.72.0/24");
        assertThat(RuleScope.ipv4(net, lease).hasIpv6()).isFalse();
        RuleScope dual = RuleScope.dualStack(net, lease, Ip6Net.parse("fc00:5::/48"), Ip6Net.parse("fc00:5:0:3a::/64"));
        assertThat(dual.hasIpv6()).isTrue();
        assertThat(dual).hasToString("10.5.72.0/24 and fc00:5:0:3a::/64");
        assertThatThrownBy(() -> new RuleScope(net, lease, java.util.Optional.of(Ip6Net.parse("fc00:5::/48")), java.util.Optional.empty()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("go together");
    }

    @Test
    void ruleNeedsTableChainAndSpec() {
        assertThatThrownBy(() -> Rule.of("nat", "", "-j", "RETURN")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Rule.of("nat", "X")).isInstanceOf(IllegalArgumentException.class);
    }
}
