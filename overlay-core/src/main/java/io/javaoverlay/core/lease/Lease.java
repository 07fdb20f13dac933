package io.javaoverlay.core.lease;

import java.time.Instant;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.Ip6Net;

/**
 * One host's subnet lease: the subnet, what the host published with it, and how long it holds.
 *
 * <p>A lease has an IPv4 subnet, an IPv6 subnet, or both (dual stack). An IPv6-only lease
 * ({@code EnableIPv4: false}; flannel's Kubernetes subnet manager makes one for a node with only an
 * IPv6 podCIDR) has no IPv4 half at all: there is no placeholder subnet (flannel's zero
 * {@code 0.0.0.0/0}) that could reach a route, a rule or a neighbour. {@link #subnet()} is the IPv4
 * half and throws for an IPv6-only lease, so code written for IPv4 fails loudly instead of
 * programming something; code that runs for both families asks {@link #ipv4Subnet()} and
 * {@link #id()}.
 *
 * @param ipv4Subnet  the IPv4 subnet; empty only for an IPv6-only lease
 * @param ipv6Subnet  the IPv6 half of a dual-stack lease's key ({@code fc00:0:0:1::-64}): the key is then
 *                    {@code 10.5.1.0-24&fc00:0:0:1::-64}, as flannel names it; an IPv6-only lease's subnet
 * @param reservation true for a key an operator wrote without an etcd lease: it never expires
 *                    and is never given to another host
 * @param expiration  when it lapses unless renewed; empty for a reservation, and for another
 *                    host's etcd lease (its TTL is not fetched: no round trip per lease)
 * @param revision    the store's revision of the last change (etcd's mod revision)
 */
public record Lease(Optional<Ip4Net> ipv4Subnet, Optional<Ip6Net> ipv6Subnet, LeaseAttrs attrs, boolean reservation,
                    Optional<Instant> expiration, long revision) {

    /** flannel's key pattern: {@code 10.5.1.0-24}, optionally {@code &fc00:0:0:1::-64}. */
    private static final Pattern KEY = Pattern.compile("(\\d+\\.\\d+\\.\\d+\\.\\d+)-(\\d+)(?:&([a-fA-F\\d:]+)-(\\d+))?");

    public Lease {
        ipv4Subnet = ipv4Subnet == null ? Optional.empty() : ipv4Subnet;
        ipv6Subnet = ipv6Subnet == null ? Optional.empty() : ipv6Subnet;
        if (attrs == null || ipv4Subnet.isEmpty() && ipv6Subnet.isEmpty()) {
            throw new IllegalArgumentException("a subnet (IPv4, IPv6 or both) and attrs are required");
        }
        expiration = expiration == null ? Optional.empty() : expiration;
    }

    /** A lease with an IPv4 subnet (and, dual stack, an IPv6 one). */
    public Lease(Ip4Net subnet, Optional<Ip6Net> ipv6Subnet, LeaseAttrs attrs, boolean reservation, Optional<Instant> expiration,
                 long revision) {
        this(Optional.of(requireSubnet(subnet)), ipv6Subnet, attrs, reservation, expiration, revision);
    }

    /** An IPv6-only lease ({@code EnableIPv4: false}). */
    public static Lease ipv6Only(Ip6Net subnet, LeaseAttrs attrs, boolean reservation, Optional<Instant> expiration, long revision) {
        return new Lease(Optional.empty(), Optional.of(subnet), attrs, reservation, expiration, revision);
    }

    private static Ip4Net requireSubnet(Ip4Net subnet) {
        if (subnet == null) {
            throw new IllegalArgumentException("subnet is required");
        }
        return subnet;
    }

    /**
     * The IPv4 subnet.
     *
     * @throws IllegalStateException for an IPv6-only lease, which has none: IPv4 code must never run for it
     */
    public Ip4Net subnet() {
        return ipv4Subnet.orElseThrow(() -> new IllegalStateException("the IPv6-only lease " + ipv6Subnet.get()
                + " has no IPv4 subnet: nothing IPv4 may be done with it"));
    }

    /** True for a lease without an IPv4 half. */
    public boolean isIpv6Only() {
        return ipv4Subnet.isEmpty();
    }

    /** What names this lease among the others: its IPv4 subnet, or an IPv6-only lease's IPv6 subnet. */
    public LeaseId id() {
        return ipv4Subnet.map(LeaseId::of).orElseGet(() -> LeaseId.ofIpv6Only(ipv6Subnet.get()));
    }

    /** The same lease without its IPv4 half: what an IPv6-only network programs of a dual-stack one. */
    public Lease ipv6Half() {
        if (ipv6Subnet.isEmpty()) {
            throw new IllegalStateException("the lease " + keyName() + " has no IPv6 half");
        }
        return new Lease(Optional.empty(), ipv6Subnet, attrs, reservation, expiration, revision);
    }

    /**
     * The last path element of the lease's key: {@code 10.5.1.0-24}. An IPv6-only lease is named by its
     * IPv6 half ({@code fc00:0:0:1::-64}); no store writes such a key (flannel's etcd manager makes none).
     */
    public String keyName() {
        return ipv4Subnet.map(s -> keyName(s, ipv6Subnet)).orElseGet(() -> ipv6Subnet.get().toKey());
    }

    /** flannel's MakeSubnetKey: {@code 10.5.1.0-24}, or {@code 10.5.1.0-24&fc00:0:0:1::-64} for a dual-stack lease. */
    public static String keyName(Ip4Net subnet, Optional<Ip6Net> ipv6Subnet) {
        return subnet.toKey() + ipv6Subnet.map(s -> "&" + s.toKey()).orElse("");
    }

    /**
     * Parses the last path element of a subnet key; empty when it is not one (flannel skips those too),
     * and when its IPv6 half has host bits set (flannel would take such a key; nothing valid writes one).
     */
    public static Optional<ParsedKey> parseKeyName(String name) {
        Matcher m = KEY.matcher(name);
        if (!m.matches()) {
            return Optional.empty();
        }
        try {
            Ip4Net sn = Ip4Net.parse(m.group(1) + "/" + m.group(2));
            Optional<Ip6Net> v6 = m.group(3) == null ? Optional.empty() : Optional.of(Ip6Net.parseKey(m.group(3) + "-" + m.group(4)));
            return Optional.of(new ParsedKey(sn, v6));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** A subnet key's parts. */
    public record ParsedKey(Ip4Net subnet, Optional<Ip6Net> ipv6Subnet) {}

    public Lease withAttrs(LeaseAttrs newAttrs) {
        return new Lease(ipv4Subnet, ipv6Subnet, newAttrs, reservation, expiration, revision);
    }

    public Lease withExpiration(Optional<Instant> newExpiration) {
        return new Lease(ipv4Subnet, ipv6Subnet, attrs, reservation, newExpiration, revision);
    }

    @Override
    public String toString() {
        return ipv4Subnet.map(v4 -> v4 + ipv6Subnet.map(s -> " " + s).orElse("")).orElseGet(() -> ipv6Subnet.get() + " (IPv6 only)") + " " + attrs.toJson() + (reservation ? " (reservation)" : expiration.map(e -> " until " + e).orElse(""));
    }
}
