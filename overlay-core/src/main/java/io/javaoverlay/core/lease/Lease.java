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
 * @param ipv6Subnet  the IPv6 half of a dual-stack lease's key ({@code fc00:0:0:1::-64}): the key is then
 *                    {@code 10.5.1.0-24&fc00:0:0:1::-64}, as flannel names it
 * @param reservation true for a key an operator wrote without an etcd lease: it never expires
 *                    and is never given to another host
 * @param expiration  when it lapses unless renewed; empty for a reservation, and for another
 *                    host's etcd lease (its TTL is not fetched: no round trip per lease)
 * @param revision    the store's revision of the last change (etcd's mod revision)
 */
public record Lease(Ip4Net subnet, Optional<Ip6Net> ipv6Subnet, LeaseAttrs attrs, boolean reservation,
                    Optional<Instant> expiration, long revision) {

    /** flannel's key pattern: {@code 10.5.1.0-24}, optionally {@code &fc00:0:0:1::-64}. */
    private static final Pattern KEY = Pattern.compile("(\\d+\\.\\d+\\.\\d+\\.\\d+)-(\\d+)(?:&([a-fA-F\\d:]+)-(\\d+))?");

    public Lease {
        if (subnet == null || attrs == null) {
            throw new IllegalArgumentException("subnet and attrs are required");
        }
        ipv6Subnet = ipv6Subnet == null ? Optional.empty() : ipv6Subnet;
        expiration = expiration == null ? Optional.empty() : expiration;
    }

    /** The last path element of the lease's key: {@code 10.5.1.0-24}. */
    public String keyName() {
        return keyName(subnet, ipv6Subnet);
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
        return new Lease(subnet, ipv6Subnet, newAttrs, reservation, expiration, revision);
    }

    public Lease withExpiration(Optional<Instant> newExpiration) {
        return new Lease(subnet, ipv6Subnet, attrs, reservation, newExpiration, revision);
    }

    @Override
    public String toString() {
        return subnet + ipv6Subnet.map(s -> " " + s).orElse("") + " " + attrs.toJson() + (reservation ? " (reservation)" : expiration.map(e -> " until " + e).orElse(""));
    }
}
