package io.javaoverlay.core.netlink;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;

import java.net.Inet4Address;
import java.net.InetAddress;

/**
 * An interface address ({@code ip addr}): an IPv4 or IPv6 host address with its prefix length
 * on a device.
 *
 * @param linkIndex the device's index
 * @param address the host address ({@code IFA_LOCAL} for IPv4)
 * @param prefixLength the prefix length (0-32 for IPv4, 0-128 for IPv6)
 * @param scope {@code RT_SCOPE_*}: 0 universe (global), 253 link, 254 host
 * @param flags {@code IFA_F_*} (e.g. 0x02 NODAD for IPv6 addresses usable at once); read back,
 *        they include what the kernel sets ({@link #IFA_F_PERMANENT} for configured addresses),
 *        so compare a wanted address with one read back by {@link #matches}
 */
public record Address(int linkIndex, InetAddress address, int prefixLength, int scope, int flags) {

    public static final int SCOPE_UNIVERSE = 0;
    public static final int SCOPE_LINK = 253;
    /** IPv6: skip duplicate address detection, so the address is usable at once. */
    public static final int IFA_F_NODAD = 0x02;
    /** Set by the kernel on addresses that were configured (not autoconfigured). */
    public static final int IFA_F_PERMANENT = 0x80;

    public Address {
        if (address == null) {
            throw new IllegalArgumentException("address is missing");
        }
        int max = InetCodec.maxPrefix(InetCodec.family(address));
        if (prefixLength < 0 || prefixLength > max) {
            throw new IllegalArgumentException("prefix length must be 0-" + max + ", got " + prefixLength);
        }
        if (linkIndex <= 0) {
            throw new IllegalArgumentException("an address needs a device index, got " + linkIndex);
        }
    }

    /** A global IPv4 address on a device. */
    public static Address ip4(int linkIndex, Ip4 ip, int prefixLength) {
        return new Address(linkIndex, ip.toInetAddress(), prefixLength, SCOPE_UNIVERSE, 0);
    }

    public static Address ip4(int linkIndex, Ip4Net.HostAddress host) {
        return ip4(linkIndex, host.ip(), host.prefixLength());
    }

    /** A global address of either family. */
    public static Address of(int linkIndex, InetAddress address, int prefixLength) {
        return new Address(linkIndex, address, prefixLength, SCOPE_UNIVERSE, 0);
    }

    public Address withFlags(int flags) {
        return new Address(linkIndex, address, prefixLength, scope, flags);
    }

    public Address withScope(int scope) {
        return new Address(linkIndex, address, prefixLength, scope, flags);
    }

    /** Same device, address and prefix length: what "the device has this address" means. */
    public boolean matches(Address other) {
        return linkIndex == other.linkIndex && prefixLength == other.prefixLength && address.equals(other.address);
    }

    public boolean isIp4() {
        return address instanceof Inet4Address;
    }

    /** This address as an IPv4 host address with prefix; fails for IPv6. */
    public Ip4Net.HostAddress ip4() {
        if (!isIp4()) {
            throw new IllegalStateException(address.getHostAddress() + " is not an IPv4 address");
        }
        return new Ip4Net.HostAddress(Ip4.of(address), prefixLength);
    }

    int family() {
        return InetCodec.family(address);
    }

    @Override
    public String toString() {
        return address.getHostAddress() + "/" + prefixLength + " dev#" + linkIndex;
    }
}
