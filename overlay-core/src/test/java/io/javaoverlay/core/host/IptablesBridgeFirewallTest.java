package io.javaoverlay.core.host;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

import io.javaoverlay.core.firewall.Rule;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.Ip6Net;

class IptablesBridgeFirewallTest {

    @Test
    void theCommentNamesTheNetworkWithinIptablesLimit() {
        assertThat(IptablesBridgeFirewall.masqueradeComment("podnet")).isEqualTo("javaoverlay cni podnet");
        String longest = "n".repeat(1000);
        String comment = IptablesBridgeFirewall.masqueradeComment(longest);
        // xt_comment: 256 bytes with the terminating NUL
        assertThat(comment.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(255);
        assertThat(comment).startsWith("javaoverlay cni nnnn").isEqualTo(IptablesBridgeFirewall.masqueradeComment(longest));
        assertThat(IptablesBridgeFirewall.masqueradeChain(longest)).hasSizeLessThanOrEqualTo(28);
    }

    @Test
    void theRulesAreTheOnesBothFacesWroteBefore() {
        // what a host running an earlier version holds: the same text means no rewrite after an upgrade
        assertThat(IptablesBridgeFirewall.forwardRules("cni0")).extracting(Rule::toSaveFormat).containsExactly(
                "-A JAVAOVERLAY-FWD -i cni0 -m comment --comment \"javaoverlay docker forward\" -j ACCEPT",
                "-A JAVAOVERLAY-FWD -o cni0 -m comment --comment \"javaoverlay docker forward\" -j ACCEPT");
        assertThat(IptablesBridgeFirewall.masqueradeChain("podnet")).matches("JO-CNI-[0-9a-f]{8}");
        String chain = IptablesBridgeFirewall.masqueradeChain("podnet");
        assertThat(IptablesBridgeFirewall.masqueradeRules("podnet", Ip4Net.parse("10.5.0.0/16"), Ip4Net.parse("10.5.72.0/24")))
                .extracting(Rule::toSaveFormat).containsExactly(
                        "-A " + chain + " -s 10.5.72.0/24 -d 10.5.0.0/16 -m comment --comment \"javaoverlay cni podnet\" -j RETURN",
                        "-A " + chain + " -s 10.5.72.0/24 ! -d 224.0.0.0/4 -m comment --comment \"javaoverlay cni podnet\" -j MASQUERADE");
    }

    @Test
    void theIpv6RulesAreTheIpv4OnesWithIpv6NetworksAndMulticast() {
        // the reference plugins' SetupIPMasq leaves ff00::/8 alone for IPv6 as 224.0.0.0/4 for IPv4
        String chain = IptablesBridgeFirewall.masqueradeChain("podnet");
        assertThat(IptablesBridgeFirewall.masqueradeRules6("podnet", Ip6Net.parse("fc00:5::/48"), Ip6Net.parse("fc00:5:0:34::/64")))
                .extracting(Rule::toSaveFormat).containsExactly(
                        "-A " + chain + " -s fc00:5:0:34::/64 -d fc00:5::/48 -m comment --comment \"javaoverlay cni podnet\" -j RETURN",
                        "-A " + chain + " -s fc00:5:0:34::/64 ! -d ff00::/8 -m comment --comment \"javaoverlay cni podnet\" -j MASQUERADE");
    }
}
