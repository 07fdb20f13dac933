package io.javaoverlay.core.firewall;

import java.util.Optional;

import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.Ip6Net;

/**
 * What the firewall rules are written for: the overlay network and this host's lease, and with
 * {@code EnableIPv6} the IPv6 network and this host's IPv6 subnet too (flannel's
 * {@code SetupAndEnsureMasqRules} takes the same pairs). The IPv6 pair is both there or both
 * absent.
 */
public record RuleScope(Ip4Net network, Ip4Net lease, Optional<Ip6Net> ipv6Network, Optional<Ip6Net> ipv6Lease) {

    public RuleScope {
        if (network == null || lease == null || ipv6Network == null || ipv6Lease == null) {
            throw new IllegalArgumentException("a rule scope needs the network and the lease (IPv6 ones optional, not null)");
        }
        if (ipv6Network.isPresent() != ipv6Lease.isPresent()) {
            throw new IllegalArgumentException("the IPv6 network and the IPv6 lease go together: got " + ipv6Network + " and " + ipv6Lease);
        }
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
        return lease + ipv6Lease.map(l -> " and " + l).orElse("");
    }
}
