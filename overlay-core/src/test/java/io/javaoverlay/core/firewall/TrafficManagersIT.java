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

    @RegisterExtension
    final TestNetwork net = TestNetwork.namespacesOnly();

    private TestNamespace host;
    private Iptables iptables;
    private Nft nft;

    @BeforeEach
    void host() {
        Requirements.check().root().command("nft", "nftables").command("iptables", "iptables").orAbort();
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

    /** The rule lines of a chain as {@code nft list chain} prints them, indentation removed. */
    private List<String> nftRules(String chain) {
        List<String> rules = new ArrayList<>();
        for (String line : nftList("chain", "ip", "flannel-ipv4", chain).split("\n")) {
            String l = line.strip();
            if (l.startsWith("ip ") || l.startsWith("meta ")) {
                rules.add(l);
            }
        }
        return rules;
    }

    private String iptablesS(String table) {
        return host.execOk("iptables", "-t", table, "-S");
    }

    @Test
    void nftablesRulesAreFlannelsTablesChainsAndRules() throws Exception {
        NftablesFirewall fw = new NftablesFirewall(nft, true, true);

        assertThat(fw.ensure(NETWORK, LEASE)).isTrue();

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

        assertThat(fw.ensure(NETWORK, LEASE)).as("a second ensure finds everything in place").isFalse();
    }

    @Test
    void nftablesRulesDeletedByHandComeBackAtTheRecheck() {
        NftablesFirewall fw = new NftablesFirewall(nft, true, true);
        fw.ensure(NETWORK, LEASE);
        List<String> masq = nftRules("postrtg");

        // one rule by its handle, the whole forward chain, a stranger's rule in flannel's chain
        String handle = nftListHandles("postrtg").get(2);
        host.execOk("nft", "delete", "rule", "ip", "flannel-ipv4", "postrtg", "handle", handle);
        host.execOk("nft", "delete", "chain", "ip", "flannel-ipv4", "forward");
        host.execOk("nft", "add", "rule", "ip", "flannel-ipv4", "postrtg", "ip", "saddr", "10.9.0.0/16", "counter", "accept");
        assertThat(nftRules("postrtg")).hasSize(6).isNotEqualTo(masq);

        fw.recheck(NETWORK, LEASE);

        assertThat(nftRules("postrtg")).isEqualTo(masq);
        assertThat(nftRules("forward")).containsExactly("ip saddr 10.5.0.0/16 accept", "ip daddr 10.5.0.0/16 accept");

        host.execOk("nft", "delete", "table", "ip", "flannel-ipv4");
        host.execOk("nft", "delete", "table", "ip6", "flannel-ipv6");
        fw.recheck(NETWORK, LEASE);
        assertThat(nftRules("postrtg")).isEqualTo(masq);
        assertThat(nftList("tables")).contains("table ip6 flannel-ipv6");
    }

    @Test
    void aNewLeaseRewritesTheMasqueradeChain() {
        NftablesFirewall fw = new NftablesFirewall(nft, true, false);
        fw.ensure(NETWORK, LEASE);
        assertThat(fw.ensure(NETWORK, Ip4Net.parse("10.5.9.0/24"))).isTrue();
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
        new TrafficManagers(iptables, nft).start(false, true, true).ensure(NETWORK, LEASE);
        assertThat(iptablesS("nat")).contains("-N FLANNEL-POSTRTG", "-j FLANNEL-POSTRTG");
        assertThat(iptablesS("filter")).contains("-N FLANNEL-FWD", "-j FLANNEL-FWD");
        // an unrelated chain of someone else stays
        host.execOk("iptables", "-t", "nat", "-N", "OTHER");

        TrafficManager chosen = new TrafficManagers(iptables, nft).start(true, true, true);
        assertThat(chosen).isInstanceOf(NftablesFirewall.class);
        chosen.ensure(NETWORK, LEASE);

        assertThat(iptablesS("nat")).doesNotContain("FLANNEL").contains("-N OTHER");
        assertThat(iptablesS("filter")).doesNotContain("FLANNEL");
        assertThat(tables()).contains("ip flannel-ipv4", "ip6 flannel-ipv6");
    }

    @Test
    void switchingFromNftablesToIptablesDeletesFlannelsTables() throws Exception {
        new TrafficManagers(iptables, nft).start(true, true, true).ensure(NETWORK, LEASE);
        host.execOk("nft", "add", "table", "ip", "other");
        assertThat(tables()).contains("ip flannel-ipv4", "ip6 flannel-ipv6");

        TrafficManager chosen = new TrafficManagers(iptables, nft).start(false, true, true);
        assertThat(chosen).isInstanceOf(OverlayFirewall.class);
        chosen.ensure(NETWORK, LEASE);

        assertThat(tables()).doesNotContain("ip flannel-ipv4", "ip6 flannel-ipv6").contains("ip other");
        assertThat(iptablesS("nat")).contains("-A POSTROUTING -m comment --comment \"flanneld masq\" -j FLANNEL-POSTRTG");
    }

    @Test
    void ipMasqFullyRandomDisableMasqueradesWithoutRandomPortsInBothTools() {
        new TrafficManagers(iptables, nft).start(false, true, true).ensure(NETWORK, LEASE);
        assertThat(iptablesS("nat")).contains("--random-fully");
        new TrafficManagers(iptables, nft).start(false, true, true, false).ensure(NETWORK, LEASE);
        assertThat(iptablesS("nat")).contains("-j MASQUERADE").doesNotContain("--random-fully");

        new TrafficManagers(iptables, nft).start(true, true, true).ensure(NETWORK, LEASE);
        assertThat(nftRules("postrtg")).anyMatch(r -> r.contains("fully-random"));
        new TrafficManagers(iptables, nft).start(true, true, true, false).ensure(NETWORK, LEASE);
        assertThat(nftRules("postrtg")).anyMatch(r -> r.contains("masquerade")).noneMatch(r -> r.contains("fully-random"));
    }

    @Test
    void iptablesRulesDeletedByHandComeBackAtTheRecheck() {
        TrafficManager fw = new TrafficManagers(iptables, nft).start(false, true, true);
        fw.ensure(NETWORK, LEASE);
        String before = iptablesS("nat");
        host.execOk("iptables", "-t", "nat", "-D", "FLANNEL-POSTRTG", "-s", "10.5.0.0/16", "!", "-d", "224.0.0.0/4",
                "-m", "comment", "--comment", "flanneld masq", "-j", "MASQUERADE", "--random-fully");
        host.execOk("iptables", "-t", "filter", "-F", "FLANNEL-FWD");
        assertThat(iptablesS("nat")).isNotEqualTo(before);

        fw.recheck(NETWORK, LEASE);

        assertThat(iptablesS("nat")).isEqualTo(before);
        assertThat(iptablesS("filter")).contains("-A FLANNEL-FWD -s 10.5.0.0/16 -m comment --comment \"flanneld forward\" -j ACCEPT");
    }
}
