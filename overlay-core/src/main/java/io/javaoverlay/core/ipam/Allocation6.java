package io.javaoverlay.core.ipam;

import java.math.BigInteger;

import io.javaoverlay.core.net.Ip6Host;
import io.javaoverlay.core.net.Ip6Net;

/**
 * An IPv6 address reserved for an owner.
 *
 * @param address     the container's address with the host's IPv6 subnet prefix, e.g. {@code fc00:5:34::2/64}
 * @param gateway     the host's bridge address in that subnet
 * @param alreadyHeld true when the owner held this address before the call (a repeated request);
 *                    a caller rolling back a failed setup must then leave it reserved
 */
public record Allocation6(Ip6Host address, BigInteger gateway, boolean alreadyHeld) {

    public Allocation6 {
        if (address == null || gateway == null) {
            throw new IllegalArgumentException("an allocation needs an address and a gateway");
        }
    }

    public BigInteger ip() {
        return address.ip();
    }

    /** The gateway in RFC 5952 form. */
    public String gatewayText() {
        return Ip6Net.format(gateway);
    }
}
