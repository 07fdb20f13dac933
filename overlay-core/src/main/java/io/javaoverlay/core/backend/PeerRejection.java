package io.javaoverlay.core.backend;

/**
 * Why another host's lease is not programmed: a {@link Reason} (the label of
 * {@code javaoverlay_leases_rejected_total{reason}}) and the detail the log and {@code status} show.
 */
public record PeerRejection(Reason reason, String detail) {

    public PeerRejection {
        if (reason == null || detail == null || detail.isEmpty()) {
            throw new IllegalArgumentException("a rejection needs a reason and a detail");
        }
    }

    /** The kinds of bad lease, each a metric label. */
    public enum Reason {
        /** The subnet is not of the network's SubnetLen (a /25 or /32 key where subnets are /24). */
        WRONG_PREFIX_LENGTH("wrong-prefix-length"),
        /** The subnet is not inside Network. */
        OUTSIDE_NETWORK("outside-network"),
        /** The subnet overlaps this host's own lease. */
        OVERLAPS_OWN_SUBNET("overlaps-own-subnet"),
        /** A route of this host's that javaoverlay did not make (connected, underlay, an operator's) would be replaced or shadowed. */
        OVERLAPS_HOST_ROUTE("overlaps-host-route"),
        /** PublicIP is unspecified, loopback, multicast, broadcast, reserved, or inside the overlay. */
        BAD_PUBLIC_IP("bad-public-ip"),
        /** PublicIP is one of this host's own addresses. */
        OWN_PUBLIC_IP("own-public-ip"),
        /** BackendType is not the one this network runs. */
        BACKEND_TYPE("backend-type"),
        /** BackendData lacks what the backend needs, or holds something that is not what it should be. */
        BAD_BACKEND_DATA("bad-backend-data"),
        /** The VtepMAC is multicast, all zeros, or this host's own. */
        BAD_VTEP_MAC("bad-vtep-mac"),
        /**
         * The lease of another host (another public IP) publishes this host's own VtepMAC: a
         * collision (copied data directories), which this host repairs by choosing a new MAC.
         */
        VTEP_MAC_COLLISION("vtep-mac-collision"),
        /** Another accepted peer at a different public IP publishes the same VtepMAC (the kernel keys FDB entries by MAC). */
        VTEP_MAC_IN_USE("vtep-mac-in-use"),
        /** Another accepted peer publishes the same public IP where the backend needs one subnet per public IP (udp). */
        PUBLIC_IP_IN_USE("public-ip-in-use"),
        /**
         * Another accepted peer at a different public IP publishes the same WireGuard public key
         * (WireGuard keys its peers by public key, so one would take the other's AllowedIPs).
         */
        PUBLIC_KEY_IN_USE("public-key-in-use"),
        /** Another accepted peer's dual-stack lease holds an overlapping IPv6 subnet. */
        IPV6_SUBNET_IN_USE("ipv6-subnet-in-use"),
        /** An IPv6-only lease in a network that runs IPv4 ({@code EnableIPv4}): it has no IPv4 subnet to route. */
        NO_IPV4_SUBNET("no-ipv4-subnet"),
        /** A lease without an IPv6 half in an IPv6-only network ({@code EnableIPv4: false}). */
        NO_IPV6_SUBNET("no-ipv6-subnet");

        private final String label;

        Reason(String label) {
            this.label = label;
        }

        /** The metric label and the word {@code status} shows. */
        public String label() {
            return label;
        }
    }

    @Override
    public String toString() {
        return reason.label() + ": " + detail;
    }
}
