package io.javaoverlay.docker.host;

import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.javaoverlay.core.firewall.Iptables;
import io.javaoverlay.core.firewall.Rule;
import io.javaoverlay.core.firewall.RuleChain;
import io.javaoverlay.core.netlink.Errno;
import io.javaoverlay.core.netlink.Links;
import io.javaoverlay.core.netlink.NetlinkException;
import io.javaoverlay.core.netlink.NetlinkSocket;

/**
 * Published ports that answer on the host's loopback ({@code -p 127.0.0.1:8081:80}, and
 * {@code 127.0.0.1:8082} for {@code -p 8082:80}), the way Docker's bridge driver does it
 * without its userland proxy (libnetwork drivers/bridge, setupLoopbackAddressRouting): the host's
 * own connection to 127.0.0.1 is DNATed in OUTPUT to the container, which takes three things:
 *
 * <ol>
 * <li>{@code route_localnet=1} on the bridge: without it the kernel refuses to route a packet
 *     with a 127/8 source out of the bridge, and drops the replies as martians;
 * <li>{@code nat JAVAOVERLAY-LOOPBACK}, jumped to from POSTROUTING: such packets leave the bridge
 *     masqueraded to the gateway address, so the container sees (and answers) a source it can
 *     reach;
 * <li>{@code filter JAVAOVERLAY-LOCALNET}, jumped to first from INPUT: route_localnet would also
 *     let a container address the host's loopback services (a packet to 127.0.0.1 sent to the
 *     bridge's MAC, CVE-2020-8558); a new connection from the bridge to 127/8 is dropped, the
 *     replies of the host's own DNATed connections (ESTABLISHED) pass.
 * </ol>
 *
 * The DNAT jump from OUTPUT then covers loopback destinations too ({@link IptablesPublishedPorts}).
 */
public final class LoopbackPorts {

    private static final Logger LOG = LoggerFactory.getLogger(LoopbackPorts.class);

    public static final String MASQ_CHAIN = "JAVAOVERLAY-LOOPBACK";
    public static final String GUARD_CHAIN = "JAVAOVERLAY-LOCALNET";
    static final String MASQ_COMMENT = "javaoverlay published ports on loopback";
    static final String GUARD_COMMENT = "javaoverlay: containers may not reach host loopback";
    static final String LOOPBACK = "127.0.0.0/8";

    private final Iptables iptables;
    private final RuleChain masq;
    private final RuleChain guard;

    public LoopbackPorts(Iptables iptables) {
        this.iptables = iptables;
        this.masq = new RuleChain(iptables, "nat", "POSTROUTING", MASQ_CHAIN, MASQ_COMMENT);
        this.guard = new RuleChain(iptables, "filter", "INPUT", GUARD_CHAIN, GUARD_COMMENT);
    }

    /**
     * Guard first, then the setting: route_localnet is never on without the rule that fences it.
     * A setting the kernel refuses costs only the loopback answers: warned about, and the rest
     * of the network goes on.
     */
    public void ensure(String bridge) {
        boolean changed = guard.ensure(guardRules(bridge));
        changed |= masq.ensure(masqRules(bridge));
        try {
            routeLocalnet(bridge, true);
        } catch (NetlinkException e) {
            LOG.warn("published ports will not answer on 127.0.0.1: cannot turn on route_localnet for bridge {} ({})", bridge,
                    e.getMessage());
            return;
        }
        if (changed) {
            LOG.info("published ports answer on 127.0.0.1 through bridge {} (route_localnet, {} and {})", bridge, MASQ_CHAIN,
                    GUARD_CHAIN);
        }
    }

    /** Turns it off again; a bridge that is gone already is fine. The sysctl first, then the guard. */
    public void remove(String bridge) {
        try {
            routeLocalnet(bridge, false);
        } catch (NetlinkException e) {
            if (e.errno() != Errno.ENODEV) { // a bridge that is gone took its setting along
                LOG.warn("cannot turn route_localnet off for bridge {} ({})", bridge, e.getMessage());
            }
        }
        if (iptables.chainExists("nat", MASQ_CHAIN)) {
            masq.remove();
        }
        if (iptables.chainExists("filter", GUARD_CHAIN)) {
            guard.remove();
        }
    }

    /**
     * Through rtnetlink rather than {@code /proc/sys}, which is read-only in a managed plugin;
     * on a netlink socket of the calling thread's namespace, the host's.
     */
    private static void routeLocalnet(String bridge, boolean on) {
        try (NetlinkSocket netlink = NetlinkSocket.open()) {
            Links links = netlink.links();
            links.setRouteLocalnet(links.require(bridge).index(), on);
        }
    }

    /** In the order {@code iptables -S} prints them. */
    static List<Rule> masqRules(String bridge) {
        return List.of(Rule.of("nat", MASQ_CHAIN, "-s", LOOPBACK, "-o", bridge,
                "-m", "comment", "--comment", MASQ_COMMENT, "-j", "MASQUERADE"));
    }

    static List<Rule> guardRules(String bridge) {
        return List.of(Rule.of("filter", GUARD_CHAIN, "-d", LOOPBACK, "-i", bridge,
                "-m", "conntrack", "!", "--ctstate", "RELATED,ESTABLISHED",
                "-m", "comment", "--comment", GUARD_COMMENT, "-j", "DROP"));
    }
}
