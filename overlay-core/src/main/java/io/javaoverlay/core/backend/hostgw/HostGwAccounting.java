package io.javaoverlay.core.backend.hostgw;

import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.javaoverlay.core.firewall.Iptables;
import io.javaoverlay.core.firewall.IptablesException;
import io.javaoverlay.core.firewall.Rule;
import io.javaoverlay.core.firewall.RuleChain;
import io.javaoverlay.core.metrics.BackendStats;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.Ip6Net;

/**
 * host-gw's traffic counters. The backend has no device of its own to read counters from (its
 * packets leave through the external interface with everything else), so it counts them itself:
 * two iptables chains in the {@code mangle} table, each holding one rule without a target, which
 * only counts and lets the packet go on unchanged.
 *
 * <ul>
 *   <li>{@value #TX_CHAIN}, jumped to first from POSTROUTING: {@code -d <network> -o <external
 *       interface>}, packets routed to a peer's subnet (this host's own subnet is on its bridge,
 *       never routed out of the external interface). Forwarded container traffic and the host's own
 *       both pass POSTROUTING; mangle comes before nat, so the count is taken before any masquerade.</li>
 *   <li>{@value #RX_CHAIN}, jumped to first from PREROUTING: {@code -s <network> -i <external
 *       interface>}, packets from a peer's subnet arriving from the underlay.</li>
 * </ul>
 *
 * <p>Why not route realms ({@code ip route ... realm N}, read from {@code /proc/net/rt_acct}):
 * measured on this project's kernels, the counters do move for forwarded traffic, but there is one
 * set for the whole machine, not one per network namespace, so hosts in namespaces (the tests; a
 * node running other netns users of realms) would add up into each other; a realm on the routes
 * also changes the routes flannel and operators compare, and makes the kernel do a full
 * reverse-path lookup, without its route cache, for every packet it receives. The counters of rules the agent installs anyway (FLANNEL-FWD) are
 * not it either: they only exist with {@code --iptables-forward-rules}, count container traffic to
 * the outside as well, and miss the host's own.
 *
 * <p>Each family the network has gets its pair of chains: in iptables for {@code Network}, in
 * ip6tables for {@code IPv6Network} (the same names and rules, the IPv6 network in them). A
 * dual-stack host's counters are the sum of both, as vxlan's are of its two devices; an IPv6-only
 * network's are ip6tables' alone.
 *
 * <p>Drops and errors are not counted: the kernel does not tell them apart per destination for a
 * plain route. The chains stay when the agent stops, like the other rules; a restart keeps counting.
 */
final class HostGwAccounting {

    private static final Logger LOG = LoggerFactory.getLogger(HostGwAccounting.class);

    static final String TX_CHAIN = "JAVAOVERLAY-HOSTGW-TX";
    static final String RX_CHAIN = "JAVAOVERLAY-HOSTGW-RX";
    private static final String TABLE = "mangle";
    private static final String JUMP_COMMENT = "javaoverlay host-gw accounting";

    /** One family's chains: iptables' for the IPv4 network, or ip6tables' for the IPv6 one. */
    private record Family(Iptables iptables, RuleChain tx, RuleChain rx, List<Rule> txRules, List<Rule> rxRules) {

        static Family of(Iptables iptables, String network, String externalInterface) {
            // in the order iptables -S prints the options, so RuleChain recognises them as present
            return new Family(iptables,
                    new RuleChain(iptables, TABLE, "POSTROUTING", TX_CHAIN, JUMP_COMMENT),
                    new RuleChain(iptables, TABLE, "PREROUTING", RX_CHAIN, JUMP_COMMENT),
                    List.of(Rule.of(TABLE, TX_CHAIN, "-d", network, "-o", externalInterface,
                            "-m", "comment", "--comment", "javaoverlay host-gw to peers")),
                    List.of(Rule.of(TABLE, RX_CHAIN, "-s", network, "-i", externalInterface,
                            "-m", "comment", "--comment", "javaoverlay host-gw from peers")));
        }
    }

    private final List<Family> families = new ArrayList<>();
    private String lastProblem;

    /**
     * @param iptables iptables of this host; its {@link Iptables#ipv6() ip6tables} twin counts the IPv6 network
     * @param network  the IPv4 network, empty in an IPv6-only network
     * @param network6 the IPv6 network, empty without EnableIPv6
     */
    HostGwAccounting(Iptables iptables, Optional<Ip4Net> network, Optional<Ip6Net> network6, String externalInterface) {
        network.ifPresent(n -> families.add(Family.of(iptables, n.toString(), externalInterface)));
        network6.ifPresent(n -> families.add(Family.of(iptables.ipv6(), n.toString(), externalInterface)));
    }

    /** Installs or repairs the chains of every family; true when anything changed. */
    boolean ensure() {
        boolean changed = false;
        for (Family f : families) {
            changed |= f.tx().ensure(f.txRules());
            changed |= f.rx().ensure(f.rxRules());
        }
        return changed;
    }

    /**
     * The counters now, summed over the families. A chain someone flushed reads as 0 until
     * {@link #ensure} restores it, which Prometheus takes as a counter reset.
     */
    BackendStats read() {
        long[] pb = new long[4];
        for (Family f : families) {
            for (Iptables.Counted c : f.iptables().counters(TABLE)) { // one run per family for both chains
                if (c.isIn(TX_CHAIN)) {
                    pb[0] += c.packets();
                    pb[1] += c.bytes();
                } else if (c.isIn(RX_CHAIN)) {
                    pb[2] += c.packets();
                    pb[3] += c.bytes();
                }
            }
        }
        return BackendStats.of(pb[0], pb[1], pb[2], pb[3]);
    }

    /** {@link #ensure} for the periodic check: a failure is logged when it first happens, never thrown. */
    void recheck() {
        try {
            if (ensure()) {
                LOG.warn("the host-gw accounting chains {} and {} were missing or changed; restored them", TX_CHAIN, RX_CHAIN);
            }
            lastProblem = null;
        } catch (IptablesException | UncheckedIOException e) {
            if (!e.getMessage().equals(lastProblem)) {
                LOG.warn("cannot check the host-gw accounting chains (traffic metrics stay at what they were): {}", e.getMessage());
                lastProblem = e.getMessage();
            }
        }
    }
}
