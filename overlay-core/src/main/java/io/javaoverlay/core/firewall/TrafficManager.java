package io.javaoverlay.core.firewall;

/**
 * The agent's firewall duty, whichever tool does it (flannel's {@code TrafficManager}): the
 * masquerade rules of {@code --ip-masq} and the forward rules of {@code --iptables-forward-rules}
 * for this host's lease, installed at start and re-checked every {@code --iptables-resync},
 * because other programs and operators rewrite the firewall.
 *
 * <p>Two implementations: {@link OverlayFirewall} (iptables, the default) and
 * {@link NftablesFirewall} ({@code "EnableNFTables": true} in the network config).
 * {@link TrafficManagers#start} picks one and removes the other's rules, as flanneld does.
 */
public interface TrafficManager {

    /** The tool, for messages: {@code iptables} or {@code nftables}. */
    String tool();

    /** Whether there is anything to do at all. */
    boolean isEnabled();

    /**
     * Makes the rules match the overlay network and this host's lease, for IPv4 and, when the
     * scope has an IPv6 half, for IPv6 too; logs what it had to repair. Returns true when anything
     * changed.
     *
     * @throws FirewallException when the tool fails or is missing
     */
    boolean ensure(RuleScope scope);

    /** The periodic check: like {@link #ensure}, but a failure is logged, not thrown, so the agent keeps running. */
    void recheck(RuleScope scope);

    /**
     * Removes every rule this manager would install, whatever lease they were for. What is already
     * gone, or a tool that is not installed (so there is nothing it could have made), is not an
     * error; a failure is logged, never thrown: a leftover must not keep the agent from starting.
     */
    void cleanUp();
}
