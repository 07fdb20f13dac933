package io.javaoverlay.core.firewall;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the {@code iptables} (or {@code ip6tables}) command, as flannel does through go-iptables: the command picks
 * the right backend (nft or legacy) for the host, which a hand-written netfilter client would
 * have to guess.
 *
 * <p>{@code commandPrefix} lets tests run the same code against a namespace they made
 * ({@code ip netns exec NAME}); the agent runs inside its host's namespace and uses none.
 */
public final class Iptables {

    private static final Logger LOG = LoggerFactory.getLogger(Iptables.class);

    /** Seconds to wait for the xtables lock that kube-proxy, Docker and others also take. */
    private static final String LOCK_WAIT_SECONDS = "5";

    /** iptables' exit status for "rule/chain does not exist" (also "bad rule" for -C). */
    private static final int EXIT_NOT_FOUND = 1;

    private final List<String> commandPrefix;
    /** {@code iptables}, or {@code ip6tables} for the IPv6 tables (the same options, the same output). */
    private final String binary;

    public Iptables(List<String> commandPrefix) {
        this(commandPrefix, "iptables");
    }

    private Iptables(List<String> commandPrefix, String binary) {
        this.commandPrefix = List.copyOf(commandPrefix);
        this.binary = binary;
    }

    /** iptables in the caller's own network namespace. */
    public static Iptables local() {
        return new Iptables(List.of());
    }

    /** {@code ip6tables} run the same way (same namespace, same prefix): the IPv6 tables. */
    public Iptables ipv6() {
        return new Iptables(commandPrefix, "ip6tables");
    }

    /** {@code iptables} or {@code ip6tables}, for messages. */
    public String binary() {
        return binary;
    }

    public boolean exists(Rule rule) {
        return run(false, rule.table(), "-C", rule.chain(), rule.spec()).status() == 0;
    }

    public void append(Rule rule) {
        run(true, rule.table(), "-A", rule.chain(), rule.spec());
    }

    /** Inserts at the head of the chain, so the rule runs before anything others added. */
    public void insertFirst(Rule rule) {
        List<String> args = new ArrayList<>();
        args.add("1");
        args.addAll(rule.spec());
        run(true, rule.table(), "-I", rule.chain(), args);
    }

    /** Deletes the rule; a rule that is not there is not an error. */
    public void deleteIfExists(Rule rule) {
        while (exists(rule)) {
            run(true, rule.table(), "-D", rule.chain(), rule.spec());
        }
    }

    public boolean chainExists(String table, String chain) {
        return run(false, table, "-S", chain, List.of()).status() == 0;
    }

    /** Creates the chain when it does not exist. */
    public void ensureChain(String table, String chain) {
        if (!chainExists(table, chain)) {
            run(true, table, "-N", chain, List.of());
        }
    }

    public void flushChain(String table, String chain) {
        run(true, table, "-F", chain, List.of());
    }

    /** Flushes and deletes the chain; a chain that is not there is not an error. */
    public void deleteChainIfExists(String table, String chain) {
        if (chainExists(table, chain)) {
            run(true, table, "-F", chain, List.of());
            run(true, table, "-X", chain, List.of());
        }
    }

    /** The chain's rules as {@code iptables -S} prints them, without the chain's own {@code -N} line. */
    public List<String> listRules(String table, String chain) {
        ToolProcess.Result r = run(true, table, "-S", chain, List.of());
        List<String> rules = new ArrayList<>();
        for (String line : r.stdout().split("\n")) {
            if (line.startsWith("-A ")) {
                rules.add(line);
            }
        }
        return rules;
    }

    /**
     * The packets and bytes each rule of the table has matched ({@code iptables -t TABLE -S -v}:
     * one run for every chain), in order; the rule text is as {@link #listRules} gives it
     * ({@code -A CHAIN ...}), without the counters.
     */
    public List<Counted> counters(String table) {
        List<String> cmd = new ArrayList<>(commandPrefix);
        cmd.addAll(List.of(binary, "-w", LOCK_WAIT_SECONDS, "-t", table, "-S", "-v"));
        ToolProcess.Result r = exec(cmd);
        if (r.status() != 0) {
            throw new IptablesException(String.join(" ", cmd), r.status(), r.stderr());
        }
        List<Counted> rules = new ArrayList<>();
        for (String line : r.stdout().split("\n")) {
            if (!line.startsWith("-A ")) {
                continue;
            }
            java.util.regex.Matcher m = COUNTERS.matcher(line);
            if (m.find()) {
                rules.add(new Counted(m.replaceFirst(""), Long.parseLong(m.group(1)), Long.parseLong(m.group(2))));
            }
        }
        return rules;
    }

    /** Where {@code -v} puts a rule's counters in {@code -S} output: {@code -c PACKETS BYTES}. */
    private static final java.util.regex.Pattern COUNTERS = java.util.regex.Pattern.compile(" -c (\\d+) (\\d+)");

    /** A rule in {@code iptables -S} form and what it matched so far. */
    public record Counted(String rule, long packets, long bytes) {
        /** Whether the rule is in {@code chain}. */
        public boolean isIn(String chain) {
            return rule.startsWith("-A " + chain + " ");
        }
    }

    /**
     * Whether iptables can run here: on {@code PATH} for the caller's own namespace, else whether
     * {@code iptables --version} works through the prefix.
     */
    public boolean isInstalled() {
        if (commandPrefix.isEmpty()) {
            return Executables.onPath(binary).isPresent();
        }
        try {
            version();
            return true;
        } catch (IptablesException | UncheckedIOException e) {
            return false;
        }
    }

    /** {@code iptables --version} (or ip6tables'), e.g. {@code iptables v1.8.9 (nf_tables)}. */
    public String version() {
        List<String> cmd = new ArrayList<>(commandPrefix);
        cmd.add(binary);
        cmd.add("--version");
        ToolProcess.Result r = exec(cmd);
        if (r.status() != 0) {
            throw new IptablesException(String.join(" ", cmd), r.status(), r.stderr());
        }
        return r.stdout().strip();
    }

    private ToolProcess.Result run(boolean check, String table, String op, String chain, List<String> args) {
        List<String> cmd = new ArrayList<>(commandPrefix);
        cmd.add(binary);
        cmd.add("-w");
        cmd.add(LOCK_WAIT_SECONDS);
        cmd.add("-t");
        cmd.add(table);
        cmd.add(op);
        cmd.add(chain);
        cmd.addAll(args);
        ToolProcess.Result r = exec(cmd);
        LOG.debug("{} -> {}", cmd, r.status());
        if (check && r.status() != 0) {
            throw new IptablesException(String.join(" ", cmd), r.status(), r.stderr());
        }
        if (!check && r.status() != 0 && r.status() != EXIT_NOT_FOUND) {
            throw new IptablesException(String.join(" ", cmd), r.status(), r.stderr());
        }
        return r;
    }

    private ToolProcess.Result exec(List<String> cmd) {
        try {
            return ToolProcess.run(cmd, null);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + cmd.get(0) + " (is " + binary + " installed? apt-get install iptables)", e);
        }
    }

}
