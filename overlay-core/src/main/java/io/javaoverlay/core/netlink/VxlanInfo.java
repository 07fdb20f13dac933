package io.javaoverlay.core.netlink;

import java.net.Inet6Address;

import io.javaoverlay.core.net.Ip4;

/**
 * The VXLAN settings a backend cares about, both to create a device and as read back from an
 * existing one ({@code IFLA_INFO_DATA}), so that {@code existing.equals(wanted)} tells whether
 * a device can be kept.
 *
 * @param vni the VXLAN network identifier, 0-16777215
 * @param local the IPv4 source address for encapsulated packets, or null for none
 * @param deviceIndex the underlying device's index, or 0 for none
 * @param port the UDP destination port (flannel: 8472, IANA: 4789)
 * @param learning whether the kernel learns remote MACs from received packets
 * @param gbp whether the Group Based Policy extension is on
 * @param local6 the IPv6 source address ({@code IFLA_VXLAN_LOCAL6}): a device over an IPv6
 *               underlay, such as flannel's {@code flannel-v6.<VNI>}; null for none. At most one
 *               of {@code local} and {@code local6}.
 */
public record VxlanInfo(int vni, Ip4 local, int deviceIndex, int port, boolean learning, boolean gbp, Inet6Address local6) {

    public VxlanInfo {
        if (vni < 0 || vni > 0xffffff) {
            throw new IllegalArgumentException("VNI must be 0-16777215, got " + vni);
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("VXLAN port must be 1-65535, got " + port);
        }
        if (deviceIndex < 0) {
            throw new IllegalArgumentException("device index must be positive or 0 (none), got " + deviceIndex);
        }
        if (local != null && local6 != null) {
            throw new IllegalArgumentException("a VXLAN device has one source address, IPv4 or IPv6, not both");
        }
    }

    /** A device over an IPv4 underlay (or none). */
    public VxlanInfo(int vni, Ip4 local, int deviceIndex, int port, boolean learning, boolean gbp) {
        this(vni, local, deviceIndex, port, learning, gbp, null);
    }

    /** Learning off and GBP off, over an IPv6 underlay: flannel's {@code flannel-v6.<VNI>}. */
    public static VxlanInfo ofIpv6(int vni, Inet6Address local6, int deviceIndex, int port) {
        return new VxlanInfo(vni, null, deviceIndex, port, false, false, local6);
    }

    /** The source address as text, whichever family; {@code none} without one. */
    public String localText() {
        return local6 != null ? local6.getHostAddress() : local != null ? local.toString() : "none";
    }

    /** Learning off and GBP off: flannel's settings. */
    public static VxlanInfo of(int vni, Ip4 local, int deviceIndex, int port) {
        return new VxlanInfo(vni, local, deviceIndex, port, false, false);
    }

    public VxlanInfo withLearning(boolean on) {
        return new VxlanInfo(vni, local, deviceIndex, port, on, gbp, local6);
    }

    public VxlanInfo withGbp(boolean on) {
        return new VxlanInfo(vni, local, deviceIndex, port, learning, on, local6);
    }
}
