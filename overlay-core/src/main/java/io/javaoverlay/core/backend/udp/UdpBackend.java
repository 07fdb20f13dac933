package io.javaoverlay.core.backend.udp;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.javaoverlay.core.backend.Backend;
import io.javaoverlay.core.backend.BackendContext;
import io.javaoverlay.core.backend.BackendException;
import io.javaoverlay.core.backend.BackendFactory;
import io.javaoverlay.core.backend.BackendResources;
import io.javaoverlay.core.backend.ExternalInterface;
import io.javaoverlay.core.backend.FlannelLeaseShapes;
import io.javaoverlay.core.backend.HostNetworking;
import io.javaoverlay.core.backend.PeerClaim;
import io.javaoverlay.core.backend.PeerRejection;
import io.javaoverlay.core.backend.Registration;
import io.javaoverlay.core.config.BackendType;
import io.javaoverlay.core.config.NetworkConfig;
import io.javaoverlay.core.lease.Lease;
import io.javaoverlay.core.lease.LeaseEvent;
import io.javaoverlay.core.metrics.OverlayMetrics;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.netlink.Address;
import io.javaoverlay.core.netlink.Link;
import io.javaoverlay.core.netlink.NetlinkException;
import io.javaoverlay.core.netlink.NetlinkSocket;
import io.javaoverlay.core.netlink.Route;
import io.javaoverlay.core.netlink.Sysctl;
import io.javaoverlay.core.netlink.TunDevice;
import io.javaoverlay.core.netlink.UdpSocket;

/**
 * flannel's udp backend, in Java: a TUN device and a UDP socket joined by two packet loops. See
 * the package notes.
 */
public final class UdpBackend implements Backend {

    private static final Logger LOG = LoggerFactory.getLogger(UdpBackend.class);

    /** flannel's udp port. */
    public static final int DEFAULT_PORT = 8285;
    /** flannel's TUN device name. */
    public static final String DEVICE = "flannel0";
    /** Socket buffers: room for bursts at line rate while a loop is descheduled (wireguard-go uses 7 MiB). */
    static final int SOCKET_BUFFER = 8 << 20;

    private final BackendContext context;
    private final UdpCounters counters = new UdpCounters();
    private NetworkConfig config;
    private NetlinkSocket nl;
    private TunDevice tun;
    private UdpSocket socket;
    private int port;
    private int mtu;
    private PeerRoutes routes;
    private Link link;
    private Lease own;
    private final Map<Ip4Net, Ip4> peers = new HashMap<>();
    private boolean offload;
    private Thread outbound;
    private Thread inbound;
    private String lastDrops = "";
    /** The counters' registration with the agent's /metrics, removed on close. */
    private OverlayMetrics.BackendRegistration metrics;

    public UdpBackend(BackendType type, BackendContext context) {
        BackendFactory.requireType(type, BackendType.UDP, UdpBackend.class);
        this.context = context;
    }

    @Override
    public Registration register(NetworkConfig config) {
        this.config = config;
        metrics = context.metrics().registerBackend("udp", () -> UdpCounters.toBackendStats(counters.snapshot()));
        ExternalInterface ext = context.external();
        Registration reg = FlannelLeaseShapes.udp(ext);
        mtu = reg.mtu();
        port = config.backend().port().orElse(0) == 0 ? DEFAULT_PORT : config.backend().port().getAsInt();
        routes = new PeerRoutes(config.subnetLen());
        try {
            nl = NetlinkSocket.open();
            HostNetworking.enableForwarding(config);
            socket = UdpSocket.bind(ext.ifaceAddr(), port);
            int buffer = socket.setBufferSizes(SOCKET_BUFFER);
            boolean gro = socket.enableGro();
            boolean gso = socket.supportsGso();
            tun = gso ? TunDevice.open(DEVICE, TunDevice.Option.NON_BLOCKING, TunDevice.Option.VNET_HDR)
                    : TunDevice.open(DEVICE, TunDevice.Option.NON_BLOCKING);
            offload = gso && enableOffload(tun);
            link = nl.links().require(tun.name());
            nl.links().setMtu(link.index(), mtu);
            disableIpv6(tun.name());
            // The ICMP errors the outbound loop writes back come from this host's own TUN address;
            // the kernel drops received packets with a local source ("martian") unless told to accept them.
            Sysctl.set("net/ipv4/conf/" + tun.name() + "/accept_local", "1");
            LOG.info("udp backend: TUN device {} (MTU {}, TSO {}), UDP {}:{} (socket buffers {} KiB, GSO {}, GRO {})", tun.name(), mtu,
                    offload ? "on" : "off", ext.ifaceAddr(), port, buffer / 1024, gso ? "on" : "off", gro ? "on" : "off");
        } catch (NetlinkException e) {
            closeQuietly();
            throw new BackendException("cannot set up the udp backend on " + ext + ": " + e.getMessage()
                    + " (is UDP port " + port + " free? is /dev/net/tun there, and is no other " + DEVICE + " in use?)", e);
        }
        return reg;
    }

    /**
     * Gives the TUN device {@code <subnet>.0/32} and routes the whole overlay network into it (the
     * host's own subnet stays on the more specific route of its bridge), then starts the loops.
     */
    @Override
    public void leaseAcquired(Lease own) {
        this.own = own;
        routes.own(own.subnet().address().value(), own.subnet().mask());
        try {
            nl.links().setUp(link.index()); // the kernel takes a route only through a device that is up
            ensureAddressAndRoute();
        } catch (NetlinkException e) {
            throw new BackendException("cannot route " + config.network() + " into " + tun.name() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Lets the kernel hand over TCP packets of up to 64 KiB with their checksums unfinished; the
     * outbound loop cuts and finishes them (it needs UDP GSO to send the pieces in one call).
     */
    private static boolean enableOffload(TunDevice tun) {
        try {
            tun.setOffload(TunDevice.OFFLOAD_CSUM | TunDevice.OFFLOAD_TSO4);
            return true;
        } catch (NetlinkException e) {
            LOG.info("the TUN device takes no offloads ({}); reading one packet at a time", e.getMessage());
            return false;
        }
    }

    /** IPv4 only: no IPv6 link-local chatter into the TUN device (a kernel without IPv6 has nothing to turn off). */
    private static void disableIpv6(String device) {
        try {
            Sysctl.set("net/ipv6/conf/" + device + "/disable_ipv6", "1");
        } catch (IllegalArgumentException e) {
            LOG.debug("no IPv6 settings for {}: {}", device, e.getMessage());
        }
    }

    private void ensureAddressAndRoute() {
        Ip4 address = own.subnet().address();
        for (Address a : nl.addresses().list(link)) {
            if (a.isIp4() && !(a.ip4().ip().equals(address) && a.prefixLength() == 32)) {
                nl.addresses().delete(a);
            }
        }
        if (nl.addresses().list(link).stream().noneMatch(a -> a.isIp4() && a.ip4().ip().equals(address))) {
            nl.addresses().replace(Address.ip4(link.index(), address, 32));
        }
        for (Route r : nl.routes().listIp4()) {
            if (!r.isDefault() && r.ip4Destination().equals(config.network()) && r.outputIndex() != link.index()
                    && r.protocol() != Route.PROTOCOL_JAVAOVERLAY) {
                // replacing it would take the network away from whoever routes it now
                throw new BackendException("this host already routes " + config.network() + " (" + r
                        + "), and javaoverlay does not replace routes it did not make: delete that route or pick another Network");
            }
        }
        nl.routes().replace(networkRoute());
    }

    private Route networkRoute() {
        return Route.ip4(config.network()).device(link).withSource(own.subnet().address().toInetAddress())
                .withProtocol(Route.PROTOCOL_JAVAOVERLAY);
    }

    /** flannel's udp leases carry no BackendType at all; one that names another backend is not ours. */
    @Override
    public Optional<PeerRejection> checkPeer(Lease peer) {
        Optional<String> type = peer.attrs().backendType();
        if (type.isPresent() && !type.get().equals(BackendType.UDP.flannelName())) {
            return Optional.of(new PeerRejection(PeerRejection.Reason.BACKEND_TYPE, "its BackendType is \"" + type.get() + "\", not udp"));
        }
        return Optional.empty();
    }

    /** Datagrams are matched to a subnet by their source address: one subnet per public IP. */
    @Override
    public List<PeerClaim> claims(Lease peer) {
        return List.of(new PeerClaim(PeerRejection.Reason.PUBLIC_IP_IN_USE, "PublicIP " + peer.attrs().publicIp(), peer.subnet()));
    }

    @Override
    public boolean ownsRoute(Route route) {
        return link != null && route.outputIndex() == link.index();
    }

    private static Thread start(Runnable loop, String name) {
        Thread t = new Thread(loop, name);
        t.setDaemon(true);
        t.setPriority(Thread.MAX_PRIORITY);
        t.start();
        return t;
    }

    @Override
    public void handle(List<LeaseEvent> batch) {
        boolean each = batch.size() <= 20;
        for (LeaseEvent e : batch) {
            Lease l = e.lease();
            if (e instanceof LeaseEvent.Removed) {
                if (peers.remove(l.subnet()) != null && each) {
                    LOG.info("peer removed: {}", l.subnet());
                }
                continue;
            }
            Optional<PeerRejection> bad = checkPeer(l);
            if (bad.isPresent()) {
                LOG.warn("ignoring the lease of {} at {}: {}", l.subnet(), l.attrs().publicIp(), bad.get());
                peers.remove(l.subnet());
                continue;
            }
            if (l.subnet().prefixLength() != config.subnetLen() || l.subnet().address().value() == PeerTable.NONE
                    || l.attrs().publicIp().value() == PeerTable.NONE) {
                // PeerAdmission keeps such leases out; one that got here must not stop the table's rebuild
                LOG.warn("ignoring the lease of {} at {}: not a /{} subnet with a public IP", l.subnet(), l.attrs().publicIp(), config.subnetLen());
                peers.remove(l.subnet());
                continue;
            }
            Ip4 before = peers.put(l.subnet(), l.attrs().publicIp());
            if (each) {
                LOG.info("peer {}: {} at {}:{}", before == null ? "added" : "changed", l.subnet(), l.attrs().publicIp(), port);
            }
        }
        routes.table(PeerTable.of(config.subnetLen(), peers));
        if (!each) {
            LOG.info("applied {} peer events; {} peers", batch.size(), peers.size());
        }
        if (outbound == null) {
            // only now, with the peers known, would a datagram from a peer not be taken for a stranger's
            Outbound out = new Outbound(tun, socket, port, routes, counters);
            outbound = start(out, "udp tun->net");
            inbound = start(new Inbound(tun, socket, routes, counters, out), "udp net->tun");
        }
    }

    /**
     * Restores the address and network route if someone removed them; reports new drops. It reads
     * one route and logs the drops every few seconds, so it keeps the periodic check and no
     * {@link #kernelInterest}.
     */
    @Override
    public void recheck() {
        if (own == null) {
            return;
        }
        try {
            boolean routed = nl.routes().listIp4().stream()
                    .anyMatch(r -> r.outputIndex() == link.index() && r.ip4Destination().equals(config.network()));
            if (!routed) {
                LOG.warn("the route of {} into {} disappeared; restoring it", config.network(), tun.name());
                ensureAddressAndRoute();
            }
        } catch (NetlinkException e) {
            LOG.error("cannot check the route into {}: {}", tun.name(), e.getMessage());
        }
        String drops = UdpCounters.describeDrops(counters.snapshot());
        if (!drops.equals(lastDrops)) {
            LOG.info("udp backend: dropped so far: {} (sent {}, received {} packets)", drops, counters.get(UdpCounters.Counter.SENT_PACKETS),
                    counters.get(UdpCounters.Counter.RECEIVED_PACKETS));
            lastDrops = drops;
        }
    }

    /** The packet loops' counters. */
    public UdpCounters counters() {
        return counters;
    }

    /** Stops the loops and removes the TUN device (a TUN device lives as long as its descriptor). */
    @Override
    public void close() {
        BackendResources.closeOpened(metrics);
        closeQuietly();
        for (Thread t : new Thread[] {outbound, inbound}) {
            if (t != null) {
                try {
                    t.join(2000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        LOG.info("udp backend stopped: sent {} and received {} packets; {}", counters.get(UdpCounters.Counter.SENT_PACKETS),
                counters.get(UdpCounters.Counter.RECEIVED_PACKETS), lastDropsOrNone());
    }

    private String lastDropsOrNone() {
        String d = UdpCounters.describeDrops(counters.snapshot());
        return d.isEmpty() ? "no drops" : "dropped " + d;
    }

    private void closeQuietly() {
        BackendResources.closeOpened(tun, socket, nl);
    }
}
