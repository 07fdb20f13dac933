package io.javaoverlay.core.ipam;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;

/**
 * An address reserved for an owner.
 *
 * @param address     the container's address with the host subnet's prefix, e.g. {@code 10.5.72.9/24}
 * @param gateway     the host's bridge address in that subnet
 * @param alreadyHeld true when the owner held this address before the call (a repeated request);
 *                    a caller rolling back a failed setup must then leave it reserved
 */
public record Allocation(Ip4Net.HostAddress address, Ip4 gateway, boolean alreadyHeld) {

    public Allocation {
        if (address == null || gateway == null) {
            throw new IllegalArgumentException("an allocation needs an address and a gateway");
        }
    }

    public Ip4 ip() {
        return address.ip();
    }
}
