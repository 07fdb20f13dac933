package io.javaoverlay.core.host;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiFunction;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.javaoverlay.core.host.HostAttachmentException.Kind;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.Ip6Host;
import io.javaoverlay.core.net.Ip6Net;
import io.javaoverlay.core.net.MacAddress;
import io.javaoverlay.core.netlink.Address;
import io.javaoverlay.core.netlink.Link;
import io.javaoverlay.core.netlink.Links;
import io.javaoverlay.core.netlink.NetNs;
import io.javaoverlay.core.netlink.NetlinkException;
import io.javaoverlay.core.netlink.NetlinkSocket;
import io.javaoverlay.core.netlink.NewLink;
import io.javaoverlay.core.netlink.Route;
import io.javaoverlay.core.netlink.Sysctl;

/**
 * {@link HostAttachment} on the running kernel through the netlink package. One netlink socket
 * for the host namespace (the caller's: handed in, or opened on first use, so a CNI DEL whose
 * namespace is already gone never loads the native layer) and one per container namespace, kept
 * until {@link #close()}. Not thread-safe: a CNI call uses one per invocation, the Docker plugin
 * serialises its calls.
 */
public final class NetlinkHostAttachment implements HostAttachment, AutoCloseable {

    /** Set up on first use, so a DEL that has nothing to log never initialises logging. */
    private static final class Log {
        static final Logger LOG = LoggerFactory.getLogger(NetlinkHostAttachment.class);
    }

    /** linux/socket.h */
    private static final int AF_INET6 = 10;
    /** linux/if_addr.h: an IPv6 address still under duplicate address detection. */
    private static final int IFA_F_TENTATIVE = 0x40;

    /** setns(2) refused: the caller lacks CAP_SYS_ADMIN. */
    private static final int EPERM = 1;

    private NetlinkSocket host;
    private final Map<Path, NetNs> namespaces = new HashMap<>();
    private final Map<Path, NetlinkSocket> sockets = new HashMap<>();

    /** Opens its host socket on first use, in the namespace of the thread that first needs it. */
    public NetlinkHostAttachment() {}

    /** Over an open socket of the host's namespace; {@link #close()} closes it. */
    public NetlinkHostAttachment(NetlinkSocket host) {
        this.host = host;
    }

    private NetlinkSocket host() {
        if (host == null) {
            try {
                host = NetlinkSocket.open();
            } catch (NetlinkException | UnsupportedOperationException e) {
                throw kernel("open a netlink socket", e);
            }
        }
        return host;
    }

    private NetNs ns(Path path) {
        NetNs ns = namespaces.get(path);
        if (ns == null) {
            try {
                ns = NetNs.open(path);
            } catch (NetlinkException.NotANetworkNamespace e) {
                throw notANetworkNamespace(path, e);
            } catch (NetlinkException e) {
                throw new HostAttachmentException(Kind.NOT_A_NAMESPACE, "cannot open the container's network namespace",
                        path + ": " + e.getMessage(), e);
            } catch (UnsupportedOperationException e) {
                throw kernel("open " + path, e);
            }
            namespaces.put(path, ns);
        }
        return ns;
    }

    /** A socket inside the container's namespace; a path that is no namespace is the caller's CNI_NETNS error. */
    private NetlinkSocket inside(Path path) {
        NetlinkSocket s = sockets.get(path);
        if (s == null) {
            NetNs ns = ns(path);
            try {
                s = NetlinkSocket.open(ns);
            } catch (NetlinkException e) {
                if (e.errno() == EPERM) {
                    // the path is fine; this process may not enter it (setns needs CAP_SYS_ADMIN)
                    throw new HostAttachmentException(Kind.NOT_PERMITTED, "not permitted to enter the container's network namespace",
                            "setns into " + path + " needs CAP_SYS_ADMIN (the agent serving CNI calls too: "
                                    + "run it with that capability): " + e.getMessage(), e);
                }
                throw new HostAttachmentException(Kind.NOT_A_NAMESPACE, "not a network namespace",
                        "cannot enter " + path + ": " + e.getMessage(), e);
            }
            sockets.put(path, s);
        }
        return s;
    }

    // No lambdas on these paths: each one's first call costs a runtime-spun class, and most of
    // these methods run once per process.

    @Override
    public LinkState ensureBridge(String name, Ip4Net.HostAddress gateway, int mtu) {
        return ensureBridge(name, Optional.of(gateway), mtu);
    }

    @Override
    public LinkState ensureBridgeWithoutIpv4(String name, int mtu) {
        return ensureBridge(name, Optional.empty(), mtu);
    }

    /** {@code gateway} empty: an IPv6-only bridge, which keeps no IPv4 address. */
    private LinkState ensureBridge(String name, Optional<Ip4Net.HostAddress> gateway, int mtu) {
        NetlinkSocket nl = host();
        try {
            boolean existed = nl.links().get(name).isPresent();
            Link bridge = nl.links().ensureBridge(name);
            if (!existed) {
                Log.LOG.info("created bridge {} for {}", name, gateway.map(g -> g.network().toString()).orElse("an IPv6-only subnet"));
            }
            if (!existed && bridge.macAddress().isPresent()) {
                // A bridge takes the lowest MAC of its ports unless its own was set: it would change
                // as containers come and go and leave their ARP caches pointing at a gone gateway.
                nl.links().setMac(bridge.index(), bridge.macAddress().get());
            }
            if (bridge.mtu() != mtu) {
                if (existed) {
                    Log.LOG.info("bridge {}: MTU {} -> {}", name, bridge.mtu(), mtu);
                }
                nl.links().setMtu(bridge.index(), mtu);
            }
            boolean present = false;
            for (Address a : nl.addresses().list(bridge)) {
                if (!a.isIp4()) {
                    continue;
                }
                if (gateway.isPresent() && a.ip4().equals(gateway.get())) {
                    present = true;
                } else {
                    // a lease the agent held before: the containers' gateway must be the new one
                    Log.LOG.info("bridge {}: removing {}, this host's subnet is now {}", name, a.ip4(),
                            gateway.map(Object::toString).orElse("IPv6-only"));
                    nl.addresses().delete(a);
                }
            }
            if (!present && gateway.isPresent()) {
                nl.addresses().replace(Address.ip4(bridge.index(), gateway.get()));
                Log.LOG.info("bridge {}: address {}", name, gateway.get());
            }
            if (!bridge.isUp()) {
                nl.links().setUp(bridge.index());
            }
            return state(nl.links().require(name));
        } catch (NetlinkException e) {
            throw kernel("set up bridge " + name, e);
        }
    }

    @Override
    public void ensureBridge6(String name, Ip6Host gateway) {
        NetlinkSocket nl = host();
        try {
            Link bridge = nl.links().require(name);
            // its routes are the agent's and ours; a router advertisement on the bridge must not add any
            Sysctl.acceptRa(name, 0);
            Sysctl.set("net/ipv6/conf/" + name + "/accept_dad", "0");
            boolean present = false;
            for (Address a : nl.addresses().list(bridge)) {
                if (a.isIp4() || a.scope() != Address.SCOPE_UNIVERSE) {
                    continue;
                }
                if (Ip6Host.of(a.address()).equals(gateway.ip()) && a.prefixLength() == gateway.prefixLength()) {
                    present = true;
                } else {
                    Log.LOG.info("bridge {}: removing {}/{}, this host's IPv6 subnet is now {}", name,
                            a.address().getHostAddress(), a.prefixLength(), gateway.network());
                    nl.addresses().delete(a);
                }
            }
            if (!present) {
                nl.addresses().replace(new Address(bridge.index(), gateway.toInetAddress(), gateway.prefixLength(),
                        Address.SCOPE_UNIVERSE, Address.IFA_F_NODAD));
                Log.LOG.info("bridge {}: address {}", name, gateway);
            }
            settleLinkLocal(nl, bridge);
        } catch (NetlinkException | IllegalArgumentException | java.io.UncheckedIOException e) {
            throw kernel("set up the IPv6 gateway of bridge " + name, e);
        }
    }

    /**
     * A link-local address still under duplicate address detection is put back without it. The
     * kernel solicits neighbours only from a link-local address that passed detection, so until
     * then (a second or two after the link came up) nothing is forwarded to the containers.
     */
    private static void settleLinkLocal(NetlinkSocket nl, Link link) throws NetlinkException {
        for (Address a : nl.addresses().list(link)) {
            if (!a.isIp4() && a.scope() == Address.SCOPE_LINK && (a.flags() & IFA_F_TENTATIVE) != 0) {
                nl.addresses().delete(a);
                nl.addresses().add(new Address(a.linkIndex(), a.address(), a.prefixLength(), Address.SCOPE_LINK, Address.IFA_F_NODAD));
            }
        }
    }

    @Override
    public void configurePod6(Path netns, String ifName, Ip6Host address, List<PodRoute6> routes) {
        NetlinkSocket in = inside(netns);
        try {
            Link link = in.links().require(ifName);
            Sysctl.set(ns(netns), "net/ipv6/conf/" + ifName + "/accept_dad", "0");
            in.addresses().replace(new Address(link.index(), address.toInetAddress(), address.prefixLength(),
                    Address.SCOPE_UNIVERSE, Address.IFA_F_NODAD));
            settleLinkLocal(in, link);
            for (PodRoute6 r : routes) {
                in.routes().add(Route.to(Ip6Net.toInetAddress(r.dst().address()), r.dst().prefixLength())
                        .via(Ip6Net.toInetAddress(r.gateway())).device(link.index()));
            }
        } catch (NetlinkException | IllegalArgumentException | java.io.UncheckedIOException e) {
            throw kernel("configure IPv6 on " + ifName + " in " + netns, e);
        }
    }

    @Override
    public Optional<Pod6State> inspectPod6(Path netns, String ifName) {
        return inspect(netns, ifName, "inspect IPv6 on " + ifName + " in " + netns, (in, link) -> {
            List<Ip6Host> addrs = new ArrayList<>();
            for (Address a : in.addresses().list(link)) {
                if (!a.isIp4() && a.scope() == Address.SCOPE_UNIVERSE) {
                    addrs.add(new Ip6Host(Ip6Host.of(a.address()), a.prefixLength()));
                }
            }
            List<PodRoute6> routes = new ArrayList<>();
            for (Route r : in.routes().list(AF_INET6)) {
                if (r.outputIndex() == link.index() && r.table() == Route.TABLE_MAIN && r.gateway() != null) {
                    BigInteger dst = r.destination() == null ? BigInteger.ZERO : Ip6Host.of(r.destination());
                    routes.add(new PodRoute6(new Ip6Net(dst, r.prefixLength()), Ip6Host.of(r.gateway())));
                }
            }
            return new Pod6State(addrs, routes);
        });
    }

    /**
     * What {@code read} makes of the link {@code ifName} in {@code netns}, or empty when there is no
     * such link; a kernel error is a {@link HostAttachmentException} saying it could not {@code what}.
     */
    private <T> Optional<T> inspect(Path netns, String ifName, String what, BiFunction<NetlinkSocket, Link, T> read) {
        NetlinkSocket in = inside(netns);
        try {
            Optional<Link> link = in.links().get(ifName);
            return link.isEmpty() ? Optional.empty() : Optional.of(read.apply(in, link.get()));
        } catch (NetlinkException e) {
            throw kernel(what, e);
        }
    }

    @Override
    public boolean podInterfaceExists(Path netns, String ifName) {
        NetlinkSocket in = inside(netns);
        try {
            return in.links().get(ifName).isPresent();
        } catch (NetlinkException e) {
            throw kernel("look for " + ifName + " in " + netns, e);
        }
    }

    @Override
    public VethPair createPodVeth(String bridge, String hostName, Path netns, String ifName, int mtu, boolean hairpin) {
        NetNs ns = ns(netns);
        NetlinkSocket nl = host();
        NetlinkSocket in = inside(netns);
        Link master;
        Link hostEnd;
        try {
            master = nl.links().require(bridge);
            hostEnd = nl.links().create(NewLink.veth(hostName, NewLink.VethPeer.in(ns, ifName).withMtu(mtu)).withMtu(mtu));
        } catch (NetlinkException e) {
            throw kernel("create veth " + hostName + " / " + ifName, e);
        }
        try {
            nl.links().setMaster(hostEnd.index(), master.index());
            if (hairpin) {
                // a bridge-port flag: only once the veth is a port of the bridge
                nl.links().setHairpin(hostEnd.index(), true);
            }
            nl.links().setUp(hostEnd.index());
            Link podEnd = in.links().require(ifName);
            in.links().setUp(podEnd.index());
            return new VethPair(state(nl.links().require(hostName)), state(in.links().require(ifName)));
        } catch (NetlinkException e) {
            // the pair exists but is not wired: delete it here, the caller does not know its name yet
            try {
                nl.links().deleteIfExists(hostName);
            } catch (NetlinkException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw kernel("set up veth " + hostName + " / " + ifName, e);
        }
    }

    @Override
    public void createDetachedVeth(String bridge, String hostEnd, String containerEnd, MacAddress mac, int mtu) {
        NetlinkSocket nl = host();
        Links links = nl.links();
        Link hostLink;
        try {
            if (links.deleteIfExists(hostEnd)) {
                Log.LOG.info("replaced leftover veth {}", hostEnd);
            }
            if (links.deleteIfExists(containerEnd)) {
                Log.LOG.info("replaced leftover veth {}", containerEnd);
            }
            Link master = links.require(bridge);
            hostLink = links.create(NewLink.veth(hostEnd, NewLink.VethPeer.named(containerEnd).withMac(mac).withMtu(mtu))
                    .withMtu(mtu));
            try {
                links.setMaster(hostLink.index(), master.index());
                links.setUp(hostLink.index());
            } catch (NetlinkException e) {
                try {
                    links.deleteIfExists(hostEnd);
                } catch (NetlinkException cleanup) {
                    e.addSuppressed(cleanup);
                }
                throw e;
            }
        } catch (NetlinkException e) {
            throw kernel("set up veth " + hostEnd + " / " + containerEnd, e);
        }
    }

    @Override
    public void configurePod(Path netns, String ifName, Ip4Net.HostAddress address, List<PodRoute> routes) {
        NetlinkSocket in = inside(netns);
        try {
            Link link = in.links().require(ifName);
            in.addresses().replace(Address.ip4(link.index(), address));
            if (!link.isUp()) {
                in.links().setUp(link.index());
            }
            // routes last: the kernel accepts "via" only once the gateway's subnet is on an up link
            for (PodRoute r : routes) {
                in.routes().add(Route.ip4(r.dst()).via(r.gateway()).device(link.index()));
            }
        } catch (NetlinkException e) {
            throw kernel("configure " + ifName + " in " + netns, e);
        }
    }

    @Override
    public boolean deletePodInterface(Path netns, String ifName) {
        if (!Files.exists(netns)) {
            return false;
        }
        NetNs ns;
        try {
            ns = NetNs.open(netns);
        } catch (NetlinkException.NotANetworkNamespace e) {
            // not "already gone": the runtime passed a path that never was a namespace
            throw notANetworkNamespace(netns, e);
        } catch (NetlinkException e) {
            // gone between the check and the open: nothing to delete there
            Log.LOG.warn("DEL: cannot open {} ({}); nothing to delete there", netns, e.getMessage());
            return false;
        }
        namespaces.put(netns, ns);
        NetlinkSocket in;
        try {
            in = inside(netns);
        } catch (HostAttachmentException e) {
            Log.LOG.warn("DEL: {} ({}); nothing to delete there", e.summary(), e.details());
            return false;
        }
        try {
            return in.links().deleteIfExists(ifName);
        } catch (NetlinkException e) {
            throw kernel("delete " + ifName + " in " + netns, e);
        }
    }

    @Override
    public boolean deleteHostLink(String name) {
        NetlinkSocket nl = host();
        try {
            return nl.links().deleteIfExists(name);
        } catch (NetlinkException e) {
            throw kernel("delete " + name, e);
        }
    }

    @Override
    public Optional<LinkState> hostLink(String name) {
        NetlinkSocket nl = host();
        try {
            Optional<Link> link = nl.links().get(name);
            return link.isPresent() ? Optional.of(state(link.get())) : Optional.empty();
        } catch (NetlinkException e) {
            throw kernel("look up " + name, e);
        }
    }

    @Override
    public List<String> hostLinkNames() {
        try {
            List<String> names = new ArrayList<>();
            for (Link l : host().links().list()) {
                names.add(l.name());
            }
            return names;
        } catch (NetlinkException e) {
            throw kernel("list links", e);
        }
    }

    @Override
    public List<String> bridgePorts(String bridge) {
        NetlinkSocket nl = host();
        try {
            Optional<Link> br = nl.links().get(bridge);
            if (br.isEmpty()) {
                return List.of();
            }
            List<String> ports = new ArrayList<>();
            for (Link l : nl.links().list()) {
                if (l.masterIndex() == br.get().index()) {
                    ports.add(l.name());
                }
            }
            return ports;
        } catch (NetlinkException e) {
            throw kernel("list the ports of " + bridge, e);
        }
    }

    @Override
    public Optional<PodState> inspectPod(Path netns, String ifName) {
        return inspect(netns, ifName, "inspect " + ifName + " in " + netns, (in, link) -> {
            List<Ip4Net.HostAddress> addrs = new ArrayList<>();
            for (Address a : in.addresses().list(link)) {
                if (a.isIp4()) {
                    addrs.add(a.ip4());
                }
            }
            List<PodRoute> routes = new ArrayList<>();
            for (Route r : in.routes().listIp4()) {
                if (r.outputIndex() == link.index() && r.table() == Route.TABLE_MAIN) {
                    routes.add(new PodRoute(r.ip4Destination(), r.ip4Gateway()));
                }
            }
            return new PodState(state(link), addrs, routes);
        });
    }

    @Override
    public void enableIpForwarding() {
        try {
            Sysctl.ipForward(true);
        } catch (RuntimeException e) {
            throw new HostAttachmentException(Kind.KERNEL, "cannot enable IPv4 forwarding", String.valueOf(e.getMessage()), e);
        }
    }

    private static LinkState state(Link l) {
        return new LinkState(l.name(), l.index(), l.macAddress().isPresent() ? l.macAddress().get().toString() : "",
                l.mtu(), l.masterIndex(), l.isUp());
    }

    private static HostAttachmentException notANetworkNamespace(Path path, NetlinkException e) {
        return new HostAttachmentException(Kind.NOT_A_NAMESPACE, "not a network namespace",
                path + " must name the container's network namespace (e.g. /var/run/netns/NAME or"
                        + " /proc/PID/ns/net): " + e.getMessage(), e);
    }

    /** A netlink failure as this layer's error. */
    private static HostAttachmentException kernel(String what, RuntimeException e) {
        if (e instanceof UnsupportedOperationException) {
            return new HostAttachmentException(Kind.UNAVAILABLE, "netlink is not available", String.valueOf(e.getMessage()), e);
        }
        return new HostAttachmentException(Kind.KERNEL, "cannot " + what, String.valueOf(e.getMessage()), e);
    }

    @Override
    public void close() {
        for (NetlinkSocket s : sockets.values()) {
            s.close();
        }
        if (host != null) {
            host.close();
        }
        for (NetNs ns : namespaces.values()) {
            ns.close();
        }
    }
}
