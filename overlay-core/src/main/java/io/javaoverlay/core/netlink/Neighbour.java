package io.javaoverlay.core.netlink;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.MacAddress;

import java.net.InetAddress;

/**
 * A neighbour (ARP / NDP) entry ({@code ip neigh}).
 *
 * @param linkIndex the device's index
 * @param address the neighbour's IP address
 * @param mac its link-layer address, or null when unresolved
 * @param state {@code NUD_*} bits ({@link #NUD_PERMANENT} = 0x80 for static entries)
 * @param flags {@code NTF_*} bits
 */
public record Neighbour(int linkIndex, InetAddress address, MacAddress mac, int state, int flags) {

    public static final int NUD_NOARP = 0x40;
    public static final int NUD_PERMANENT = 0x80;

    public Neighbour {
        if (address == null) {
            throw new IllegalArgumentException("neighbour address is missing");
        }
        if (linkIndex <= 0) {
            throw new IllegalArgumentException("a neighbour needs a device index, got " + linkIndex);
        }
    }

    /** A permanent entry, as {@code ip neigh replace IP lladdr MAC dev X nud permanent} makes. */
    public static Neighbour permanent(int linkIndex, Ip4 ip, MacAddress mac) {
        return new Neighbour(linkIndex, ip.toInetAddress(), mac, NUD_PERMANENT, 0);
    }

    /** A permanent entry for an address of either family (an IPv6 VTEP address on {@code flannel-v6.<VNI>}). */
    public static Neighbour permanent(int linkIndex, InetAddress ip, MacAddress mac) {
        return new Neighbour(linkIndex, ip, mac, NUD_PERMANENT, 0);
    }

    public boolean isPermanent() {
        return (state & NUD_PERMANENT) != 0;
    }

    int family() {
        return InetCodec.family(address);
    }

    @Override
    public String toString() {
        return address.getHostAddress() + " lladdr " + mac + " dev#" + linkIndex + " state 0x" + Integer.toHexString(state);
    }
}
