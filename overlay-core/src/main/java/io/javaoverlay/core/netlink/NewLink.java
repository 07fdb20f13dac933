package io.javaoverlay.core.netlink;

import io.javaoverlay.core.net.MacAddress;

/**
 * A device to create: kind, name and the optional settings the kernel takes at creation.
 * Build one with a factory ({@link #bridge}, {@link #dummy}, {@link #vxlan}, {@link #veth})
 * and adjust it with the {@code with*} methods.
 *
 * @param name the interface name (1-15 bytes)
 * @param kind the rtnetlink kind
 * @param mtu the MTU, or 0 for the kernel's default
 * @param mac the hardware address, or null to let the kernel choose
 * @param vxlan for {@code vxlan}: its settings
 * @param peer for {@code veth}: the other end
 */
public record NewLink(String name, String kind, int mtu, MacAddress mac, VxlanInfo vxlan, VethPeer peer) {

    /** The longest interface name the kernel accepts ({@code IFNAMSIZ} - 1). */
    public static final int MAX_NAME_LENGTH = 15;

    public NewLink {
        checkName(name);
        if (kind == null || kind.isEmpty()) {
            throw new IllegalArgumentException("link kind is missing for " + name);
        }
        if (mtu < 0) {
            throw new IllegalArgumentException("MTU must be positive, got " + mtu);
        }
        if ("vxlan".equals(kind) && vxlan == null) {
            throw new IllegalArgumentException("vxlan link " + name + " needs its VxlanInfo");
        }
        if ("veth".equals(kind) && peer == null) {
            throw new IllegalArgumentException("veth link " + name + " needs its peer");
        }
    }

    /** Rejects names the kernel would refuse, with a message that says why. */
    public static void checkName(String name) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("interface name is missing");
        }
        if (name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_NAME_LENGTH) {
            throw new IllegalArgumentException("interface name \"" + name + "\" is longer than " + MAX_NAME_LENGTH + " bytes");
        }
        if (name.equals(".") || name.equals("..") || name.chars().anyMatch(c -> c == '/' || c == ':' || Character.isWhitespace(c))) {
            throw new IllegalArgumentException("interface name \"" + name + "\" contains '/', ':' or whitespace");
        }
    }

    public static NewLink bridge(String name) {
        return new NewLink(name, "bridge", 0, null, null, null);
    }

    public static NewLink dummy(String name) {
        return new NewLink(name, "dummy", 0, null, null, null);
    }

    public static NewLink vxlan(String name, VxlanInfo info) {
        return new NewLink(name, "vxlan", 0, null, info, null);
    }

    /** A veth pair: this end in the socket's namespace, the peer as described. */
    public static NewLink veth(String name, VethPeer peer) {
        return new NewLink(name, "veth", 0, null, null, peer);
    }

    public NewLink withMtu(int mtu) {
        return new NewLink(name, kind, mtu, mac, vxlan, peer);
    }

    public NewLink withMac(MacAddress mac) {
        return new NewLink(name, kind, mtu, mac, vxlan, peer);
    }

    /**
     * The far end of a veth pair.
     *
     * @param name its interface name
     * @param namespace the namespace it is created in, or null for the same as this end
     * @param mac its hardware address, or null to let the kernel choose
     * @param mtu its MTU, or 0 for the kernel's default
     */
    public record VethPeer(String name, NetNs namespace, MacAddress mac, int mtu) {
        public VethPeer {
            checkName(name);
            if (mtu < 0) {
                throw new IllegalArgumentException("MTU must be positive, got " + mtu);
            }
        }

        public static VethPeer named(String name) {
            return new VethPeer(name, null, null, 0);
        }

        /** The peer created directly inside {@code namespace} (no rename/move race in between). */
        public static VethPeer in(NetNs namespace, String name) {
            return new VethPeer(name, namespace, null, 0);
        }

        public VethPeer withMac(MacAddress mac) {
            return new VethPeer(name, namespace, mac, mtu);
        }

        public VethPeer withMtu(int mtu) {
            return new VethPeer(name, namespace, mac, mtu);
        }
    }
}
