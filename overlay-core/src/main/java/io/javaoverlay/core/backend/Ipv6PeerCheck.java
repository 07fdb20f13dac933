package io.javaoverlay.core.backend;

import java.math.BigInteger;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;

import io.javaoverlay.core.config.Ipv6Config;
import io.javaoverlay.core.config.NetworkConfig;
import io.javaoverlay.core.lease.Lease;
import io.javaoverlay.core.net.Ip6Net;

/**
 * The IPv6 half of another host's dual-stack lease ({@code 10.5.52.0-24&fc00:5:34::-64},
 * {@code PublicIPv6}), checked as {@link PeerAdmission} checks the IPv4 half. A lease whose IPv6
 * half fails is rejected as a whole: a key is one claim, and a host that publishes a bad half
 * is not trusted with the other.
 *
 * <p>With IPv6 disabled the IPv6 half of a lease is never programmed, so it is not checked; an
 * IPv4-only lease in a dual-stack network (a peer without an IPv6 subnet) passes: only its IPv4
 * half is programmed, as flannel does.
 */
final class Ipv6PeerCheck {

    /** Addresses that are no host's underlay address (RFC 4291). */
    private static final Map<String, Ip6Net> NOT_A_HOST = Map.of(
            "the unspecified address", Ip6Net.parse("::/128"),
            "the loopback address", Ip6Net.parse("::1/128"),
            "link-local (it needs an interface scope a lease cannot carry)", Ip6Net.parse("fe80::/10"),
            "multicast", Ip6Net.parse("ff00::/8"));

    private final Optional<Ipv6Config> config;
    private final Optional<Ip6Net> own;
    private final Optional<String> ownPublicIpv6;

    /**
     * @param own           this host's IPv6 subnet, when it holds a dual-stack lease
     * @param ownPublicIpv6 what this host publishes as {@code PublicIPv6}
     */
    Ipv6PeerCheck(NetworkConfig config, Optional<Ip6Net> own, Optional<String> ownPublicIpv6) {
        this.config = config.ipv6();
        this.own = own;
        this.ownPublicIpv6 = ownPublicIpv6.map(t -> Ip6Net.format(Ip6Net.parseAddress(t)));
    }

    /**
     * @param accepted the leases programmed now: another one's IPv6 subnet may not be claimed twice
     * @param dataPath false for an agent that programs nothing: only the subnet is checked
     */
    Optional<PeerRejection> check(Lease l, boolean dataPath, Collection<Lease> accepted) {
        if (config.isEmpty() || l.ipv6Subnet().isEmpty()) {
            return Optional.empty();
        }
        Ipv6Config v6 = config.get();
        Ip6Net subnet = l.ipv6Subnet().get();
        Optional<PeerRejection> subnetCheck = PeerSubnetCheck.check("IPv6 ", subnet, subnet.prefixLength(), v6.subnetLen(),
                v6.network().contains(subnet), v6.network(), own.filter(subnet::overlaps));
        if (subnetCheck.isPresent()) {
            return subnetCheck;
        }
        for (Lease other : accepted) {
            if (!other.id().equals(l.id()) && other.ipv6Subnet().filter(subnet::overlaps).isPresent()) {
                return reject(PeerRejection.Reason.IPV6_SUBNET_IN_USE, "IPv6 subnet " + subnet + " is already published with "
                        + other.keyName() + "; the lease programmed first keeps it");
            }
        }
        if (!dataPath) {
            return Optional.empty();
        }
        if (l.attrs().publicIpv6().isEmpty()) {
            return reject(PeerRejection.Reason.BAD_PUBLIC_IP, "no PublicIPv6 for its IPv6 subnet " + subnet
                    + ": nothing to send its IPv6 traffic to");
        }
        String text = l.attrs().publicIpv6().get();
        BigInteger ip = Ip6Net.parseAddress(text);
        for (Map.Entry<String, Ip6Net> special : NOT_A_HOST.entrySet()) {
            if (special.getValue().contains(ip)) {
                return reject(PeerRejection.Reason.BAD_PUBLIC_IP, "PublicIPv6 " + text + " is " + special.getKey() + ", not a host");
            }
        }
        if (v6.network().contains(ip)) {
            return reject(PeerRejection.Reason.BAD_PUBLIC_IP, "PublicIPv6 " + text + " is inside the overlay IPv6Network " + v6.network()
                    + ": its tunnel packets would be routed into the overlay");
        }
        if (ownPublicIpv6.filter(text::equals).isPresent()) {
            return reject(PeerRejection.Reason.OWN_PUBLIC_IP, "PublicIPv6 " + text + " is this host's own address");
        }
        return Optional.empty();
    }

    private static Optional<PeerRejection> reject(PeerRejection.Reason reason, String detail) {
        return Optional.of(new PeerRejection(reason, detail));
    }
}
