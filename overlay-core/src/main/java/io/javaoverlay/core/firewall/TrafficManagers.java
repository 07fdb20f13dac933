package io.javaoverlay.core.firewall;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chooses the agent's {@link TrafficManager} from the network config, as flanneld does at start:
 * the one not chosen first removes its rules (a host that switched from iptables to nftables, or
 * back, keeps no stale masquerade or forward rules), then the chosen one is handed back.
 */
public final class TrafficManagers {

    private static final Logger LOG = LoggerFactory.getLogger(TrafficManagers.class);

    private final Iptables iptables;
    private final Nft nft;

    public TrafficManagers(Iptables iptables, Nft nft) {
        this.iptables = iptables;
        this.nft = nft;
    }

    /** Both tools in the caller's own network namespace. */
    public static TrafficManagers local() {
        return new TrafficManagers(Iptables.local(), Nft.local());
    }

    /**
     * Cleans up the manager not chosen, then returns the chosen one, not yet applied (its first
     * {@link TrafficManager#ensure} installs the rules and reports a missing tool).
     *
     * @param nftables {@code EnableNFTables} of the network config
     * @param ipMasq   {@code --ip-masq}
     * @param forward  {@code --iptables-forward-rules}
     */
    public TrafficManager start(boolean nftables, boolean ipMasq, boolean forward) {
        return start(nftables, ipMasq, forward, true);
    }

    /** @param fullyRandom false for {@code --ip-masq-fully-random-disable}: masquerade without random port mapping */
    public TrafficManager start(boolean nftables, boolean ipMasq, boolean forward, boolean fullyRandom) {
        LOG.info("firewall rules managed with {}; removing any rules {} made", nftables ? "nftables" : "iptables",
                nftables ? "iptables" : "nftables");
        if (nftables) {
            new OverlayFirewall(iptables, false, false).cleanUp();
            return new NftablesFirewall(nft, ipMasq, forward, fullyRandom);
        }
        new NftablesFirewall(nft, false, false).cleanUp();
        return new OverlayFirewall(iptables, ipMasq, forward, fullyRandom);
    }
}
