package io.javaoverlay.core.firewall;

import java.io.UncheckedIOException;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's firewall duty with iptables (the default {@link TrafficManager}): flannel's ip-masq chain ({@code --ip-masq}) and forward chain
 * ({@code --iptables-forward-rules}) for this host's lease, installed at start and re-checked
 * periodically, because other programs (Docker, kube-proxy, an operator's {@code iptables -F})
 * rewrite the tables. A chain that holds rules for an earlier subnet is rewritten whole.
 * With {@code EnableIPv6} the same chains are kept in ip6tables' tables too, for the IPv6
 * network and this host's IPv6 subnet (see {@link OverlayRules}).
 *
 * <p>The rules stay when the agent stops: the next run wants the same ones, and traffic must
 * not be masqueraded differently while it restarts.
 */
public final class OverlayFirewall implements TrafficManager {

    private static final Logger LOG = LoggerFactory.getLogger(OverlayFirewall.class);
    /** {@code --random-fully} came with iptables 1.6.2. */
    private static final Pattern VERSION = Pattern.compile("v(\\d+)\\.(\\d+)\\.(\\d+)");

    private final Iptables iptables;
    /** The same, for the IPv6 tables; used only for a dual-stack {@link RuleScope}. */
    private final Iptables ip6tables;
    private final boolean ipMasq;
    private final boolean forward;
    /** Asked of iptables at the first {@link #ensure}, so a missing iptables is reported there. */
    private Boolean randomFully;
    /** The same for ip6tables, asked at the first dual-stack {@link #ensure}. */
    private Boolean randomFully6;
    /** Whether the last {@link #ensure} covered IPv6 too, for {@link #toString}. */
    private boolean lastWithIpv6;
    /** False with {@code --ip-masq-fully-random-disable}: masquerade without {@code --random-fully}. */
    private final boolean allowRandomFully;

    public OverlayFirewall(Iptables iptables, boolean ipMasq, boolean forward) {
        this(iptables, ipMasq, forward, true);
    }

    /** @param allowRandomFully false for {@code --ip-masq-fully-random-disable} */
    public OverlayFirewall(Iptables iptables, boolean ipMasq, boolean forward, boolean allowRandomFully) {
        this.iptables = iptables;
        this.ip6tables = iptables.ipv6();
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

    /** flannel asks ip6tables separately (go-iptables' {@code HasRandomFully} per protocol). */
    private boolean randomFully6() {
        if (randomFully6 == null) {
            randomFully6 = ipMasq && allowRandomFully && supportsRandomFully(ip6tables.version());
        }
        return randomFully6;
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
     * Makes the chains hold the rules for the scope (IPv4, and IPv6 with ip6tables when the scope
     * has it); logs what it had to repair. Returns true when anything changed.
     */
    @Override
    public boolean ensure(RuleScope scope) {
        boolean changed = ensure4(scope);
        changed |= ensure6(scope);
        return changed;
    }

    private boolean ensure4(RuleScope scope) {
        if (!scope.hasIpv4()) {
            return false; // IPv6-only: no iptables rule, as flanneld with EnableIPv4: false
        }
        boolean changed = false;
        if (ipMasq) {
            changed |= OverlayRules.masqChain(iptables).ensure(OverlayRules.masqRules(scope.network(), scope.lease(), randomFully()));
        }
        if (forward) {
            changed |= OverlayRules.forwardChain(iptables).ensure(OverlayRules.forwardRules(scope.network()));
        }
        return changed;
    }

    private boolean ensure6(RuleScope scope) {
        lastWithIpv6 = scope.hasIpv6();
        if (!scope.hasIpv6()) {
            return false;
        }
        boolean changed = false;
        if (ipMasq) {
            changed |= OverlayRules.masqChain(ip6tables).ensure(OverlayRules.masqRules6(scope.ipv6Network().get(),
                    scope.ipv6Lease().get(), randomFully6()));
        }
        if (forward) {
            changed |= OverlayRules.forwardChain(ip6tables).ensure(OverlayRules.forwardRules6(scope.ipv6Network().get()));
        }
        return changed;
    }

    @Override
    public void recheck(RuleScope scope) {
        try {
            if (ensure4(scope)) {
                LOG.warn("iptables rules for {} were missing or changed; restored them", scope.lease());
            }
        } catch (FirewallException | UncheckedIOException e) {
            LOG.error("cannot check the iptables rules: {}", e.getMessage());
        }
        try {
            if (ensure6(scope)) {
                LOG.warn("ip6tables rules for {} were missing or changed; restored them", scope.ipv6Lease().get());
            }
        } catch (FirewallException | UncheckedIOException e) {
            LOG.error("cannot check the ip6tables rules: {}", e.getMessage());
        }
    }

    /**
     * Removes flannel's two chains and the jumps to them, whatever lease they were for. flanneld
     * v0.28 means to do the same when it starts in nftables mode, but only flushes
     * {@code nat FLANNEL-POSTRTG} (deleting it fails while POSTROUTING still jumps to it) and looks
     * for {@code FLANNEL-FWD} in the nat table, so its forward rules stay behind; this removes both
     * chains whole. The same goes for ip6tables' chains, as flanneld's {@code CleanUp} does. Without
     * an iptables (ip6tables) binary there is nothing to remove (and flanneld would exit; nftables-only
     * hosts are exactly where this runs).
     */
    @Override
    public void cleanUp() {
        for (Iptables tool : List.of(iptables, ip6tables)) {
            if (!tool.isInstalled()) {
                LOG.info("{} is not installed: no {} rules to remove", tool.binary(), tool.binary());
                continue;
            }
            for (RuleChain chain : List.of(OverlayRules.masqChain(tool), OverlayRules.forwardChain(tool))) {
                try {
                    if (tool.chainExists(chain.table(), chain.name())) {
                        chain.remove();
                        LOG.info("removed the {} chain {} {} and the jump to it", tool.binary(), chain.table(), chain.name());
                    }
                } catch (FirewallException | UncheckedIOException e) {
                    LOG.warn("cannot remove the {} chain {} {}: {}", tool.binary(), chain.table(), chain.name(), e.getMessage());
                }
            }
        }
    }

    @Override
    public String toString() {
        return (ipMasq ? "ip-masq (" + OverlayRules.MASQ_CHAIN + (Boolean.TRUE.equals(randomFully) ? ", --random-fully" : "") + ")" : "no ip-masq")
                + ", " + (forward ? "forward rules (" + OverlayRules.FORWARD_CHAIN + ")" : "no forward rules")
                + (lastWithIpv6 && isEnabled() ? ", in ip6tables too" : "");
    }
}
