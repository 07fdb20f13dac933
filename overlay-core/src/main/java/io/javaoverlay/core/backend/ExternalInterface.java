package io.javaoverlay.core.backend;

import java.util.Optional;

import io.javaoverlay.core.net.Ip4;

/**
 * The interface this host reaches the other hosts through, as flannel picks it
 * ({@code --iface}, {@code --iface-regex}, the default route), and the address published to them.
 *
 * <p>In an IPv6-only network ({@code EnableIPv4: false}) the interface needs no IPv4 address, as in
 * flannel ({@code LookupExtIface} with its IPv6 stack): {@link #isIpv6Only()}, and {@link #ifaceAddr()}
 * and {@link #publicIp()} throw, so that no IPv4 code runs with a made-up address.
 *
 * @param ipv4Addr    the interface's own IPv4 address (the VXLAN source address); empty IPv6-only
 * @param ipv4PublicIp what other hosts send IPv4 to: {@code --public-ip}, else {@code ipv4Addr}; empty IPv6-only
 * @param mtu         the interface's MTU; backends subtract their encapsulation overhead
 * @param matchedIpv6 the IPv6 address (RFC 5952) the interface was picked by: {@code --iface <IPv6>},
 *                    or {@code --public-ipv6} when no {@code --iface} or {@code --public-ip} was given
 */
public record ExternalInterface(String name, int index, int mtu, Optional<Ip4> ipv4Addr, Optional<Ip4> ipv4PublicIp,
                                Optional<String> matchedIpv6) {

    public ExternalInterface {
        ipv4Addr = ipv4Addr == null ? Optional.empty() : ipv4Addr;
        ipv4PublicIp = ipv4PublicIp == null ? Optional.empty() : ipv4PublicIp;
        if (name == null || name.isEmpty() || ipv4Addr.isPresent() != ipv4PublicIp.isPresent()) {
            throw new IllegalArgumentException("the interface name is required, and its IPv4 address and public IP go together");
        }
        matchedIpv6 = matchedIpv6 == null ? Optional.empty() : matchedIpv6;
        if (mtu <= 0) {
            throw new IllegalArgumentException("cannot determine the MTU of " + name);
        }
    }

    /** An interface with an IPv4 address (and, dual stack, picked by an IPv6 one). */
    public ExternalInterface(String name, int index, int mtu, Ip4 ifaceAddr, Ip4 publicIp, Optional<String> matchedIpv6) {
        this(name, index, mtu, Optional.of(require(ifaceAddr)), Optional.of(require(publicIp)), matchedIpv6);
    }

    /** An interface picked by name or by an IPv4 address. */
    public ExternalInterface(String name, int index, int mtu, Ip4 ifaceAddr, Ip4 publicIp) {
        this(name, index, mtu, ifaceAddr, publicIp, Optional.empty());
    }

    /** The interface of an IPv6-only network: no IPv4 address is needed or used. */
    public static ExternalInterface ipv6Only(String name, int index, int mtu, Optional<String> matchedIpv6) {
        return new ExternalInterface(name, index, mtu, Optional.empty(), Optional.empty(), matchedIpv6);
    }

    private static Ip4 require(Ip4 a) {
        if (a == null) {
            throw new IllegalArgumentException("interface name and addresses are required");
        }
        return a;
    }

    /** True in an IPv6-only network: the interface's IPv4 address is not used (it may have none). */
    public boolean isIpv6Only() {
        return ipv4Addr.isEmpty();
    }

    /**
     * The interface's IPv4 address.
     *
     * @throws IllegalStateException in an IPv6-only network, where none is used
     */
    public Ip4 ifaceAddr() {
        return ipv4Addr.orElseThrow(() -> new IllegalStateException(name + " is used IPv6-only: it has no IPv4 address here"));
    }

    /**
     * The IPv4 address other hosts send to.
     *
     * @throws IllegalStateException in an IPv6-only network, where none is published
     */
    public Ip4 publicIp() {
        return ipv4PublicIp.orElseThrow(() -> new IllegalStateException(name + " is used IPv6-only: it publishes no IPv4 address"));
    }

    @Override
    public String toString() {
        if (isIpv6Only()) {
            return name + " (IPv6 only" + matchedIpv6.map(a -> ", " + a).orElse("") + ", MTU " + mtu + ")";
        }
        return name + " (" + ifaceAddr() + ", MTU " + mtu + (publicIp().equals(ifaceAddr()) ? "" : ", public IP " + publicIp()) + ")";
    }
}
