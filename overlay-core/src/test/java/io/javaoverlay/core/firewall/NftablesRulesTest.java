package io.javaoverlay.core.firewall;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.Ip6Net;

class NftablesRulesTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void masqRulesAreFlannelsNftablesRulesInFlannelsOrder() {
        assertThat(NftablesRules.masqRules(Ip4Net.parse("10.5.0.0/16"), Ip4Net.parse("10.5.72.0/24"), true)).containsExactly(
                "meta mark 0x4000 return",
                "ip saddr 10.5.72.0/24 ip daddr 10.5.0.0/16 return",
                "ip saddr 10.5.0.0/16 ip daddr 10.5.72.0/24 return",
                "ip saddr != 10.5.72.0/24 ip daddr 10.5.0.0/16 return",
                "ip saddr 10.5.0.0/16 ip daddr != 224.0.0.0/4 masquerade fully-random",
                "ip saddr != 10.5.0.0/16 ip daddr 10.5.0.0/16 masquerade fully-random");
    }

    @Test
    void withoutFullyRandomTheMasqueradeHasNoFlag() {
        assertThat(NftablesRules.masqRules(Ip4Net.parse("10.5.0.0/16"), Ip4Net.parse("10.5.72.0/24"), false).get(4))
                .endsWith("!= 224.0.0.0/4 masquerade");
    }

    @Test
    void forwardRulesAcceptTheOverlayBothWays() {
        assertThat(NftablesRules.forwardRules(Ip4Net.parse("10.5.0.0/16")))
                .containsExactly("ip saddr 10.5.0.0/16 accept", "ip daddr 10.5.0.0/16 accept");
    }

    /** flannel v0.28's addMasqRules with knftables.IPv6Family (pkg/trafficmngr/nftables/nftables.go). */
    @Test
    void ipv6MasqRulesAreFlannelsIp6RulesInFlannelsOrder() {
        assertThat(NftablesRules.masqRules6(Ip6Net.parse("fc00:5::/48"), Ip6Net.parse("fc00:5:0:3a::/64"), true)).containsExactly(
                "meta mark 0x4000 return",
                "ip6 saddr fc00:5:0:3a::/64 ip6 daddr fc00:5::/48 return",
                "ip6 saddr fc00:5::/48 ip6 daddr fc00:5:0:3a::/64 return",
                "ip6 saddr != fc00:5:0:3a::/64 ip6 daddr fc00:5::/48 return",
                "ip6 saddr fc00:5::/48 ip6 daddr != ff00::/8 masquerade fully-random",
                "ip6 saddr != fc00:5::/48 ip6 daddr fc00:5::/48 masquerade fully-random");
        assertThat(NftablesRules.forwardRules6(Ip6Net.parse("fc00:5::/48")))
                .containsExactly("ip6 saddr fc00:5::/48 accept", "ip6 daddr fc00:5::/48 accept");
    }

    @Test
    void ipv6ChainsAreFlannelsBaseChainsInTheIp6Table() {
        assertThat(NftablesRules.masqChain6().script(List.of("meta mark 0x4000 return"), false, true)).containsExactly(
                "add chain ip6 flannel-ipv6 postrtg { type nat hook postrouting priority 100 ; comment \"chain to manage traffic masquerading by flannel\" ; }",
                "flush chain ip6 flannel-ipv6 postrtg",
                "add rule ip6 flannel-ipv6 postrtg meta mark 0x4000 return");
        assertThat(NftablesRules.forwardChain6().script(List.of(), false, false)).containsExactly(
                "add chain ip6 flannel-ipv6 forward { type filter hook forward priority 0 ; }",
                "flush chain ip6 flannel-ipv6 forward");
    }

    /** What nft 1.0.6 lists for an IPv6 rule (nft -j list table ip6 flannel-ipv6), read back as it was written. */
    @Test
    void anIpv6RuleListedByNftReadsBackAsWritten() throws Exception {
        JsonNode expr = JSON.readTree("""
                [{"match": {"op": "!=", "left": {"payload": {"protocol": "ip6", "field": "saddr"}}, "right": {"prefix": {"addr": "fc00:5::", "len": 48}}}},
                 {"match": {"op": "==", "left": {"payload": {"protocol": "ip6", "field": "daddr"}}, "right": {"prefix": {"addr": "fc00:5::", "len": 48}}}},
                 {"masquerade": {"flags": "fully-random"}}]""");
        assertThat(NftRuleText.of(expr)).isEqualTo("ip6 saddr != fc00:5::/48 ip6 daddr fc00:5::/48 masquerade fully-random");
    }

    @Test
    void chainsAreFlannelsBaseChains() {
        NftChain masq = NftablesRules.masqChain();
        assertThat(masq.script(List.of("meta mark 0x4000 return"), false, true)).containsExactly(
                "add chain ip flannel-ipv4 postrtg { type nat hook postrouting priority 100 ; comment \"chain to manage traffic masquerading by flannel\" ; }",
                "flush chain ip flannel-ipv4 postrtg",
                "add rule ip flannel-ipv4 postrtg meta mark 0x4000 return");
        assertThat(NftablesRules.forwardChain().script(List.of(), true, false)).containsExactly(
                "flush chain ip flannel-ipv4 forward",
                "delete chain ip flannel-ipv4 forward",
                "add chain ip flannel-ipv4 forward { type filter hook forward priority 0 ; }",
                "flush chain ip flannel-ipv4 forward");
    }

    /** What nft 1.0.6 lists (nft -j list table ip flannel-ipv4) after the rules were written as above. */
    private static final String LISTING = """
            {"nftables": [{"metainfo": {"version": "1.0.6", "json_schema_version": 1}},
            {"table": {"family": "ip", "name": "flannel-ipv4", "handle": 1}},
            {"chain": {"family": "ip", "table": "flannel-ipv4", "name": "postrtg", "handle": 1, "type": "nat", "hook": "postrouting", "prio": 100, "policy": "accept"}},
            {"rule": {"family": "ip", "table": "flannel-ipv4", "chain": "postrtg", "handle": 2, "expr": [{"match": {"op": "==", "left": {"meta": {"key": "mark"}}, "right": 16384}}, {"return": null}]}},
            {"rule": {"family": "ip", "table": "flannel-ipv4", "chain": "postrtg", "handle": 3, "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "saddr"}}, "right": {"prefix": {"addr": "10.5.72.0", "len": 24}}}}, {"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "daddr"}}, "right": {"prefix": {"addr": "10.5.0.0", "len": 16}}}}, {"return": null}]}},
            {"rule": {"family": "ip", "table": "flannel-ipv4", "chain": "postrtg", "handle": 4, "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "saddr"}}, "right": {"prefix": {"addr": "10.5.0.0", "len": 16}}}}, {"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "daddr"}}, "right": {"prefix": {"addr": "10.5.72.0", "len": 24}}}}, {"return": null}]}},
            {"rule": {"family": "ip", "table": "flannel-ipv4", "chain": "postrtg", "handle": 5, "expr": [{"match": {"op": "!=", "left": {"payload": {"protocol": "ip", "field": "saddr"}}, "right": {"prefix": {"addr": "10.5.72.0", "len": 24}}}}, {"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "daddr"}}, "right": {"prefix": {"addr": "10.5.0.0", "len": 16}}}}, {"return": null}]}},
            {"rule": {"family": "ip", "table": "flannel-ipv4", "chain": "postrtg", "handle": 6, "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "saddr"}}, "right": {"prefix": {"addr": "10.5.0.0", "len": 16}}}}, {"match": {"op": "!=", "left": {"payload": {"protocol": "ip", "field": "daddr"}}, "right": {"prefix": {"addr": "224.0.0.0", "len": 4}}}}, {"masquerade": {"flags": "fully-random"}}]}},
            {"rule": {"family": "ip", "table": "flannel-ipv4", "chain": "postrtg", "handle": 7, "expr": [{"match": {"op": "!=", "left": {"payload": {"protocol": "ip", "field": "saddr"}}, "right": {"prefix": {"addr": "10.5.0.0", "len": 16}}}}, {"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "daddr"}}, "right": {"prefix": {"addr": "10.5.0.0", "len": 16}}}}, {"masquerade": {"flags": "fully-random"}}]}},
            {"rule": {"family": "ip", "table": "flannel-ipv4", "chain": "postrtg", "handle": 8, "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "saddr"}}, "right": "10.9.9.9"}}, {"counter": {"packets": 0, "bytes": 0}}, {"drop": null}]}}
            ]}""";

    private static List<JsonNode> listing() throws Exception {
        List<JsonNode> objects = new ArrayList<>();
        JSON.readTree(LISTING).path("nftables").forEach(objects::add);
        return objects;
    }

    @Test
    void rulesListedAsJsonReadBackAsTheTextTheyWereWrittenAs() throws Exception {
        List<String> present = NftablesRules.masqChain().rules(listing());
        List<String> wanted = NftablesRules.masqRules(Ip4Net.parse("10.5.0.0/16"), Ip4Net.parse("10.5.72.0/24"), true);
        assertThat(present.subList(0, 6)).isEqualTo(wanted);
        assertThat(present.get(6)).startsWith("ip saddr 10.9.9.9/32 <not written by javaoverlay");
    }

    @Test
    void aChainWithARuleSomeoneAddedIsRewritten() throws Exception {
        List<String> wanted = NftablesRules.masqRules(Ip4Net.parse("10.5.0.0/16"), Ip4Net.parse("10.5.72.0/24"), true);
        assertThat(NftablesRules.masqChain().difference(listing(), wanted)).contains("7 rules present, 6 wanted");
        List<JsonNode> exact = listing().subList(0, 9);
        assertThat(NftablesRules.masqChain().difference(exact, wanted)).isEmpty();
        assertThat(NftablesRules.masqChain().difference(exact, NftablesRules.masqRules(Ip4Net.parse("10.5.0.0/16"),
                Ip4Net.parse("10.5.73.0/24"), true))).contains("6 rules present, 6 wanted, not the same");
        assertThat(NftablesRules.forwardChain().difference(exact, NftablesRules.forwardRules(Ip4Net.parse("10.5.0.0/16"))))
                .contains("missing");
    }

    @Test
    void aChainOnTheWrongHookIsRecreated() throws Exception {
        JsonNode wrong = JSON.readTree("{\"family\": \"ip\", \"table\": \"flannel-ipv4\", \"name\": \"postrtg\", \"type\": \"filter\","
                + " \"hook\": \"postrouting\", \"prio\": 100}");
        assertThat(NftablesRules.masqChain().baseDiffers(wrong)).contains("wanted type nat");
        assertThat(NftablesRules.masqChain().baseDiffers(listing().get(2).get("chain"))).isEmpty();
    }

    @Test
    void aMasqueradeWithoutFlagsAndASingleAddressReadBackAsWritten() throws Exception {
        // nft 1.0.6: "ip saddr 10.0.0.1/32 masquerade" lists the /32 as a bare address and no flags as null
        JsonNode expr = JSON.readTree("[{\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"ip\", \"field\": \"saddr\"}},"
                + " \"right\": \"10.0.0.1\"}}, {\"masquerade\": null}]");
        assertThat(NftRuleText.of(expr)).isEqualTo("ip saddr 10.0.0.1/32 masquerade");
    }
}
