package io.javaoverlay.core.lease;

import java.util.Optional;

import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.Ip6Net;

/**
 * What names one host's lease among the others: its IPv4 subnet when it has one (a dual-stack
 * lease is looked up, renewed and deleted by its IPv4 half, and its IPv6 half may change under
 * it), else its IPv6 subnet (an IPv6-only lease, as flannel's Kubernetes subnet manager makes
 * for a node with only an IPv6 podCIDR). Exactly one of the two is present.
 *
 * <p>Ordered IPv4 leases first, by subnet, then IPv6-only ones, by subnet.
 */
public record LeaseId(Optional<Ip4Net> ipv4, Optional<Ip6Net> ipv6) implements Comparable<LeaseId> {

    public LeaseId {
        if (ipv4 == null || ipv6 == null || ipv4.isPresent() == ipv6.isPresent()) {
            throw new IllegalArgumentException("a lease is named by its IPv4 subnet or, IPv6-only, by its IPv6 subnet: exactly one");
        }
    }

    public static LeaseId of(Ip4Net subnet) {
        return new LeaseId(Optional.of(subnet), Optional.empty());
    }

    public static LeaseId ofIpv6Only(Ip6Net subnet) {
        return new LeaseId(Optional.empty(), Optional.of(subnet));
    }

    @Override
    public int compareTo(LeaseId o) {
        if (ipv4.isPresent() != o.ipv4.isPresent()) {
            return ipv4.isPresent() ? -1 : 1;
        }
        return ipv4.isPresent() ? ipv4.get().compareTo(o.ipv4.get())
                : ipv6.get().address().compareTo(o.ipv6.get().address()) != 0 ? ipv6.get().address().compareTo(o.ipv6.get().address())
                : Integer.compare(ipv6.get().prefixLength(), o.ipv6.get().prefixLength());
    }

    @Override
    public String toString() {
        return ipv4.map(Object::toString).orElseGet(() -> ipv6.get().toString());
    }
}
