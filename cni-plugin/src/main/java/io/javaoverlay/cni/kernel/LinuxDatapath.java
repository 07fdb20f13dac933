package io.javaoverlay.cni.kernel;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.javaoverlay.cni.CniException;
import io.javaoverlay.cni.Datapath;
import io.javaoverlay.cni.ErrorCode;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.netlink.Address;
import io.javaoverlay.core.netlink.Link;
import io.javaoverlay.core.netlink.NetNs;
import io.javaoverlay.core.netlink.NetlinkException;
import io.javaoverlay.core.netlink.NetlinkSocket;
import io.javaoverlay.core.netlink.NewLink;
import io.javaoverlay.core.netlink.Route;
import io.javaoverlay.core.netlink.Sysctl;

/**
 * {@link Datapath} on the running kernel through the netlink package. One netlink socket for
 * the host namespace and one per container namespace, opened on first use (a DEL whose
 * namespace is already gone never loads the native layer) and kept for the invocation.
 */
public final class LinuxDatapath implements Datapath, AutoCloseable {

    /** Set up on first use, so a DEL that has nothing to log never initialises logging. */
    private static final class Log {
        static final Logger LOG = LoggerFactory.getLogger(LinuxDatapath.class);
    }

    private NetlinkSocket host;
    private final Map<Path, NetNs> namespaces = new HashMap<>();
    private final Map<Path, NetlinkSocket> sockets = new HashMap<>();

    private NetlinkSocket host() {
        if (host == null) {
            host = kernel("open a netlink socket", NetlinkSocket::open);
        }
        return host;
    }

    private NetNs ns(Path path) {
        NetNs ns = namespaces.get(path);
        if (ns == null) {
            try {
                ns = NetNs.open(path);
            } catch (NetlinkException e) {
                throw new CniException(ErrorCode.INVALID_ENVIRONMENT, "cannot open the container's network namespace",
                        "CNI_NETNS=" + path + ": " + e.getMessage(), e);
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
                throw new CniException(ErrorCode.INVALID_ENVIRONMENT, "CNI_NETNS is not a network namespace",
                        "cannot enter CNI_NETNS=" + path + ": " + e.getMessage(), e);
            }
            sockets.put(path, s);
        }
        return s;
    }

    @Override
    public LinkState ensureBridge(String name, Ip4Net.HostAddress gateway, int mtu) {
        return kernel("set up bridge " + name, () -> {
            NetlinkSocket nl = host();
            boolean existed = nl.links().get(name).isPresent();
            Link bridge = nl.links().ensureBridge(name);
            if (!existed && bridge.macAddress().isPresent()) {
                // A bridge takes the lowest MAC of its ports unless its own was set: it would change
                // as containers come and go and leave their ARP caches pointing at a gone gateway.
                nl.links().setMac(bridge.index(), bridge.macAddress().get());
            }
            if (bridge.mtu() != mtu) {
                Log.LOG.info("bridge {}: MTU {} -> {}", name, bridge.mtu(), mtu);
                nl.links().setMtu(bridge.index(), mtu);
            }
            boolean present = false;
            for (Address a : nl.addresses().list(bridge)) {
                if (!a.isIp4()) {
                    continue;
                }
                if (a.ip4().equals(gateway)) {
                    present = true;
                } else {
                    // a lease the agent held before: the containers' gateway must be the new one
                    Log.LOG.info("bridge {}: removing {}, this host's subnet is now {}", name, a.ip4(), gateway);
                    nl.addresses().delete(a);
                }
            }
            if (!present) {
                nl.addresses().replace(Address.ip4(bridge.index(), gateway));
            }
            if (!bridge.isUp()) {
                nl.links().setUp(bridge.index());
            }
            return state(nl.links().require(name));
        });
    }

    @Override
    public boolean podInterfaceExists(Path netns, String ifName) {
        return kernel("look for " + ifName + " in " + netns, () -> inside(netns).links().get(ifName).isPresent());
    }

    @Override
    public VethPair createVeth(String bridge, String hostName, Path netns, String ifName, int mtu, boolean hairpin) {
        NetNs ns = ns(netns);
        return kernel("create veth " + hostName + " / " + ifName, () -> {
            NetlinkSocket nl = host();
            Link master = nl.links().require(bridge);
            Link hostEnd = nl.links().create(NewLink.veth(hostName, NewLink.VethPeer.in(ns, ifName).withMtu(mtu)).withMtu(mtu));
            nl.links().setMaster(hostEnd.index(), master.index());
            if (hairpin) {
                // a bridge-port flag: only once the veth is a port of the bridge
                nl.links().setHairpin(hostEnd.index(), true);
            }
            nl.links().setUp(hostEnd.index());
            NetlinkSocket in = inside(netns);
            Link podEnd = in.links().require(ifName);
            in.links().setUp(podEnd.index());
            return new VethPair(state(nl.links().require(hostName)), state(in.links().require(ifName)));
        });
    }

    @Override
    public void configurePod(Path netns, String ifName, Ip4Net.HostAddress address, List<PodRoute> routes) {
        kernel("configure " + ifName + " in " + netns, () -> {
            NetlinkSocket in = inside(netns);
            Link link = in.links().require(ifName);
            in.addresses().replace(Address.ip4(link.index(), address));
            if (!link.isUp()) {
                in.links().setUp(link.index());
            }
            // routes last: the kernel accepts "via" only once the gateway's subnet is on an up link
            for (PodRoute r : routes) {
                in.routes().add(Route.ip4(r.dst()).via(r.gateway()).device(link.index()));
            }
            return null;
        });
    }

    @Override
    public boolean deletePodInterface(Path netns, String ifName) {
        if (!Files.exists(netns)) {
            return false;
        }
        NetNs ns;
        try {
            ns = NetNs.open(netns);
        } catch (NetlinkException e) {
            // gone between the check and the open, or not a namespace file: nothing we can delete
            Log.LOG.warn("DEL: cannot open {} ({}); nothing to delete there", netns, e.getMessage());
            return false;
        }
        namespaces.put(netns, ns);
        NetlinkSocket in;
        try {
            in = inside(netns);
        } catch (CniException e) {
            Log.LOG.warn("DEL: {} ({}); nothing to delete there", e.getMessage(), e.details());
            return false;
        }
        return kernel("delete " + ifName + " in " + netns, () -> in.links().deleteIfExists(ifName));
    }

    @Override
    public boolean deleteHostLink(String name) {
        return kernel("delete " + name, () -> host().links().deleteIfExists(name));
    }

    @Override
    public Optional<LinkState> hostLink(String name) {
        return kernel("look up " + name, () -> host().links().get(name).map(LinuxDatapath::state));
    }

    @Override
    public Optional<PodState> inspectPod(Path netns, String ifName) {
        return kernel("inspect " + ifName + " in " + netns, () -> {
            NetlinkSocket in = inside(netns);
            Optional<Link> link = in.links().get(ifName);
            if (link.isEmpty()) {
                return Optional.empty();
            }
            List<Ip4Net.HostAddress> addrs = new ArrayList<>();
            for (Address a : in.addresses().list(link.get())) {
                if (a.isIp4()) {
                    addrs.add(a.ip4());
                }
            }
            List<PodRoute> routes = new ArrayList<>();
            for (Route r : in.routes().listIp4()) {
                if (r.outputIndex() == link.get().index() && r.table() == Route.TABLE_MAIN) {
                    routes.add(new PodRoute(r.ip4Destination(), r.ip4Gateway()));
                }
            }
            return Optional.of(new PodState(state(link.get()), addrs, routes));
        });
    }

    @Override
    public void enableIpForwarding() {
        try {
            Sysctl.ipForward(true);
        } catch (RuntimeException e) {
            throw new CniException(ErrorCode.KERNEL_FAILURE, "cannot enable IPv4 forwarding", e.getMessage(), e);
        }
    }

    private static LinkState state(Link l) {
        return new LinkState(l.name(), l.index(), l.macAddress().map(Object::toString).orElse(""), l.mtu(), l.masterIndex(), l.isUp());
    }

    /** Runs kernel work, turning netlink failures into the plugin's error. */
    private static <T> T kernel(String what, Supplier<T> work) {
        try {
            return work.get();
        } catch (NetlinkException e) {
            throw new CniException(ErrorCode.KERNEL_FAILURE, "cannot " + what, e.getMessage(), e);
        } catch (UnsupportedOperationException e) {
            throw new CniException(ErrorCode.KERNEL_FAILURE, "netlink is not available", e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        sockets.values().forEach(NetlinkSocket::close);
        if (host != null) {
            host.close();
        }
        namespaces.values().forEach(NetNs::close);
    }
}
