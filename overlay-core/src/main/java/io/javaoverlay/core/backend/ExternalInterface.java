package io.javaoverlay.core.backend;

import java.util.Optional;

import io.javaoverlay.core.net.Ip4;

/**
 * The interface this host reaches the other hosts through, as flannel picks it
 * ({@code --iface}, {@code --iface-regex}, the default route), and the address published to them.
 *
 * @param ifaceAddr the interface's own IPv4 address (the VXLAN source address)
 * @param publicIp  what other hosts send to: {@code --public-ip}, else {@code ifaceAddr}
 * @param mtu       the interface's MTU; backends subtract their encapsulation overhead
 * @param matchedIpv6 the IPv6 address (RFC 5952) the interface was picked by: {@code --iface <IPv6>},
 *                  or {@code --public-ipv6} when no {@code --iface} or {@code --public-ip} was given
 */
public record ExternalInterface(String name, int index, int mtu, Ip4 ifaceAddr, Ip4 publicIp, Optional<String> matchedIpv6) {

    public ExternalInterface {
        if (name == null || name.isEmpty() || ifaceAddr == null || publicIp == null) {
            throw new IllegalArgumentException("interface name and addresses are required");
        }
        matchedIpv6 = matchedIpv6 == null ? Optional.empty() : matchedIpv6;
        if (mtu <= 0) {
            throw new IllegalArgumentException("cannot determine the MTU of " + name);
        }
    }

    /** An interface picked by name or by an IPv4 address. */
    public ExternalInterface(String name, int index, int mtu, Ip4 ifaceAddr, Ip4 publicIp) {
        this(name, index, mtu, ifaceAddr, publicIp, Optional.empty());
    }

    @Override
    public String toString() {
        return name + " (" + ifaceAddr + ", MTU " + mtu + (publicIp.equals(ifaceAddr) ? "" : ", public IP " + publicIp) + ")";
    }
}
