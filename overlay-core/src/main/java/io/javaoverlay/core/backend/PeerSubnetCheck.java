package io.javaoverlay.core.backend;

import java.util.Optional;

/**
 * The checks a peer's subnet of either family passes, in the network config's terms: it has the
 * family's subnet length, lies inside the family's network and is not this host's own subnet
 * ({@link PeerAdmission} for IPv4, {@link Ipv6PeerCheck} for IPv6).
 */
final class PeerSubnetCheck {

    private PeerSubnetCheck() {
    }

    /**
     * @param family        {@code ""} for IPv4, {@code "IPv6 "} for IPv6: it starts the messages and, without
     *                      the space, the config keys they name (SubnetLen, Network; IPv6SubnetLen, IPv6Network)
     * @param inNetwork     whether {@code subnet} lies inside {@code network}
     * @param ownOverlapped this host's own subnet of the family when {@code subnet} overlaps it, else empty
     */
    static Optional<PeerRejection> check(String family, Object subnet, int prefixLength, int subnetLen, boolean inNetwork,
                                         Object network, Optional<?> ownOverlapped) {
        String key = family.strip();
        if (prefixLength != subnetLen) {
            return reject(PeerRejection.Reason.WRONG_PREFIX_LENGTH, family + "subnet " + subnet + " is not a /" + subnetLen
                    + " (the network's " + key + "SubnetLen)");
        }
        if (!inNetwork) {
            return reject(PeerRejection.Reason.OUTSIDE_NETWORK, family + "subnet " + subnet + " is outside " + key + "Network " + network);
        }
        if (ownOverlapped.isPresent()) {
            return reject(PeerRejection.Reason.OVERLAPS_OWN_SUBNET, family + "subnet " + subnet + " is this host's own " + family + "subnet "
                    + ownOverlapped.get());
        }
        return Optional.empty();
    }

    private static Optional<PeerRejection> reject(PeerRejection.Reason reason, String detail) {
        return Optional.of(new PeerRejection(reason, detail));
    }
}
