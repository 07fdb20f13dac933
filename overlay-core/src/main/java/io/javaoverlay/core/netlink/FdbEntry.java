package io.javaoverlay.core.netlink;

import java.net.Inet6Address;
import java.net.InetAddress;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.MacAddress;

/**
 * A forwarding-database entry ({@code bridge fdb}). On a vxlan device it maps an inner MAC to
 * the remote VTEP that owns it ({@code dst}); the all-zeros MAC with several {@code append}ed
 * destinations floods broadcast/unknown traffic to each of them.
 *
 * @param linkIndex the device's index (the vxlan device, or a bridge port)
 * @param mac the MAC address
 * @param destination the remote VTEP's IPv4 address, or null for none (local bridge entries)
 * @param state {@code NUD_*} bits ({@link Neighbour#NUD_PERMANENT} for static entries)
 * @param flags {@code NTF_*} bits ({@link #NTF_SELF}: the device's own table, not its master's)
 * @param masterIndex the bridge a port entry belongs to, 0 for none
 * @param destination6 the remote VTEP's IPv6 address (a device over an IPv6 underlay), or null;
 *                     at most one of {@code destination} and {@code destination6}
 */
public record FdbEntry(int linkIndex, MacAddress mac, Ip4 destination, int state, int flags, int masterIndex,
                       Inet6Address destination6) {

    public static final int NTF_SELF = 0x02;
    public static final int NTF_MASTER = 0x04;

    /** The all-zeros MAC: a vxlan default destination (flood entry). */
    public static final MacAddress ZERO_MAC = new MacAddress(new byte[6]);

    public FdbEntry {
        if (mac == null) {
            throw new IllegalArgumentException("FDB entry needs a MAC address");
        }
        if (linkIndex <= 0) {
            throw new IllegalArgumentException("FDB entry needs a device index, got " + linkIndex);
        }
        if (destination != null && destination6 != null) {
            throw new IllegalArgumentException("an FDB entry has one destination, IPv4 or IPv6, not both");
        }
    }

    /** An entry with an IPv4 destination (or none). */
    public FdbEntry(int linkIndex, MacAddress mac, Ip4 destination, int state, int flags, int masterIndex) {
        this(linkIndex, mac, destination, state, flags, masterIndex, null);
    }

    /** The same as {@link #vxlan} towards a VTEP on an IPv6 underlay ({@code bridge fdb ... dst fd00::2}). */
    public static FdbEntry vxlan6(int linkIndex, MacAddress mac, Inet6Address destination) {
        return new FdbEntry(linkIndex, mac, null, Neighbour.NUD_PERMANENT | Neighbour.NUD_NOARP, NTF_SELF, 0, destination);
    }

    /** The remote VTEP, whichever family; null for none. */
    public InetAddress remote() {
        return destination6 != null ? destination6 : destination != null ? destination.toInetAddress() : null;
    }

    /**
     * A permanent entry in a vxlan device's own table, as
     * {@code bridge fdb add|append MAC dev VX dst IP} makes it (iproute2 sets NOARP|PERMANENT, SELF).
     */
    public static FdbEntry vxlan(int linkIndex, MacAddress mac, Ip4 destination) {
        return new FdbEntry(linkIndex, mac, destination, Neighbour.NUD_PERMANENT | Neighbour.NUD_NOARP, NTF_SELF, 0);
    }

    /** The all-zeros flood entry towards one VTEP ({@code bridge fdb append 00:00:00:00:00:00 dev VX dst IP}). */
    public static FdbEntry flood(int linkIndex, Ip4 vtep) {
        return vxlan(linkIndex, ZERO_MAC, vtep);
    }

    public boolean isSelf() {
        return (flags & NTF_SELF) != 0;
    }

    public boolean isPermanent() {
        return (state & Neighbour.NUD_PERMANENT) != 0;
    }

    @Override
    public String toString() {
        return mac + " dev#" + linkIndex + (remote() != null ? " dst " + remote().getHostAddress() : "") + (isSelf() ? " self" : "")
                + (isPermanent() ? " permanent" : "");
    }
}
