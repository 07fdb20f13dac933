package io.javaoverlay.core.netlink;

import io.javaoverlay.core.net.MacAddress;

import java.util.Optional;

/**
 * A network device as the kernel reports it.
 *
 * @param index the interface index
 * @param name the interface name
 * @param kind the rtnetlink kind ({@code bridge}, {@code veth}, {@code vxlan}, {@code dummy},
 *        {@code tun}); empty for devices without one (physical NICs, {@code lo})
 * @param flags the {@code IFF_*} flags
 * @param mtu the MTU
 * @param mac the hardware address, or null for devices without one (TUN)
 * @param masterIndex the index of the bridge (or other master) this device is enslaved to, 0 for none
 * @param parentIndex {@code IFLA_LINK}: for a veth its peer's index (in the peer's namespace), 0 for none
 * @param hairpin for a bridge port, whether hairpin mode is on; false for other devices
 * @param vxlan for a vxlan device its settings, null for other kinds
 */
public record Link(int index, String name, String kind, int flags, int mtu, MacAddress mac, int masterIndex,
        int parentIndex, boolean hairpin, VxlanInfo vxlan) {

    public Link {
        if (name == null) {
            throw new IllegalArgumentException("link name is missing");
        }
        kind = kind == null ? "" : kind;
    }

    /** Administratively up ({@code IFF_UP}). */
    public boolean isUp() {
        return (flags & Rtnl.IFF_UP) != 0;
    }

    /** Carrier present ({@code IFF_LOWER_UP}). */
    public boolean hasCarrier() {
        return (flags & Rtnl.IFF_LOWER_UP) != 0;
    }

    public boolean hasMaster() {
        return masterIndex != 0;
    }

    public Optional<MacAddress> macAddress() {
        return Optional.ofNullable(mac);
    }

    public Optional<VxlanInfo> vxlanInfo() {
        return Optional.ofNullable(vxlan);
    }
}
