package io.javaoverlay.core.firewall;

import java.util.Optional;

import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.Ip6Net;

/**
 * What the firewall rules are written for: the overlay network and this host's lease, and with
 * {@code EnableIPv6} the IPv6 network and this host's IPv6 subnet too (flannel's
 * {@code SetupAndEnsureMasqRules} takes the same pairs). Each pair is both there or both absent; an
 * IPv6-only network ({@code EnableIPv4: false}) has the IPv6 pair alone.
 */
public record RuleScope(Optional<Ip4Net> ipv4Network, Optional<Ip4Net> ipv4Lease, Optional<Ip6Net> ipv6Network, Optional<Ip6Net> ipv6Lease) {

    public RuleScope {
        if (ipv4Network == null || ipv4Lease == null || ipv6Network == null || ipv6Lease == null) {
            throw new IllegalArgumentException("a rule scope needs the network and the lease (optional, not null)");
        }
        if (ipv4Network.isPresent() != ipv4Lease.isPresent()) {
            throw new IllegalArgumentException("the network and the lease go together: got " + ipv4Network + " and " + ipv4Lease);
        }
        if (ipv6Network.isPresent() != ipv6Lease.isPresent()) {
            throw new IllegalArgumentException("the IPv6 network and the IPv6 lease go together: got " + ipv6Network + " and " + ipv6Lease);
        }
        if (ipv4Network.isEmpty() && ipv6Network.isEmpty()) {
            throw new IllegalArgumentException("a rule scope needs the network and the lease of one family at least");
        }
    }

    /** IPv4, and IPv6 when given. */
    public RuleScope(Ip4Net network, Ip4Net lease, Optional<Ip6Net> ipv6Network, Optional<Ip6Net> ipv6Lease) {
        this(Optional.ofNullable(network), Optional.ofNullable(lease), ipv6Network, ipv6Lease);
        if (network == null || lease == null) {
            throw new IllegalArgumentException("a rule scope needs the network and the lease (IPv6 ones optional, not null)");
        }
    }

    /** IPv6 only: an IPv6-only network ({@code EnableIPv4: false}) gets no IPv4 rule. */
    public static RuleScope ipv6Only(Ip6Net ipv6Network, Ip6Net ipv6Lease) {
        return new RuleScope(Optional.empty(), Optional.empty(), Optional.of(ipv6Network), Optional.of(ipv6Lease));
    }

    /** The IPv4 network; throws for an IPv6-only scope ({@link #hasIpv4()}). */
    public Ip4Net network() {
        return ipv4Network.orElseThrow(() -> new IllegalStateException("an IPv6-only rule scope has no IPv4 network"));
    }

    /** This host's IPv4 lease; throws for an IPv6-only scope ({@link #hasIpv4()}). */
    public Ip4Net lease() {
        return ipv4Lease.orElseThrow(() -> new IllegalStateException("an IPv6-only rule scope has no IPv4 lease"));
    }

    public boolean hasIpv4() {
        return ipv4Network.isPresent();
    }

    /** IPv4 only. */
    public static RuleScope ipv4(Ip4Net network, Ip4Net lease) {
        return new RuleScope(network, lease, Optional.empty(), Optional.empty());
    }

    /** Both families: a dual-stack lease. */
    public static RuleScope dualStack(Ip4Net network, Ip4Net lease, Ip6Net ipv6Network, Ip6Net ipv6Lease) {
        return new RuleScope(network, lease, Optional.of(ipv6Network), Optional.of(ipv6Lease));
    }

    public boolean hasIpv6() {
        return ipv6Network.isPresent();
    }

    @Override
    public String toString() {
        return ipv4Lease.map(l -> l + ipv6Lease.map(l6 -> " and " + l6).orElse("")).orElseGet(() -> ipv6Lease.get() + " (IPv6 only)");
    }
}
