package io.javaoverlay.core.firewall;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A base chain this program owns in one of its nftables tables, hooked into the kernel directly
 * (nftables needs no jump from a built-in chain), holding an ordered list of rules written as nft
 * text ({@code ip saddr 10.5.0.0/16 accept}).
 *
 * <p>Like {@link RuleChain}, the chain is compared with what is wanted and rewritten whole when it
 * differs; unlike iptables, the rewrite is one nft transaction (add table, add chain, flush chain,
 * add every rule), so packets never meet a half-written chain.
 *
 * @param family   {@code ip} or {@code ip6}
 * @param table    e.g. {@code flannel-ipv4}
 * @param name     e.g. {@code postrtg}
 * @param type     e.g. {@code nat}
 * @param hook     e.g. {@code postrouting}
 * @param priority e.g. 100 (srcnat)
 * @param comment  what the chain is for, shown by {@code nft list}
 */
public record NftChain(String family, String table, String name, String type, String hook, int priority, String comment) {

    public NftChain {
        for (String s : new String[] {family, table, name, type, hook, comment}) {
            if (s == null || s.isBlank() || s.indexOf('"') >= 0) {
                throw new IllegalArgumentException("an nftables chain needs family, table, name, type, hook and comment without quotes");
            }
        }
    }

    /**
     * Why the chain in {@code listing} (the objects of its table, as {@link Nft#listTable} gives
     * them) is not as wanted, or empty when it is.
     */
    Optional<String> difference(List<JsonNode> listing, List<String> rules) {
        Optional<JsonNode> chain = listing.stream().map(o -> o.get("chain")).filter(c -> c != null && isThis(c)).findFirst();
        if (chain.isEmpty()) {
            return Optional.of("missing");
        }
        if (!baseDiffers(chain.get()).isEmpty()) {
            return Optional.of(baseDiffers(chain.get()));
        }
        List<String> present = rules(listing);
        if (!present.equals(rules)) {
            return Optional.of(present.size() + " rules present, " + rules.size() + " wanted"
                    + (present.size() == rules.size() ? ", not the same" : ""));
        }
        return Optional.empty();
    }

    /** The chain's rules in {@code listing}, as text. */
    List<String> rules(List<JsonNode> listing) {
        List<String> present = new ArrayList<>();
        for (JsonNode o : listing) {
            JsonNode r = o.get("rule");
            if (r != null && isThis(r.path("chain").asText(), r)) {
                present.add(NftRuleText.of(r.path("expr")));
            }
        }
        return present;
    }

    /**
     * The nft script lines that make the chain hold exactly {@code rules}; {@code recreate} first
     * deletes a chain whose type, hook or priority is wrong (nft cannot change those in place).
     */
    List<String> script(List<String> rules, boolean recreate, boolean comments) {
        List<String> lines = new ArrayList<>();
        String ref = family + " " + table + " " + name;
        if (recreate) {
            lines.add("flush chain " + ref);
            lines.add("delete chain " + ref);
        }
        lines.add("add chain " + ref + " { type " + type + " hook " + hook + " priority " + priority + " ;"
                + (comments ? " comment \"" + comment + "\" ;" : "") + " }");
        lines.add("flush chain " + ref);
        for (String rule : rules) {
            lines.add("add rule " + ref + " " + rule);
        }
        return lines;
    }

    /** What is wrong with the chain's type, hook or priority; empty when nothing is. */
    String baseDiffers(JsonNode chain) {
        if (!type.equals(chain.path("type").asText()) || !hook.equals(chain.path("hook").asText())
                || priority != chain.path("prio").asInt(Integer.MIN_VALUE)) {
            return "type " + chain.path("type").asText() + " hook " + chain.path("hook").asText() + " priority "
                    + chain.path("prio").asText() + ", wanted type " + type + " hook " + hook + " priority " + priority;
        }
        return "";
    }

    private boolean isThis(JsonNode chain) {
        return isThis(chain.path("name").asText(), chain);
    }

    private boolean isThis(String chainName, JsonNode object) {
        return name.equals(chainName) && family.equals(object.path("family").asText()) && table.equals(object.path("table").asText());
    }
}
