package io.javaoverlay.core.firewall;

import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A chain this program owns, jumped to from a built-in chain, holding an ordered list of rules.
 *
 * <p>Order matters (the RETURN rules must come before MASQUERADE), and iptables cannot move a
 * rule, so {@link #ensure} checks every rule and, when one is missing or the chain holds
 * anything else, rewrites the whole chain. The jump is inserted at the head of the built-in
 * chain so other programs' rules (Docker's FORWARD DROP policy, kube-proxy) cannot shadow it.
 */
public final class RuleChain {

    private static final Logger LOG = LoggerFactory.getLogger(RuleChain.class);

    private final Iptables iptables;
    private final Rule jump;

    /**
     * @param table   e.g. {@code nat}
     * @param parent  the built-in chain that jumps here, e.g. {@code POSTROUTING}
     * @param name    this chain, e.g. {@code FLANNEL-POSTRTG}
     * @param comment a comment on the jump, so operators see who added it
     */
    public RuleChain(Iptables iptables, String table, String parent, String name, String comment) {
        this.iptables = iptables;
        this.jump = Rule.of(table, parent, "-m", "comment", "--comment", comment, "-j", name);
    }

    public String table() {
        return jump.table();
    }

    public String name() {
        return jump.spec().get(jump.spec().size() - 1);
    }

    /**
     * Makes the chain hold exactly {@code rules}, in order, and the parent jump to it.
     * Returns true when anything had to change.
     */
    public boolean ensure(List<Rule> rules) {
        for (Rule r : rules) {
            if (!r.table().equals(table()) || !r.chain().equals(name())) {
                throw new IllegalArgumentException("rule " + r + " does not belong to chain " + name());
            }
        }
        boolean changed = false;
        iptables.ensureChain(table(), name());
        List<String> present = iptables.listRules(table(), name());
        if (!matches(present, rules)) {
            LOG.info("{} chain {}: rewriting ({} rules present, {} wanted)", table(), name(), present.size(), rules.size());
            iptables.flushChain(table(), name());
            for (Rule r : rules) {
                iptables.append(r);
            }
            changed = true;
        }
        if (!iptables.exists(jump)) {
            LOG.info("{} chain {}: adding the jump from {}", table(), name(), jump.chain());
            iptables.insertFirst(jump);
            changed = true;
        }
        return changed;
    }

    /** Removes the jump and the chain; what is already gone is not an error. */
    public void remove() {
        iptables.deleteIfExists(jump);
        iptables.deleteChainIfExists(table(), name());
    }

    /**
     * True when the chain holds exactly these rules in this order, compared in the form
     * {@code iptables -S} prints. Rules are written in that canonical form (see
     * {@link Rule#toSaveFormat()}); a rule iptables would print differently shows up as a
     * rewrite on every check, which the tests catch.
     */
    private static boolean matches(List<String> present, List<Rule> wanted) {
        return present.equals(wanted.stream().map(Rule::toSaveFormat).toList());
    }
}
