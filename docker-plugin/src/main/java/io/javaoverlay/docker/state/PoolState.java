package io.javaoverlay.docker.state;

import io.javaoverlay.core.net.Ip4Net;

/**
 * An IPAM pool handed to dockerd. libnetwork asks for the same pool once per network and
 * releases it once per network, so the pool is counted: it stays while any network uses it.
 */
public record PoolState(String id, Ip4Net pool, int references) {

    public PoolState {
        Ids.check("pool", id);
        if (pool == null) {
            throw new IllegalArgumentException("pool " + id + " has no subnet");
        }
        if (references < 0) {
            throw new IllegalArgumentException("pool " + id + ": negative reference count " + references);
        }
    }

    /** The pool ID for a subnet: {@code javaoverlay:10.5.72.0-24} (flannel's key form, no slash). */
    public static String idFor(Ip4Net subnet) {
        return "javaoverlay:" + subnet.toKey();
    }
}
