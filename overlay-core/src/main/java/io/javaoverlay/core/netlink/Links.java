package io.javaoverlay.core.netlink;

import java.net.Inet6Address;
import java.net.InetAddress;

import static io.javaoverlay.core.netlink.Rtnl.*;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.MacAddress;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;

/**
 * Network devices: list, look up, create, delete and change them ({@code ip link}).
 *
 * <p>Low-level operations fail loudly ({@link NetlinkException.Exists} on a duplicate create,
 * {@link NetlinkException.NotFound} on a missing device); the {@code ensure}/{@code IfExists}
 * forms are the idempotent ones callers reconcile with.
 */
public final class Links {

    private final NetlinkChannel channel;

    Links(NetlinkChannel channel) {
        this.channel = channel;
    }

    // --- reading ---

    public List<Link> list() {
        return channel.dump(RTM_GETLINK, "all links", w -> {
            w.ifinfomsg(AF_UNSPEC, 0, 0, 0);
            w.attrU32(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
        }, Links::decode);
    }

    public Optional<Link> get(String name) {
        NewLink.checkName(name);
        return channel.find(RTM_GETLINK, "link \"" + name + "\"", w -> {
            w.ifinfomsg(AF_UNSPEC, 0, 0, 0);
            w.attrString(IFLA_IFNAME, name);
            w.attrU32(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
        }, Links::decode);
    }

    public Optional<Link> get(int index) {
        return channel.find(RTM_GETLINK, "link index " + index, w -> {
            w.ifinfomsg(AF_UNSPEC, index, 0, 0);
            w.attrU32(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
        }, Links::decode);
    }

    /**
     * The traffic counters of the device with this index ({@code ip -s link show}), read from the
     * kernel now; empty when there is no such device. The lookups above ask the kernel to leave
     * the counters out ({@code RTEXT_FILTER_SKIP_STATS}); this one is the only one that wants them.
     */
    public Optional<LinkStats> stats(int index) {
        return channel.find(RTM_GETLINK, "counters of link index " + index, w -> {
            w.ifinfomsg(AF_UNSPEC, index, 0, 0);
        }, (b, type, payload, end) -> type != RTM_NEWLINK ? null
                : LinkStats.decode(Attrs.parse(b, payload + 16, end, IFLA_MAX_PARSED).bytes(IFLA_STATS64)));
    }

    /** The link named {@code name}; {@link NetlinkException.NotFound} when there is none. */
    public Link require(String name) {
        return get(name).orElseThrow(() -> new NetlinkException.NotFound(
                "RTM_GETLINK failed: No such device (ENODEV) [link \"" + name + "\"]", Errno.ENODEV, "RTM_GETLINK"));
    }

    // --- creating and deleting ---

    /** Creates a device ({@code NLM_F_EXCL}: an existing one of the same name is an error) and returns it as read back. */
    public Link create(NewLink spec) {
        channel.execute(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, describe(spec), w -> encodeNew(w, spec));
        return require(spec.name());
    }

    public Link createBridge(String name) {
        return create(NewLink.bridge(name));
    }

    public Link createDummy(String name) {
        return create(NewLink.dummy(name));
    }

    public Link createVxlan(String name, VxlanInfo info) {
        return create(NewLink.vxlan(name, info));
    }

    /** Creates a veth pair; returns this (the socket's) end. */
    public Link createVeth(String name, NewLink.VethPeer peer) {
        return create(NewLink.veth(name, peer));
    }

    /**
     * The bridge {@code name}, created if missing. An existing device of another kind is an
     * error (the caller must not silently take over someone else's device).
     */
    public Link ensureBridge(String name) {
        Optional<Link> existing = get(name);
        if (existing.isPresent()) {
            if (!"bridge".equals(existing.get().kind())) {
                throw new NetlinkException("device \"" + name + "\" exists but is a " + kindText(existing.get())
                        + ", not a bridge; delete it or choose another bridge name", Errno.EEXIST, "RTM_NEWLINK");
            }
            return existing.get();
        }
        try {
            return createBridge(name);
        } catch (NetlinkException.Exists e) {
            return ensureBridge(name); // created concurrently (another CNI ADD): check its kind
        }
    }

    public void delete(int index) {
        channel.execute(RTM_DELLINK, 0, "link index " + index, w -> w.ifinfomsg(AF_UNSPEC, index, 0, 0));
    }

    public void delete(String name) {
        NewLink.checkName(name);
        channel.execute(RTM_DELLINK, 0, "link \"" + name + "\"", w -> {
            w.ifinfomsg(AF_UNSPEC, 0, 0, 0);
            w.attrString(IFLA_IFNAME, name);
        });
    }

    /** Deletes the device if it exists; returns whether it did. */
    public boolean deleteIfExists(String name) {
        try {
            delete(name);
            return true;
        } catch (NetlinkException.NotFound e) {
            return false;
        }
    }

    // --- changing ---

    public void setUp(int index) {
        setFlags(index, IFF_UP, "up");
    }

    public void setDown(int index) {
        setFlags(index, 0, "down");
    }

    private void setFlags(int index, int flags, String what) {
        channel.execute(RTM_NEWLINK, 0, "set link index " + index + " " + what,
                w -> w.ifinfomsg(AF_UNSPEC, index, flags, IFF_UP));
    }

    public void setMtu(int index, int mtu) {
        channel.execute(RTM_NEWLINK, 0, "set link index " + index + " mtu " + mtu, w -> {
            w.ifinfomsg(AF_UNSPEC, index, 0, 0);
            w.attrU32(IFLA_MTU, mtu);
        });
    }

    public void setMac(int index, MacAddress mac) {
        channel.execute(RTM_NEWLINK, 0, "set link index " + index + " address " + mac, w -> {
            w.ifinfomsg(AF_UNSPEC, index, 0, 0);
            w.attr(IFLA_ADDRESS, mac.bytes());
        });
    }

    /** Enslaves the device to {@code masterIndex} (e.g. a bridge). */
    public void setMaster(int index, int masterIndex) {
        channel.execute(RTM_NEWLINK, 0, "set link index " + index + " master " + masterIndex, w -> {
            w.ifinfomsg(AF_UNSPEC, index, 0, 0);
            w.attrU32(IFLA_MASTER, masterIndex);
        });
    }

    /** Releases the device from its master; a no-op when it has none. */
    public void setNoMaster(int index) {
        setMaster(index, 0);
    }

    /** Moves the device into another namespace; it keeps its name unless that clashes there (then EEXIST). */
    public void moveToNamespace(int index, NetNs ns) {
        channel.execute(RTM_NEWLINK, 0, "move link index " + index + " to " + ns, w -> {
            w.ifinfomsg(AF_UNSPEC, index, 0, 0);
            w.attrU32(IFLA_NET_NS_FD, ns.fd());
        });
    }

    /** Renames the device; the kernel refuses while it is up (EBUSY). */
    public void rename(int index, String newName) {
        NewLink.checkName(newName);
        channel.execute(RTM_NEWLINK, 0, "rename link index " + index + " to \"" + newName + "\"", w -> {
            w.ifinfomsg(AF_UNSPEC, index, 0, 0);
            w.attrString(IFLA_IFNAME, newName);
        });
    }

    /**
     * Turns hairpin mode of a bridge port on or off ({@code bridge link set dev X hairpin on}):
     * lets a container reach itself through a service address that maps back to it. The
     * kernel takes bridge-port settings only in an AF_BRIDGE message, as IFLA_PROTINFO.
     */
    public void setHairpin(int index, boolean on) {
        channel.execute(RTM_SETLINK, 0, "set bridge port index " + index + " hairpin " + (on ? "on" : "off"), w -> {
            w.ifinfomsg(AF_BRIDGE, index, 0, 0);
            int nest = w.nestStart(IFLA_PROTINFO);
            w.attrU8(IFLA_BRPORT_MODE, on ? 1 : 0);
            w.nestEnd(nest);
        });
    }

    /**
     * {@code net.ipv4.conf.IF.route_localnet} through rtnetlink (IFLA_AF_SPEC, AF_INET,
     * IFLA_INET_CONF), which needs CAP_NET_ADMIN only: a managed Docker plugin has it, but not a
     * writable {@code /proc/sys}. Unlike the sysctl file this does not flush the route cache;
     * it is set before the routes that need it are looked up.
     */
    public void setRouteLocalnet(int index, boolean on) {
        channel.execute(RTM_SETLINK, 0, "set link index " + index + " route_localnet " + (on ? 1 : 0), w -> {
            w.ifinfomsg(AF_UNSPEC, index, 0, 0);
            int spec = w.nestStart(IFLA_AF_SPEC);
            int inet = w.nestStart(AF_INET);
            int conf = w.nestStart(IFLA_INET_CONF);
            w.attrU32(IPV4_DEVCONF_ROUTE_LOCALNET, on ? 1 : 0);
            w.nestEnd(conf);
            w.nestEnd(inet);
            w.nestEnd(spec);
        });
    }

    // --- encoding and decoding ---

    private static String describe(NewLink spec) {
        return "link \"" + spec.name() + "\" (" + spec.kind() + ")";
    }

    private static String kindText(Link link) {
        return link.kind().isEmpty() ? "device without a kind (physical?)" : link.kind() + " device";
    }

    static void encodeNew(MessageWriter w, NewLink spec) {
        encodeIdentity(w, spec.name(), spec.mtu(), spec.mac());
        int linkInfo = w.nestStart(IFLA_LINKINFO);
        w.attrString(IFLA_INFO_KIND, spec.kind());
        if (spec.vxlan() != null) {
            int data = w.nestStart(IFLA_INFO_DATA);
            encodeVxlan(w, spec.vxlan());
            w.nestEnd(data);
        } else if (spec.peer() != null) {
            int data = w.nestStart(IFLA_INFO_DATA);
            // VETH_INFO_PEER holds a whole ifinfomsg followed by the peer's own attributes.
            int peer = w.nestStartRaw(VETH_INFO_PEER);
            NewLink.VethPeer p = spec.peer();
            encodeIdentity(w, p.name(), p.mtu(), p.mac());
            if (p.namespace() != null) {
                w.attrU32(IFLA_NET_NS_FD, p.namespace().fd());
            }
            w.nestEnd(peer);
            w.nestEnd(data);
        }
        w.nestEnd(linkInfo);
    }

    /** The ifinfomsg a new link's message starts with, and a veth peer's: its name, and its MTU and MAC when set. */
    private static void encodeIdentity(MessageWriter w, String name, int mtu, MacAddress mac) {
        w.ifinfomsg(AF_UNSPEC, 0, 0, 0);
        w.attrString(IFLA_IFNAME, name);
        if (mtu > 0) {
            w.attrU32(IFLA_MTU, mtu);
        }
        if (mac != null) {
            w.attr(IFLA_ADDRESS, mac.bytes());
        }
    }

    private static void encodeVxlan(MessageWriter w, VxlanInfo v) {
        w.attrU32(IFLA_VXLAN_ID, v.vni());
        if (v.local() != null) {
            w.attrIp4(IFLA_VXLAN_LOCAL, v.local().value());
        }
        w.attrAddressIfSet(IFLA_VXLAN_LOCAL6, v.local6());
        w.attrU32IfSet(IFLA_VXLAN_LINK, v.deviceIndex());
        w.attrU16Be(IFLA_VXLAN_PORT, v.port());
        w.attrU8(IFLA_VXLAN_LEARNING, v.learning() ? 1 : 0);
        if (v.gbp()) {
            w.attrFlag(IFLA_VXLAN_GBP);
        }
    }

    /** Decodes an RTM_NEWLINK message (the answer to RTM_GETLINK). */
    static Link decode(ByteBuffer b, int type, int payload, int end) {
        if (type != RTM_NEWLINK) {
            return null;
        }
        int index = b.getInt(payload + 4);
        int flags = b.getInt(payload + 8);
        Attrs a = Attrs.parse(b, payload + 16, end, IFLA_MAX_PARSED);
        String kind = "";
        boolean hairpin = false;
        VxlanInfo vxlan = null;
        Attrs info = a.nested(IFLA_LINKINFO, IFLA_INFO_MAX);
        if (info != null) {
            kind = info.has(IFLA_INFO_KIND) ? info.string(IFLA_INFO_KIND) : "";
            if ("vxlan".equals(kind)) {
                Attrs data = info.nested(IFLA_INFO_DATA, IFLA_VXLAN_MAX_PARSED);
                if (data != null) {
                    vxlan = decodeVxlan(data);
                }
            }
            if ("bridge".equals(info.string(IFLA_INFO_SLAVE_KIND))) {
                Attrs port = info.nested(IFLA_INFO_SLAVE_DATA, IFLA_BRPORT_MAX_PARSED);
                hairpin = port != null && port.u8(IFLA_BRPORT_MODE, 0) != 0;
            }
        }
        byte[] mac = a.bytes(IFLA_ADDRESS);
        return new Link(index, a.string(IFLA_IFNAME), kind, flags, a.u32(IFLA_MTU, 0),
                mac != null && mac.length == 6 ? new MacAddress(mac) : null,
                a.u32(IFLA_MASTER, 0), a.u32(IFLA_LINK, 0), hairpin, vxlan);
    }

    private static VxlanInfo decodeVxlan(Attrs d) {
        byte[] local = d.bytes(IFLA_VXLAN_LOCAL);
        InetAddress local6 = InetCodec.fromBytes(d.bytes(IFLA_VXLAN_LOCAL6));
        return new VxlanInfo(d.u32(IFLA_VXLAN_ID, 0),
                local != null && local.length == 4 ? Ip4.fromBytes(local) : null,
                d.u32(IFLA_VXLAN_LINK, 0),
                d.u16Be(IFLA_VXLAN_PORT, 8472),
                d.u8(IFLA_VXLAN_LEARNING, 1) != 0,
                d.has(IFLA_VXLAN_GBP),
                local6 instanceof Inet6Address a6 ? a6 : null);
    }
}
