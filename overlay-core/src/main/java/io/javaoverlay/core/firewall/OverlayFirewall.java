package io.javaoverlay.core.firewall;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.javaoverlay.core.net.Ip4Net;

/**
 * The agent's firewall duty: flannel's ip-masq chain ({@code --ip-masq}) and forward chain
 * ({@code --iptables-forward-rules}) for this host's lease, installed at start and re-checked
 * periodically, because other programs (Docker, kube-proxy, an operator's {@code iptables -F})
 * rewrite the tables. A chain that holds rules for an earlier subnet is rewritten whole.
 *
 * <p>The rules stay when the agent stops: the next run wants the same ones, and traffic must
 * not be masqueraded differently while it restarts.
 */
public final class OverlayFirewall {

    private static final Logger LOG = LoggerFactory.getLogger(OverlayFirewall.class);
    /** {@code --random-fully} came with iptables 1.6.2. */
    private static final Pattern VERSION = Pattern.compile("v(\\d+)\\.(\\d+)\\.(\\d+)");

    private final Iptables iptables;
    private final boolean ipMasq;
    private final boolean forward;
    private final boolean randomFully;

    public OverlayFirewall(Iptables iptables, boolean ipMasq, boolean forward) {
        this.iptables = iptables;
        this.ipMasq = ipMasq;
        this.forward = forward;
        this.randomFully = ipMasq && supportsRandomFully(iptables.version());
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

    /** Whether there is anything to do at all. */
    public boolean isEnabled() {
        return ipMasq || forward;
    }

    /**
     * Makes the chains hold the rules for {@code network} and this host's {@code lease}; logs what
     * it had to repair. Returns true when anything changed.
     */
    public boolean ensure(Ip4Net network, Ip4Net lease) {
        boolean changed = false;
        if (ipMasq) {
            changed |= OverlayRules.masqChain(iptables).ensure(OverlayRules.masqRules(network, lease, randomFully));
        }
        if (forward) {
            changed |= OverlayRules.forwardChain(iptables).ensure(OverlayRules.forwardRules(network));
        }
        return changed;
    }

    /** The periodic check: like {@link #ensure}, but a failure is logged, not thrown, so the agent keeps running. */
    public void recheck(Ip4Net network, Ip4Net lease) {
        try {
            if (ensure(network, lease)) {
                LOG.warn("iptables rules for {} were missing or changed; restored them", lease);
            }
        } catch (IptablesException e) {
            LOG.error("cannot check the iptables rules: {}", e.getMessage());
        }
    }

    @Override
    public String toString() {
        return (ipMasq ? "ip-masq (" + OverlayRules.MASQ_CHAIN + (randomFully ? ", --random-fully" : "") + ")" : "no ip-masq")
                + ", " + (forward ? "forward rules (" + OverlayRules.FORWARD_CHAIN + ")" : "no forward rules");
    }
}
