package io.javaoverlay.docker.state;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;

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
 */
public record NetworkState(String id, Ip4Net pool, Ip4 gateway, Ip4Net overlay, int mtu, boolean internal, String bridge) {

    public NetworkState {
        Ids.check("network", id);
        if (pool == null || gateway == null || overlay == null || bridge == null) {
            throw new IllegalArgumentException("network " + id + ": pool, gateway, overlay and bridge are required");
        }
        if (!pool.contains(gateway)) {
            throw new IllegalArgumentException("network " + id + ": gateway " + gateway + " is not in " + pool);
        }
    }

    public Ip4Net.HostAddress gatewayAddress() {
        return new Ip4Net.HostAddress(gateway, pool.prefixLength());
    }
}
