package io.javaoverlay.core.firewall;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The agent's firewall duty with nftables ({@code "EnableNFTables": true} in the network config):
 * flannel's {@code ip flannel-ipv4} table with its {@code postrtg} (ip-masq) and {@code forward}
 * chains, see {@link NftablesRules}, and with {@code EnableIPv6} the same chains in
 * {@code ip6 flannel-ipv6}. Needs only the {@code nft} binary, so it runs on hosts that
 * have no iptables at all.
 *
 * <p>Unlike flanneld, which writes its nftables rules once, the periodic check
 * ({@code --iptables-resync}) reads them back and rewrites a chain that lost or changed rules, as
 * the iptables path does. The tables stay when the agent stops, like the iptables rules.
 */
public final class NftablesFirewall implements TrafficManager {

    private static final Logger LOG = LoggerFactory.getLogger(NftablesFirewall.class);
    private static final String IPV4 = "ip " + NftablesRules.IPV4_TABLE;
    private static final String IPV6 = "ip6 " + NftablesRules.IPV6_TABLE;

    private final Nft nft;
    private final boolean ipMasq;
    private final boolean forward;
    /** What the kernel and nft take, asked at the first {@link #ensure}; null before. */
    private Support support;
    /** Whether the last {@link #ensure} covered IPv6 too, for {@link #toString}. */
    private boolean lastWithIpv6;

    private record Support(boolean comments, boolean fullyRandom) {}

    /** False with {@code --ip-masq-fully-random-disable}: masquerade without {@code fully-random}. */
    private final boolean allowFullyRandom;

    public NftablesFirewall(Nft nft, boolean ipMasq, boolean forward) {
        this(nft, ipMasq, forward, true);
    }

    /** @param allowFullyRandom false for {@code --ip-masq-fully-random-disable} */
    public NftablesFirewall(Nft nft, boolean ipMasq, boolean forward, boolean allowFullyRandom) {
        this.nft = nft;
        this.ipMasq = ipMasq;
        this.forward = forward;
        this.allowFullyRandom = allowFullyRandom;
    }

    @Override
    public String tool() {
        return "nftables";
    }

    @Override
    public boolean isEnabled() {
        return ipMasq || forward;
    }

    @Override
    public boolean ensure(RuleScope scope) {
        Support s = support();
        List<String> script = new ArrayList<>();
        List<String> tables = nft.tables();
        // both tables exist from the start, as flanneld's Init makes them (the IPv6 one stays empty without EnableIPv6)
        for (String table : List.of(IPV4, IPV6)) {
            if (!tables.contains(table)) {
                LOG.info("nftables table {}: adding it", table);
                script.add(addTable(table, s.comments()));
            }
        }
        List<JsonNode> listing = tables.contains(IPV4) ? nft.listTable("ip", NftablesRules.IPV4_TABLE).orElse(List.of()) : List.of();
        if (ipMasq && scope.hasIpv4()) { // IPv6-only: the ip table stays empty, as flanneld's with EnableIPv4: false
            chain(NftablesRules.masqChain(), NftablesRules.masqRules(scope.network(), scope.lease(), s.fullyRandom()), listing, s, script);
        }
        if (forward && scope.hasIpv4()) {
            chain(NftablesRules.forwardChain(), NftablesRules.forwardRules(scope.network()), listing, s, script);
        }
        lastWithIpv6 = scope.hasIpv6();
        if (scope.hasIpv6()) {
            List<JsonNode> listing6 = tables.contains(IPV6) ? nft.listTable("ip6", NftablesRules.IPV6_TABLE).orElse(List.of()) : List.of();
            if (ipMasq) {
                chain(NftablesRules.masqChain6(), NftablesRules.masqRules6(scope.ipv6Network().get(), scope.ipv6Lease().get(),
                        s.fullyRandom()), listing6, s, script);
            }
            if (forward) {
                chain(NftablesRules.forwardChain6(), NftablesRules.forwardRules6(scope.ipv6Network().get()), listing6, s, script);
            }
        }
        if (script.isEmpty()) {
            return false;
        }
        nft.apply(String.join("\n", script) + "\n");
        return true;
    }

    private static void chain(NftChain chain, List<String> rules, List<JsonNode> listing, Support s, List<String> script) {
        Optional<String> difference = chain.difference(listing, rules);
        if (difference.isEmpty()) {
            return;
        }
        boolean recreate = listing.stream().map(o -> o.get("chain"))
                .anyMatch(c -> c != null && chain.name().equals(c.path("name").asText()) && !chain.baseDiffers(c).isEmpty());
        LOG.info("nftables chain {} {} {}: rewriting ({})", chain.family(), chain.table(), chain.name(), difference.get());
        String table = chain.family() + " " + chain.table();
        if (!script.contains(addTable(table, s.comments()))) {
            script.add(addTable(table, s.comments())); // harmless when it exists; the chain needs it
        }
        script.addAll(chain.script(rules, recreate, s.comments()));
    }

    private static String addTable(String familyAndName, boolean comments) {
        String name = familyAndName.substring(familyAndName.indexOf(' ') + 1);
        return "add table " + familyAndName + (comments ? " { comment \"" + NftablesRules.tableComment(name) + "\" ; }" : "");
    }

    /**
     * Asks nft, without changing anything, whether comments on tables and chains (kernel 5.10 and
     * newer) and {@code masquerade fully-random} are taken, as flannel's knftables and its
     * fully-random probe do; a kernel without either gets the rules without it.
     */
    private Support support() {
        if (support == null) {
            String table = "add table " + IPV4;
            boolean comments = nft.accepts(table + " { comment \"probe\" ; }\n");
            if (!comments && !nft.accepts(table + "\n")) {
                throw new NftablesException("nft --check -f - (" + table + ")", 1,
                        "nft cannot make a table here; is the nf_tables kernel module available, and is this run as root?");
            }
            boolean fullyRandom = ipMasq && allowFullyRandom && nft.accepts(table + "\nadd chain " + IPV4 + " masqueradeTest"
                    + " { type nat hook postrouting priority 100 ; }\nadd rule " + IPV4 + " masqueradeTest ip saddr != 127.0.0.1 "
                    + NftablesRules.masquerade(true) + "\n");
            if (ipMasq && allowFullyRandom && !fullyRandom) {
                LOG.warn("nftables: masquerade fully-random is not supported here; masquerading without it");
            }
            support = new Support(comments, fullyRandom);
        }
        return support;
    }

    @Override
    public void recheck(RuleScope scope) {
        try {
            if (ensure(scope)) {
                LOG.warn("nftables rules for {} were missing or changed; restored them", scope);
            }
        } catch (FirewallException e) {
            LOG.error("cannot check the nftables rules: {}", e.getMessage());
        }
    }

    /**
     * Deletes flannel's two tables, as flanneld does when it starts in iptables mode. Without an
     * nft binary there is nothing to delete.
     */
    @Override
    public void cleanUp() {
        List<String> tables;
        try {
            tables = nft.tables();
        } catch (NftablesException e) {
            if (e.exitStatus() == NftablesException.NOT_RUN) {
                LOG.info("nft is not installed: no nftables rules to remove");
            } else {
                LOG.warn("cannot list the nftables tables, so flannel's are left as they are: {}", e.getMessage());
            }
            return;
        }
        for (String table : List.of(IPV4, IPV6)) {
            if (tables.contains(table)) {
                try {
                    nft.apply("delete table " + table + "\n");
                    LOG.info("removed the nftables table {}", table);
                } catch (NftablesException e) {
                    LOG.warn("cannot remove the nftables table {}: {}", table, e.getMessage());
                }
            }
        }
    }

    @Override
    public String toString() {
        return (ipMasq ? "ip-masq (" + IPV4 + " " + NftablesRules.MASQ_CHAIN
                + (support != null && support.fullyRandom() ? ", fully-random" : "") + ")" : "no ip-masq")
                + ", " + (forward ? "forward rules (" + IPV4 + " " + NftablesRules.FORWARD_CHAIN + ")" : "no forward rules")
                + (lastWithIpv6 && isEnabled() ? ", the same in " + IPV6 : "");
    }
}
