package io.javaoverlay.core.netlink;

import io.javaoverlay.core.net.Ip4;

/**
 * The VXLAN settings a backend cares about, both to create a device and as read back from an
 * existing one ({@code IFLA_INFO_DATA}), so that {@code existing.equals(wanted)} tells whether
 * a device can be kept.
 *
 * @param vni the VXLAN network identifier, 0-16777215
 * @param local the source address for encapsulated packets, or null for none
 * @param deviceIndex the underlying device's index, or 0 for none
 * @param port the UDP destination port (flannel: 8472, IANA: 4789)
 * @param learning whether the kernel learns remote MACs from received packets
 * @param gbp whether the Group Based Policy extension is on
 */
public record VxlanInfo(int vni, Ip4 local, int deviceIndex, int port, boolean learning, boolean gbp) {

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
    }

    /** Learning off and GBP off: flannel's settings. */
    public static VxlanInfo of(int vni, Ip4 local, int deviceIndex, int port) {
        return new VxlanInfo(vni, local, deviceIndex, port, false, false);
    }

    public VxlanInfo withLearning(boolean on) {
        return new VxlanInfo(vni, local, deviceIndex, port, on, gbp);
    }

    public VxlanInfo withGbp(boolean on) {
        return new VxlanInfo(vni, local, deviceIndex, port, learning, on);
    }
}
