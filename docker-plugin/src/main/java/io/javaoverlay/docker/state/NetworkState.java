package io.javaoverlay.docker.state;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.Ip6Host;
import io.javaoverlay.core.net.Ip6Net;

/**
 * A Docker network this plugin created, as kept on disk: dockerd never replays CreateNetwork
 * after it or the plugin restarts, so everything Join needs later is recorded here.
 *
 * @param id       dockerd's network ID
 * @param pool     the host subnet the network's addresses come from (the lease)
 * @param gateway  the bridge's address, the containers' gateway
 * @param overlay  the whole overlay network (FLANNEL_NETWORK), routed via the gateway
 * @param mtu      the MTU of the containers' interfaces
 * @param internal {@code --internal}: no default route, no published ports
 * @param bridge   the host bridge the containers' veths are attached to
 * @param gateway6 {@code --ipv6}: the bridge's IPv6 address with the host's IPv6 subnet prefix
 *                 (the pool), the containers' IPv6 gateway; null for an IPv4-only network
 * @param overlay6 {@code --ipv6}: the whole IPv6 overlay (FLANNEL_IPV6_NETWORK), routed via gateway6
 */
public record NetworkState(String id, Ip4Net pool, Ip4 gateway, Ip4Net overlay, int mtu, boolean internal, String bridge,
                           Ip6Host gateway6, Ip6Net overlay6) {

    public NetworkState {
        Ids.check("network", id);
        if (pool == null || gateway == null || overlay == null || bridge == null) {
            throw new IllegalArgumentException("network " + id + ": pool, gateway, overlay and bridge are required");
        }
        if (!pool.contains(gateway)) {
            throw new IllegalArgumentException("network " + id + ": gateway " + gateway + " is not in " + pool);
        }
        if ((gateway6 == null) != (overlay6 == null)) {
            throw new IllegalArgumentException("network " + id + ": an IPv6 network needs both its gateway and the IPv6 overlay");
        }
    }

    /** An IPv4-only network. */
    public NetworkState(String id, Ip4Net pool, Ip4 gateway, Ip4Net overlay, int mtu, boolean internal, String bridge) {
        this(id, pool, gateway, overlay, mtu, internal, bridge, null, null);
    }

    /** Whether the network was created with {@code --ipv6}. */
    public boolean ipv6() {
        return gateway6 != null;
    }

    public Ip4Net.HostAddress gatewayAddress() {
        return new Ip4Net.HostAddress(gateway, pool.prefixLength());
    }
}
