package io.javaoverlay.core.host;

import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.Ip6Net;

/**
 * The forward and masquerade policy of the host bridge, one for both faces: what lets the
 * bridge's containers through the host's {@code FORWARD} chain, and what gives their traffic to
 * outside the overlay the host's address. The agent's own flannel chains ({@code FLANNEL-FWD},
 * {@code FLANNEL-POSTRTG}) are apart: they are flannel's, for the whole overlay network, and are
 * there only when the agent is told to make them.
 *
 * <p>Each face asks for what it needs: the Docker face forwarding (dockerd sets the
 * {@code FORWARD} policy to DROP), the CNI face masquerading when {@code ipMasq} is on (the
 * agent then does not masquerade). Failures are {@link io.javaoverlay.core.firewall.FirewallException}s
 * (the command refused) or {@link java.io.UncheckedIOException}s (it could not run); each face
 * maps them once.
 */
public interface BridgeFirewall {

    /** Accepts traffic into and out of {@code bridge} in {@code FORWARD}, ahead of other programs' rules; idempotent. */
    void ensureForwarding(String bridge);

    /**
     * {@link #ensureForwarding} in the IPv6 tables, for a bridge that carries IPv6: dockerd with
     * {@code ip6tables} on (its default since Docker 27) sets ip6tables' {@code FORWARD} policy to
     * DROP as it does iptables'. Idempotent.
     */
    void ensureForwarding6(String bridge);

    /**
     * Removes what {@link #ensureForwarding} and {@link #ensureForwarding6} made; gone already is
     * fine, and so is a host without ip6tables.
     */
    void removeForwarding();

    /**
     * Masquerades traffic from {@code lease} (the bridge's subnet) to anywhere outside
     * {@code overlay} but multicast, for the containers of {@code network}; traffic to other
     * containers of the overlay keeps its source. Idempotent; callers serialise it across
     * processes (the rules are rewritten whole when they are not as wanted).
     */
    void ensureMasquerade(String network, Ip4Net overlay, Ip4Net lease);

    /** Whether the rules {@link #ensureMasquerade} makes are in place, exactly. */
    boolean isMasqueraded(String network, Ip4Net overlay, Ip4Net lease);

    /**
     * {@link #ensureMasquerade} for IPv6: traffic from {@code lease} (the bridge's IPv6 subnet) to
     * anywhere outside the IPv6 {@code overlay} but multicast ({@code ff00::/8}) leaves with the
     * host's IPv6 address. Same chain name, same rules, in the IPv6 tables.
     */
    void ensureMasquerade6(String network, Ip6Net overlay, Ip6Net lease);

    /** Whether the rules {@link #ensureMasquerade6} makes are in place, exactly. */
    boolean isMasqueraded6(String network, Ip6Net overlay, Ip6Net lease);

    /**
     * Removes {@code network}'s masquerade rules of both families, jumps included; gone already
     * is fine, and so is a host without the IPv6 tables or without the tool at all (nothing can
     * be there to remove). Callers serialise it with {@link #ensureMasquerade} across processes.
     */
    void removeMasquerade(String network);
}
