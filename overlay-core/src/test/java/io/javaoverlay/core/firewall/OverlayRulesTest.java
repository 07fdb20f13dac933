package io.javaoverlay.core.firewall;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

import io.javaoverlay.core.net.Ip4Net;

class OverlayRulesTest {

    @Test
    void masqRulesAreFlannelsInFlannelsOrder() {
        var rules = OverlayRules.masqRules(Ip4Net.parse("10.5.0.0/16"), Ip4Net.parse("10.5.72.0/24"), true);
        assertThat(rules).extracting(Rule::toSaveFormat).containsExactly(
                "-A FLANNEL-POSTRTG -m mark --mark 0x4000/0x4000 -m comment --comment \"flanneld masq\" -j RETURN",
                "-A FLANNEL-POSTRTG -s 10.5.72.0/24 -d 10.5.0.0/16 -m comment --comment \"flanneld masq\" -j RETURN",
                "-A FLANNEL-POSTRTG -s 10.5.0.0/16 -d 10.5.72.0/24 -m comment --comment \"flanneld masq\" -j RETURN",
                "-A FLANNEL-POSTRTG ! -s 10.5.0.0/16 -d 10.5.72.0/24 -m comment --comment \"flanneld masq\" -j RETURN",
                "-A FLANNEL-POSTRTG -s 10.5.0.0/16 ! -d 224.0.0.0/4 -m comment --comment \"flanneld masq\" -j MASQUERADE --random-fully",
                "-A FLANNEL-POSTRTG ! -s 10.5.0.0/16 -d 10.5.0.0/16 -m comment --comment \"flanneld masq\" -j MASQUERADE --random-fully");
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

    @Test
    void ruleNeedsTableChainAndSpec() {
        assertThatThrownBy(() -> Rule.of("nat", "", "-j", "RETURN")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Rule.of("nat", "X")).isInstanceOf(IllegalArgumentException.class);
    }
}
