package io.javaoverlay.cni.kernel;

import java.util.List;
import java.util.function.Supplier;
import java.util.zip.CRC32;

import io.javaoverlay.cni.CniException;
import io.javaoverlay.cni.ErrorCode;
import io.javaoverlay.cni.Masquerade;
import io.javaoverlay.core.firewall.Iptables;
import io.javaoverlay.core.firewall.IptablesException;
import io.javaoverlay.core.firewall.Rule;
import io.javaoverlay.core.firewall.RuleChain;
import io.javaoverlay.core.net.Ip4Net;

/**
 * {@code ipMasq} as one nat chain per CNI network, jumped to from POSTROUTING:
 *
 * <pre>
 * -A JO-CNI-1a2b3c4d -s 10.5.72.0/24 -d 10.5.0.0/16 -j RETURN          to other containers: keep the source
 * -A JO-CNI-1a2b3c4d -s 10.5.72.0/24 ! -d 224.0.0.0/4 -j MASQUERADE    to the outside (not multicast)
 * </pre>
 *
 * flannel's bridge delegate adds a chain per container and masquerades everything that leaves
 * the host subnet, other hosts' containers included; one chain per network is set up once and
 * shared by every container, and keeps container addresses visible across the overlay. It
 * stays when containers are deleted (others use it). Callers serialise {@link #ensure} across
 * processes: the chain is rewritten whole when it is not as wanted.
 */
public final class IptablesMasquerade implements Masquerade {

    private static final String MULTICAST = "224.0.0.0/4";

    private final Supplier<Iptables> iptablesFactory;
    private Iptables iptables;

    /** @param iptables made on first use: most ADDs never need it (the agent masquerades) */
    public IptablesMasquerade(Supplier<Iptables> iptables) {
        this.iptablesFactory = iptables;
    }

    private Iptables iptables() {
        if (iptables == null) {
            iptables = iptablesFactory.get();
        }
        return iptables;
    }

    /** The chain for a network: a hash keeps any network name within iptables' 28 characters. */
    static String chainName(String network) {
        CRC32 crc = new CRC32();
        crc.update(network.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        String h = Long.toHexString(crc.getValue());
        return "JO-CNI-" + "00000000".substring(h.length()) + h;
    }

    /** The longest network name a comment carries whole: the xt_comment match holds 255 bytes (names are ASCII). */
    private static final int COMMENT_NAME_MAX = 200;

    /** The rules' comment: the network's name, cut (always the same way) where iptables' limit would refuse it. */
    static String comment(String network) {
        return "javaoverlay cni " + (network.length() <= COMMENT_NAME_MAX ? network : network.substring(0, COMMENT_NAME_MAX) + "...");
    }

    private RuleChain chain(String network) {
        return new RuleChain(iptables(), "nat", "POSTROUTING", chainName(network), comment(network));
    }

    static List<Rule> rules(String network, Ip4Net overlay, Ip4Net lease) {
        String chain = chainName(network);
        String comment = comment(network);
        return List.of(
                Rule.of("nat", chain, "-s", lease.toString(), "-d", overlay.toString(),
                        "-m", "comment", "--comment", comment, "-j", "RETURN"),
                Rule.of("nat", chain, "-s", lease.toString(), "!", "-d", MULTICAST,
                        "-m", "comment", "--comment", comment, "-j", "MASQUERADE"));
    }

    @Override
    public void ensure(String network, Ip4Net overlay, Ip4Net lease) {
        try {
            chain(network).ensure(rules(network, overlay, lease));
        } catch (IptablesException | java.io.UncheckedIOException e) {
            throw new CniException(ErrorCode.FIREWALL_FAILURE, "cannot set up the masquerade rules for " + network, e.getMessage(), e);
        }
    }

    @Override
    public boolean isInPlace(String network, Ip4Net overlay, Ip4Net lease) {
        try {
            String chain = chainName(network);
            if (!iptables().chainExists("nat", chain)) {
                return false;
            }
            List<String> want = rules(network, overlay, lease).stream().map(Rule::toSaveFormat).toList();
            return iptables().listRules("nat", chain).equals(want);
        } catch (IptablesException | java.io.UncheckedIOException e) {
            throw new CniException(ErrorCode.FIREWALL_FAILURE, "cannot read the masquerade rules for " + network, e.getMessage(), e);
        }
    }
}
