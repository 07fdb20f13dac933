package io.javaoverlay.core.firewall;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.Ip6Net;
import io.javaoverlay.testkit.Requirements;
import io.javaoverlay.testkit.TestNamespace;
import io.javaoverlay.testkit.TestNetwork;

/**
 * Both traffic managers against the real kernel, each test in a fresh network namespace (nftables
 * tables and iptables chains live in the namespace, so nothing here touches the machine's own):
 * the rules as flannel names them, read back with {@code nft -j list ruleset} / {@code nft list}
 * and {@code iptables -S}, independently of the code under test; repairs; and switching between
 * the two managers.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TrafficManagersIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Ip4Net NETWORK = Ip4Net.parse("10.5.0.0/16");
    private static final Ip4Net LEASE = Ip4Net.parse("10.5.72.0/24");
    private static final RuleScope SCOPE = RuleScope.ipv4(NETWORK, LEASE);
    private static final RuleScope DUAL = RuleScope.dualStack(NETWORK, LEASE, Ip6Net.parse("fc00:5::/48"),
            Ip6Net.parse("fc00:5:0:3a::/64"));

    @RegisterExtension
    final TestNetwork net = TestNetwork.namespacesOnly();

    private TestNamespace host;
    private Iptables iptables;
    private Nft nft;

    @BeforeEach
    void host() {
        Requirements.check().root().command("nft", "nftables").command("iptables", "iptables").command("ip6tables", "iptables")
                .orAbort();
        host = net.createNamespace("fw");
        iptables = new Iptables(host.wrap(List.of()));
        nft = new Nft(host.wrap(List.of()));
    }

    private String nftList(String... what) {
        List<String> cmd = new ArrayList<>(List.of("nft", "list"));
        cmd.addAll(List.of(what));
        return host.execOk(cmd.toArray(String[]::new));
    }

    /** {@code family name} of every table in the namespace, from {@code nft -j list ruleset}. */
    private List<String> tables() throws Exception {
        List<String> names = new ArrayList<>();
        for (JsonNode o : JSON.readTree(host.execOk("nft", "-j", "list", "ruleset")).path("nftables")) {
            if (o.has("table")) {
                names.add(o.get("table").path("family").asText() + " " + o.get("table").path("name").asText());
            }
        }
        return names;
    }

    private JsonNode chainJson(String name) throws Exception {
        for (JsonNode o : JSON.readTree(host.execOk("nft", "-j", "list", "ruleset")).path("nftables")) {
            if (o.has("chain") && o.get("chain").path("table").asText().equals("flannel-ipv4")
                    && o.get("chain").path("name").asText().equals(name)) {
                return o.get("chain");
            }
        }
        return null;
    }

    /** The rule lines of a chain of {@code ip flannel-ipv4} as {@code nft list chain} prints them, indentation removed. */
    private List<String> nftRules(String chain) {
        return nftRules("ip", "flannel-ipv4", chain);
    }

    /** The rule lines of a chain of {@code ip6 flannel-ipv6} as {@code nft list chain} prints them. */
    private List<String> nftRules6(String chain) {
        return nftRules("ip6", "flannel-ipv6", chain);
    }

    /** The rule lines (those of the family's matches, and {@code meta}) of a chain of table {@code family table}. */
    private List<String> nftRules(String family, String table, String chain) {
        List<String> rules = new ArrayList<>();
        for (String line : nftList("chain", family, table, chain).split("\n")) {
            String l = line.strip();
            if (l.startsWith(family + " ") || l.startsWith("meta ")) {
                rules.add(l);
            }
        }
        return rules;
    }

    private String iptablesS(String table) {
        return host.execOk("iptables", "-t", table, "-S");
    }

    private String ip6tablesS(String table) {
        return host.execOk("ip6tables", "-t", table, "-S");
    }

    @Test
    void aDualStackScopeGetsFlannelsIp6tablesChainsBesideTheIptablesOnes() {
        TrafficManager fw = new TrafficManagers(iptables, nft).start(false, true, true);
        assertThat(fw.ensure(DUAL)).isTrue();

        // read back with ip6tables itself: the rules as flannel's masqIP6Rules and forwardRules write them
        assertThat(ip6tablesS("nat")).contains(
                "-A POSTROUTING -m comment --comment \"flanneld masq\" -j FLANNEL-POSTRTG\n"
                + "-A FLANNEL-POSTRTG -m mark --mark 0x4000/0x4000 -m comment --comment \"flanneld masq\" -j RETURN\n"
                + "-A FLANNEL-POSTRTG -s fc00:5:0:3a::/64 -d fc00:5::/48 -m comment --comment \"flanneld masq\" -j RETURN\n"
                + "-A FLANNEL-POSTRTG -s fc00:5::/48 -d fc00:5:0:3a::/64 -m comment --comment \"flanneld masq\" -j RETURN\n"
                + "-A FLANNEL-POSTRTG ! -s fc00:5::/48 -d fc00:5:0:3a::/64 -m comment --comment \"flanneld masq\" -j RETURN\n"
                + "-A FLANNEL-POSTRTG -s fc00:5::/48 ! -d ff00::/8 -m comment --comment \"flanneld masq\" -j MASQUERADE --random-fully\n"
                + "-A FLANNEL-POSTRTG ! -s fc00:5::/48 -d fc00:5::/48 -m comment --comment \"flanneld masq\" -j MASQUERADE --random-fully");
        assertThat(ip6tablesS("filter")).contains(
                "-A FORWARD -m comment --comment \"flanneld forward\" -j FLANNEL-FWD\n"
                + "-A FLANNEL-FWD -s fc00:5::/48 -m comment --comment \"flanneld forward\" -j ACCEPT\n"
                + "-A FLANNEL-FWD -d fc00:5::/48 -m comment --comment \"flanneld forward\" -j ACCEPT");
        assertThat(iptablesS("nat")).contains("-A FLANNEL-POSTRTG -s 10.5.72.0/24 -d 10.5.0.0/16");
        assertThat(fw.ensure(DUAL)).as("a second ensure finds everything in place").isFalse();
        assertThat(fw.toString()).endsWith(", in ip6tables too");

        // someone flushes the IPv6 chain and drops the forward jump: the recheck puts both back
        String before = ip6tablesS("nat");
        host.execOk("ip6tables", "-t", "nat", "-F", "FLANNEL-POSTRTG");
        host.execOk("ip6tables", "-D", "FORWARD", "-m", "comment", "--comment", "flanneld forward", "-j", "FLANNEL-FWD");
        fw.recheck(DUAL);
        assertThat(ip6tablesS("nat")).isEqualTo(before);
        assertThat(ip6tablesS("filter")).contains("-A FORWARD -m comment --comment \"flanneld forward\" -j FLANNEL-FWD");

        // a new IPv6 subnet rewrites the chain
        fw.ensure(RuleScope.dualStack(NETWORK, LEASE, Ip6Net.parse("fc00:5::/48"), Ip6Net.parse("fc00:5:0:9::/64")));
        assertThat(ip6tablesS("nat")).contains("-s fc00:5:0:9::/64 -d fc00:5::/48").doesNotContain("fc00:5:0:3a::");

        // switching to nftables removes the ip6tables chains and jumps too, as flanneld's CleanUp does
        new TrafficManagers(iptables, nft).start(true, true, true);
        assertThat(ip6tablesS("nat")).doesNotContain("FLANNEL");
        assertThat(ip6tablesS("filter")).doesNotContain("FLANNEL");
    }

    @Test
    void anIpv4OnlyScopeLeavesIp6tablesAlone() {
        new TrafficManagers(iptables, nft).start(false, true, true).ensure(SCOPE);
        assertThat(ip6tablesS("nat")).doesNotContain("FLANNEL");
        assertThat(ip6tablesS("filter")).doesNotContain("FLANNEL");
    }

    /** An IPv6-only network ({@code EnableIPv4: false}): flanneld sets up no IPv4 rule at all. */
    private static final RuleScope IPV6_ONLY = RuleScope.ipv6Only(Ip6Net.parse("fc00:5::/48"), Ip6Net.parse("fc00:5:0:3a::/64"));

    @Test
    void anIpv6OnlyScopeGetsIp6tablesChainsAndLeavesIptablesAlone() {
        TrafficManager fw = new TrafficManagers(iptables, nft).start(false, true, true);
        assertThat(fw.ensure(IPV6_ONLY)).isTrue();
        assertThat(ip6tablesS("nat")).contains("-A FLANNEL-POSTRTG -s fc00:5:0:3a::/64 -d fc00:5::/48 -m comment --comment \"flanneld masq\" -j RETURN");
        assertThat(ip6tablesS("filter")).contains("-A FLANNEL-FWD -s fc00:5::/48 -m comment --comment \"flanneld forward\" -j ACCEPT");
        assertThat(iptablesS("nat")).doesNotContain("FLANNEL");
        assertThat(iptablesS("filter")).doesNotContain("FLANNEL");
        assertThat(fw.ensure(IPV6_ONLY)).as("a second ensure finds everything in place").isFalse();

        host.execOk("ip6tables", "-t", "nat", "-F", "FLANNEL-POSTRTG");
        fw.recheck(IPV6_ONLY);
        assertThat(ip6tablesS("nat")).contains("-A FLANNEL-POSTRTG -s fc00:5:0:3a::/64 -d fc00:5::/48");
        assertThat(iptablesS("nat")).doesNotContain("FLANNEL");
    }

    @Test
    void anIpv6OnlyScopeGetsChainsInFlannelIpv6AloneWithNftables() throws Exception {
        NftablesFirewall fw = new NftablesFirewall(nft, true, true);
        assertThat(fw.ensure(IPV6_ONLY)).isTrue();
        assertThat(nftRules6("postrtg")).hasSize(6).contains("ip6 saddr fc00:5:0:3a::/64 ip6 daddr fc00:5::/48 return");
        assertThat(nftRules6("forward")).containsExactly("ip6 saddr fc00:5::/48 accept", "ip6 daddr fc00:5::/48 accept");
        // flanneld's Init makes both tables; with EnableIPv4 false the IPv4 one stays without chains
        assertThat(tables()).contains("ip flannel-ipv4", "ip6 flannel-ipv6");
        assertThat(nftList("table", "ip", "flannel-ipv4")).doesNotContain("chain");
        assertThat(fw.ensure(IPV6_ONLY)).as("a second ensure finds everything in place").isFalse();
    }

    @Test
    void aDualStackScopeGetsFlannelsIp6ChainsInTheFlannelIpv6Table() {
        NftablesFirewall fw = new NftablesFirewall(nft, true, true);
        assertThat(fw.ensure(DUAL)).isTrue();

        assertThat(nftRules6("postrtg")).containsExactly(
                "meta mark 0x00004000 return",
                "ip6 saddr fc00:5:0:3a::/64 ip6 daddr fc00:5::/48 return",
                "ip6 saddr fc00:5::/48 ip6 daddr fc00:5:0:3a::/64 return",
                "ip6 saddr != fc00:5:0:3a::/64 ip6 daddr fc00:5::/48 return",
                "ip6 saddr fc00:5::/48 ip6 daddr != ff00::/8 masquerade fully-random",
                "ip6 saddr != fc00:5::/48 ip6 daddr fc00:5::/48 masquerade fully-random");
        assertThat(nftRules6("forward")).containsExactly("ip6 saddr fc00:5::/48 accept", "ip6 daddr fc00:5::/48 accept");
        assertThat(nftList("table", "ip6", "flannel-ipv6")).contains("type nat hook postrouting priority srcnat",
                "type filter hook forward priority filter", "comment \"chain to manage traffic masquerading by flannel\"");
        assertThat(nftRules("postrtg")).hasSize(6);
        assertThat(fw.ensure(DUAL)).as("a second ensure finds everything in place (the ip6 rules read back as written)").isFalse();

        List<String> masq6 = nftRules6("postrtg");
        host.execOk("nft", "delete", "chain", "ip6", "flannel-ipv6", "forward");
        host.execOk("nft", "flush", "chain", "ip6", "flannel-ipv6", "postrtg");
        fw.recheck(DUAL);
        assertThat(nftRules6("postrtg")).isEqualTo(masq6);
        assertThat(nftRules6("forward")).hasSize(2);
    }

    @Test
    void nftablesRulesAreFlannelsTablesChainsAndRules() throws Exception {
        NftablesFirewall fw = new NftablesFirewall(nft, true, true);

        assertThat(fw.ensure(SCOPE)).isTrue();

        assertThat(tables()).containsExactlyInAnyOrder("ip flannel-ipv4", "ip6 flannel-ipv6");
        JsonNode postrtg = chainJson("postrtg");
        assertThat(postrtg.path("type").asText()).isEqualTo("nat");
        assertThat(postrtg.path("hook").asText()).isEqualTo("postrouting");
        assertThat(postrtg.path("prio").asInt()).isEqualTo(100);
        JsonNode forward = chainJson("forward");
        assertThat(forward.path("type").asText()).isEqualTo("filter");
        assertThat(forward.path("hook").asText()).isEqualTo("forward");
        assertThat(forward.path("prio").asInt()).isEqualTo(0);
        // nft's own text listing: prints the mark in full width
        assertThat(nftRules("postrtg")).containsExactly(
                "meta mark 0x00004000 return",
                "ip saddr 10.5.72.0/24 ip daddr 10.5.0.0/16 return",
                "ip saddr 10.5.0.0/16 ip daddr 10.5.72.0/24 return",
                "ip saddr != 10.5.72.0/24 ip daddr 10.5.0.0/16 return",
                "ip saddr 10.5.0.0/16 ip daddr != 224.0.0.0/4 masquerade fully-random",
                "ip saddr != 10.5.0.0/16 ip daddr 10.5.0.0/16 masquerade fully-random");
        assertThat(nftRules("forward")).containsExactly("ip saddr 10.5.0.0/16 accept", "ip daddr 10.5.0.0/16 accept");
        String ruleset = nftList("ruleset");
        assertThat(ruleset).contains("comment \"rules for flannel-ipv4\"", "comment \"rules for flannel-ipv6\"",
                "comment \"chain to manage traffic masquerading by flannel\"", "comment \"chain to accept flannel traffic\"");
        assertThat(iptablesS("nat")).doesNotContain("FLANNEL");

        assertThat(fw.ensure(SCOPE)).as("a second ensure finds everything in place").isFalse();
    }

    @Test
    void nftablesRulesDeletedByHandComeBackAtTheRecheck() {
        NftablesFirewall fw = new NftablesFirewall(nft, true, true);
        fw.ensure(SCOPE);
        List<String> masq = nftRules("postrtg");

        // one rule by its handle, the whole forward chain, a stranger's rule in flannel's chain
        String handle = nftListHandles("postrtg").get(2);
        host.execOk("nft", "delete", "rule", "ip", "flannel-ipv4", "postrtg", "handle", handle);
        host.execOk("nft", "delete", "chain", "ip", "flannel-ipv4", "forward");
        host.execOk("nft", "add", "rule", "ip", "flannel-ipv4", "postrtg", "ip", "saddr", "10.9.0.0/16", "counter", "accept");
        assertThat(nftRules("postrtg")).hasSize(6).isNotEqualTo(masq);

        fw.recheck(SCOPE);

        assertThat(nftRules("postrtg")).isEqualTo(masq);
        assertThat(nftRules("forward")).containsExactly("ip saddr 10.5.0.0/16 accept", "ip daddr 10.5.0.0/16 accept");

        host.execOk("nft", "delete", "table", "ip", "flannel-ipv4");
        host.execOk("nft", "delete", "table", "ip6", "flannel-ipv6");
        fw.recheck(SCOPE);
        assertThat(nftRules("postrtg")).isEqualTo(masq);
        assertThat(nftList("tables")).contains("table ip6 flannel-ipv6");
    }

    @Test
    void aNewLeaseRewritesTheMasqueradeChain() {
        NftablesFirewall fw = new NftablesFirewall(nft, true, false);
        fw.ensure(SCOPE);
        assertThat(fw.ensure(RuleScope.ipv4(NETWORK, Ip4Net.parse("10.5.9.0/24")))).isTrue();
        assertThat(nftRules("postrtg")).contains("ip saddr 10.5.9.0/24 ip daddr 10.5.0.0/16 return")
                .noneMatch(r -> r.contains("10.5.72.0"));
        assertThat(nftList("table", "ip", "flannel-ipv4")).doesNotContain("chain forward");
    }

    /** The handles of a chain's rules, in order ({@code nft -a}). */
    private List<String> nftListHandles(String chain) {
        List<String> handles = new ArrayList<>();
        for (String line : host.execOk("nft", "-a", "list", "chain", "ip", "flannel-ipv4", chain).split("\n")) {
            int i = line.indexOf("# handle ");
            if (i >= 0 && !line.contains("chain ")) {
                handles.add(line.substring(i + "# handle ".length()).strip());
            }
        }
        return handles;
    }

    @Test
    void switchingFromIptablesToNftablesRemovesTheIptablesChainsAndJumps() throws Exception {
        new TrafficManagers(iptables, nft).start(false, true, true).ensure(SCOPE);
        assertThat(iptablesS("nat")).contains("-N FLANNEL-POSTRTG", "-j FLANNEL-POSTRTG");
        assertThat(iptablesS("filter")).contains("-N FLANNEL-FWD", "-j FLANNEL-FWD");
        // an unrelated chain of someone else stays
        host.execOk("iptables", "-t", "nat", "-N", "OTHER");

        TrafficManager chosen = new TrafficManagers(iptables, nft).start(true, true, true);
        assertThat(chosen).isInstanceOf(NftablesFirewall.class);
        chosen.ensure(SCOPE);

        assertThat(iptablesS("nat")).doesNotContain("FLANNEL").contains("-N OTHER");
        assertThat(iptablesS("filter")).doesNotContain("FLANNEL");
        assertThat(tables()).contains("ip flannel-ipv4", "ip6 flannel-ipv6");
    }

    @Test
    void switchingFromNftablesToIptablesDeletesFlannelsTables() throws Exception {
        new TrafficManagers(iptables, nft).start(true, true, true).ensure(SCOPE);
        host.execOk("nft", "add", "table", "ip", "other");
        assertThat(tables()).contains("ip flannel-ipv4", "ip6 flannel-ipv6");

        TrafficManager chosen = new TrafficManagers(iptables, nft).start(false, true, true);
        assertThat(chosen).isInstanceOf(OverlayFirewall.class);
        chosen.ensure(SCOPE);

        assertThat(tables()).doesNotContain("ip flannel-ipv4", "ip6 flannel-ipv6").contains("ip other");
        assertThat(iptablesS("nat")).contains("-A POSTROUTING -m comment --comment \"flanneld masq\" -j FLANNEL-POSTRTG");
    }

    @Test
    void ipMasqFullyRandomDisableMasqueradesWithoutRandomPortsInBothTools() {
        new TrafficManagers(iptables, nft).start(false, true, true).ensure(SCOPE);
        assertThat(iptablesS("nat")).contains("--random-fully");
        new TrafficManagers(iptables, nft).start(false, true, true, false).ensure(SCOPE);
        assertThat(iptablesS("nat")).contains("-j MASQUERADE").doesNotContain("--random-fully");

        new TrafficManagers(iptables, nft).start(true, true, true).ensure(SCOPE);
        assertThat(nftRules("postrtg")).anyMatch(r -> r.contains("fully-random"));
        new TrafficManagers(iptables, nft).start(true, true, true, false).ensure(SCOPE);
        assertThat(nftRules("postrtg")).anyMatch(r -> r.contains("masquerade")).noneMatch(r -> r.contains("fully-random"));
    }

    @Test
    void iptablesRulesDeletedByHandComeBackAtTheRecheck() {
        TrafficManager fw = new TrafficManagers(iptables, nft).start(false, true, true);
        fw.ensure(SCOPE);
        String before = iptablesS("nat");
        host.execOk("iptables", "-t", "nat", "-D", "FLANNEL-POSTRTG", "-s", "10.5.0.0/16", "!", "-d", "224.0.0.0/4",
                "-m", "comment", "--comment", "flanneld masq", "-j", "MASQUERADE", "--random-fully");
        host.execOk("iptables", "-t", "filter", "-F", "FLANNEL-FWD");
        assertThat(iptablesS("nat")).isNotEqualTo(before);

        fw.recheck(SCOPE);

        assertThat(iptablesS("nat")).isEqualTo(before);
        assertThat(iptablesS("filter")).contains("-A FLANNEL-FWD -s 10.5.0.0/16 -m comment --comment \"flanneld forward\" -j ACCEPT");
    }
}
