package io.javaoverlay.core.firewall;

import java.io.UncheckedIOException;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.javaoverlay.core.net.Ip4Net;

/**
 * The agent's firewall duty with iptables (the default {@link TrafficManager}): flannel's ip-masq chain ({@code --ip-masq}) and forward chain
 * ({@code --iptables-forward-rules}) for this host's lease, installed at start and re-checked
 * periodically, because other programs (Docker, kube-proxy, an operator's {@code iptables -F})
 * rewrite the tables. A chain that holds rules for an earlier subnet is rewritten whole.
 *
 * <p>The rules stay when the agent stops: the next run wants the same ones, and traffic must
 * not be masqueraded differently while it restarts.
 */
public final class OverlayFirewall implements TrafficManager {

    private static final Logger LOG = LoggerFactory.getLogger(OverlayFirewall.class);
    /** {@code --random-fully} came with iptables 1.6.2. */
    private static final Pattern VERSION = Pattern.compile("v(\\d+)\\.(\\d+)\\.(\\d+)");

    private final Iptables iptables;
    private final boolean ipMasq;
    private final boolean forward;
    /** Asked of iptables at the first {@link #ensure}, so a missing iptables is reported there. */
    private Boolean randomFully;
    /** False with {@code --ip-masq-fully-random-disable}: masquerade without {@code --random-fully}. */
    private final boolean allowRandomFully;

    public OverlayFirewall(Iptables iptables, boolean ipMasq, boolean forward) {
        this(iptables, ipMasq, forward, true);
    }

    /** @param allowRandomFully false for {@code --ip-masq-fully-random-disable} */
    public OverlayFirewall(Iptables iptables, boolean ipMasq, boolean forward, boolean allowRandomFully) {
        this.iptables = iptables;
        this.ipMasq = ipMasq;
        this.forward = forward;
        this.allowRandomFully = allowRandomFully;
    }

    @Override
    public String tool() {
        return "iptables";
    }

    private boolean randomFully() {
        if (randomFully == null) {
            randomFully = ipMasq && allowRandomFully && supportsRandomFully(iptables.version());
        }
        return randomFully;
    }

    static boolean supportsRandomFully(String versionText) {
        Matcher m = VERSION.matcher(versionText);
        if (!m.find()) {
            return false;
        }
        int major = Integer.parseInt(m.group(1));
        int minor = Integer.parseInt(m.group(2));
        int patch = Integer.parseInt(m.group(3));
        return major > 1 || (major == 1 && (minor > 6 || (minor == 6 && patch >= 2)));
    }

    @Override
    public boolean isEnabled() {
        return ipMasq || forward;
    }

    /**
     * Makes the chains hold the rules for {@code network} and this host's {@code lease}; logs what
     * it had to repair. Returns true when anything changed.
     */
    @Override
    public boolean ensure(Ip4Net network, Ip4Net lease) {
        boolean changed = false;
        if (ipMasq) {
            changed |= OverlayRules.masqChain(iptables).ensure(OverlayRules.masqRules(network, lease, randomFully()));
        }
        if (forward) {
            changed |= OverlayRules.forwardChain(iptables).ensure(OverlayRules.forwardRules(network));
        }
        return changed;
    }

    @Override
    public void recheck(Ip4Net network, Ip4Net lease) {
        try {
            if (ensure(network, lease)) {
                LOG.warn("iptables rules for {} were missing or changed; restored them", lease);
            }
        } catch (FirewallException | UncheckedIOException e) {
            LOG.error("cannot check the iptables rules: {}", e.getMessage());
        }
    }

    /**
     * Removes flannel's two chains and the jumps to them, whatever lease they were for. flanneld
     * v0.28 means to do the same when it starts in nftables mode, but only flushes
     * {@code nat FLANNEL-POSTRTG} (deleting it fails while POSTROUTING still jumps to it) and looks
     * for {@code FLANNEL-FWD} in the nat table, so its forward rules stay behind; this removes both
     * chains whole. Without an iptables binary there is nothing to remove (and flanneld would exit;
     * nftables-only hosts are exactly where this runs).
     */
    @Override
    public void cleanUp() {
        if (!iptables.isInstalled()) {
            LOG.info("iptables is not installed: no iptables rules to remove");
            return;
        }
        for (RuleChain chain : List.of(OverlayRules.masqChain(iptables), OverlayRules.forwardChain(iptables))) {
            try {
                if (iptables.chainExists(chain.table(), chain.name())) {
                    chain.remove();
                    LOG.info("removed the iptables chain {} {} and the jump to it", chain.table(), chain.name());
                }
            } catch (FirewallException | UncheckedIOException e) {
                LOG.warn("cannot remove the iptables chain {} {}: {}", chain.table(), chain.name(), e.getMessage());
            }
        }
    }

    @Override
    public String toString() {
        return (ipMasq ? "ip-masq (" + OverlayRules.MASQ_CHAIN + (Boolean.TRUE.equals(randomFully) ? ", --random-fully" : "") + ")" : "no ip-masq")
                + ", " + (forward ? "forward rules (" + OverlayRules.FORWARD_CHAIN + ")" : "no forward rules");
    }
}
