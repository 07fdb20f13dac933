package io.javaoverlay.cni.kernel;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

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

    /** setns(2) refused: the caller lacks CAP_SYS_ADMIN. */
    private static final int EPERM = 1;

    private NetlinkSocket host;
    private final Map<Path, NetNs> namespaces = new HashMap<>();
    private final Map<Path, NetlinkSocket> sockets = new HashMap<>();

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
                throw new CniException(ErrorCode.INVALID_ENVIRONMENT, "cannot open the container's network namespace",
                        "CNI_NETNS=" + path + ": " + e.getMessage(), e);
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
                    throw new CniException(ErrorCode.KERNEL_FAILURE, "not permitted to enter the container's network namespace",
                            "setns into CNI_NETNS=" + path + " needs CAP_SYS_ADMIN (the agent serving CNI calls too: "
                                    + "run it with that capability): " + e.getMessage(), e);
                }
                throw new CniException(ErrorCode.INVALID_ENVIRONMENT, "CNI_NETNS is not a network namespace",
                        "cannot enter CNI_NETNS=" + path + ": " + e.getMessage(), e);
            }
            sockets.put(path, s);
        }
        return s;
    }

    // No lambdas on these paths: each one's first call costs a runtime-spun class, and most of
    // these methods run once per process.

    @Override
    public LinkState ensureBridge(String name, Ip4Net.HostAddress gateway, int mtu) {
        NetlinkSocket nl = host();
        try {
            boolean existed = nl.links().get(name).isPresent();
            Link bridge = nl.links().ensureBridge(name);
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
        } catch (NetlinkException e) {
            throw kernel("set up bridge " + name, e);
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
    public VethPair createVeth(String bridge, String hostName, Path netns, String ifName, int mtu, boolean hairpin) {
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
        } catch (CniException e) {
            Log.LOG.warn("DEL: {} ({}); nothing to delete there", e.getMessage(), e.details());
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
    public Optional<PodState> inspectPod(Path netns, String ifName) {
        NetlinkSocket in = inside(netns);
        try {
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
        } catch (NetlinkException e) {
            throw kernel("inspect " + ifName + " in " + netns, e);
        }
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
        return new LinkState(l.name(), l.index(), l.macAddress().isPresent() ? l.macAddress().get().toString() : "",
                l.mtu(), l.masterIndex(), l.isUp());
    }

    private static CniException notANetworkNamespace(Path path, NetlinkException e) {
        return new CniException(ErrorCode.INVALID_ENVIRONMENT, "CNI_NETNS is not a network namespace",
                "CNI_NETNS=" + path + " must name the container's network namespace (e.g. /var/run/netns/NAME or"
                        + " /proc/PID/ns/net): " + e.getMessage(), e);
    }

    /** A netlink failure as the plugin's error. */
    private static CniException kernel(String what, RuntimeException e) {
        if (e instanceof UnsupportedOperationException) {
            return new CniException(ErrorCode.KERNEL_FAILURE, "netlink is not available", e.getMessage(), e);
        }
        return new CniException(ErrorCode.KERNEL_FAILURE, "cannot " + what, e.getMessage(), e);
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
