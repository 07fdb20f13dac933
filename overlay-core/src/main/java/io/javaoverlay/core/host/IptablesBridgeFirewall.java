package io.javaoverlay.core.host;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Supplier;
import java.util.zip.CRC32;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.javaoverlay.core.firewall.Iptables;
import io.javaoverlay.core.firewall.Rule;
import io.javaoverlay.core.firewall.RuleChain;
import io.javaoverlay.core.net.Ip4Net;

/**
 * {@link BridgeFirewall} with iptables, in chains of our own so they can be listed, checked and
 * removed without touching anyone else's:
 *
 * <pre>
 * filter JAVAOVERLAY-FWD, jumped to first from FORWARD (one per host, for the bridge):
 * -A JAVAOVERLAY-FWD -i cni0 -j ACCEPT                                  containers out, replies in
 * -A JAVAOVERLAY-FWD -o cni0 -j ACCEPT                                  to containers
 *
 * nat JO-CNI-1a2b3c4d, jumped to from POSTROUTING (one per CNI network, named by a hash of its name):
 * -A JO-CNI-1a2b3c4d -s 10.5.72.0/24 -d 10.5.0.0/16 -j RETURN          to other containers: keep the source
 * -A JO-CNI-1a2b3c4d -s 10.5.72.0/24 ! -d 224.0.0.0/4 -j MASQUERADE    to the outside (not multicast)
 * </pre>
 *
 * (each rule with a comment naming who made it). flannel's bridge delegate adds a masquerade
 * chain per container and masquerades everything that leaves the host subnet, other hosts'
 * containers included; one chain per network is set up once and shared by every container, and
 * keeps container addresses visible across the overlay. It stays when containers are deleted
 * (others use it).
 *
 * <p>The chain names and comments are the ones the two faces wrote before this class held both
 * ({@code "javaoverlay docker forward"} included), so an upgraded host finds its rules as they
 * were and rewrites nothing.
 */
public final class IptablesBridgeFirewall implements BridgeFirewall {

    /** Made on first use: the CNI plugin makes this class on every call and must not pay for setting up logging. */
    private static final class Log {
        static final Logger LOG = LoggerFactory.getLogger(IptablesBridgeFirewall.class);
    }

    public static final String FORWARD_CHAIN = "JAVAOVERLAY-FWD";
    static final String FORWARD_COMMENT = "javaoverlay docker forward";
    private static final String MASQUERADE_CHAIN_PREFIX = "JO-CNI-";
    private static final String MULTICAST = "224.0.0.0/4";
    /** The longest network name a comment carries whole: the xt_comment match holds 255 bytes (names are ASCII). */
    private static final int COMMENT_NAME_MAX = 200;

    private final Supplier<Iptables> iptablesFactory;
    private Iptables iptables;

    /** @param iptables made on first use: most CNI ADDs never need it (the agent masquerades) */
    public IptablesBridgeFirewall(Supplier<Iptables> iptables) {
        this.iptablesFactory = iptables;
    }

    public IptablesBridgeFirewall(Iptables iptables) {
        this.iptablesFactory = null;
        this.iptables = iptables;
    }

    private synchronized Iptables iptables() {
        if (iptables == null) {
            iptables = iptablesFactory.get();
        }
        return iptables;
    }

    private RuleChain forwardChain() {
        return new RuleChain(iptables(), "filter", "FORWARD", FORWARD_CHAIN, FORWARD_COMMENT);
    }

    @Override
    public void ensureForwarding(String bridge) {
        if (forwardChain().ensure(forwardRules(bridge))) {
            Log.LOG.info("forwarding for bridge {} allowed in filter {}", bridge, FORWARD_CHAIN);
        }
    }

    static List<Rule> forwardRules(String bridge) {
        return List.of(
                Rule.of("filter", FORWARD_CHAIN, "-i", bridge, "-m", "comment", "--comment", FORWARD_COMMENT, "-j", "ACCEPT"),
                Rule.of("filter", FORWARD_CHAIN, "-o", bridge, "-m", "comment", "--comment", FORWARD_COMMENT, "-j", "ACCEPT"));
    }

    @Override
    public void removeForwarding() {
        // iptables -C on a jump to a chain that does not exist is an error, not "no such rule"
        if (iptables().chainExists("filter", FORWARD_CHAIN)) {
            forwardChain().remove();
        }
    }

    /** The masquerade chain for a network: a hash keeps any network name within iptables' 28 characters. */
    static String masqueradeChain(String network) {
        CRC32 crc = new CRC32();
        crc.update(network.getBytes(StandardCharsets.UTF_8));
        String h = Long.toHexString(crc.getValue());
        return MASQUERADE_CHAIN_PREFIX + "00000000".substring(h.length()) + h;
    }

    /** The masquerade rules' comment: the network's name, cut (always the same way) where iptables' limit would refuse it. */
    static String masqueradeComment(String network) {
        return "javaoverlay cni " + (network.length() <= COMMENT_NAME_MAX ? network : network.substring(0, COMMENT_NAME_MAX) + "...");
    }

    static List<Rule> masqueradeRules(String network, Ip4Net overlay, Ip4Net lease) {
        String chain = masqueradeChain(network);
        String comment = masqueradeComment(network);
        return List.of(
                Rule.of("nat", chain, "-s", lease.toString(), "-d", overlay.toString(),
                        "-m", "comment", "--comment", comment, "-j", "RETURN"),
                Rule.of("nat", chain, "-s", lease.toString(), "!", "-d", MULTICAST,
                        "-m", "comment", "--comment", comment, "-j", "MASQUERADE"));
    }

    @Override
    public void ensureMasquerade(String network, Ip4Net overlay, Ip4Net lease) {
        new RuleChain(iptables(), "nat", "POSTROUTING", masqueradeChain(network), masqueradeComment(network))
                .ensure(masqueradeRules(network, overlay, lease));
    }

    @Override
    public boolean isMasqueraded(String network, Ip4Net overlay, Ip4Net lease) {
        String chain = masqueradeChain(network);
        if (!iptables().chainExists("nat", chain)) {
            return false;
        }
        List<String> want = masqueradeRules(network, overlay, lease).stream().map(Rule::toSaveFormat).toList();
        return iptables().listRules("nat", chain).equals(want);
    }
}
