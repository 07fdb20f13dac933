package io.javaoverlay.core.backend.vxlan;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.javaoverlay.core.backend.Backend;
import io.javaoverlay.core.backend.BackendContext;
import io.javaoverlay.core.backend.BackendException;
import io.javaoverlay.core.backend.FlannelLeaseShapes;
import io.javaoverlay.core.backend.HostNetworking;
import io.javaoverlay.core.backend.KernelTables;
import io.javaoverlay.core.backend.PeerReconciler;
import io.javaoverlay.core.backend.PeerClaim;
import io.javaoverlay.core.backend.PeerRejection;
import io.javaoverlay.core.backend.Registration;
import io.javaoverlay.core.backend.VtepMacStore;
import io.javaoverlay.core.config.BackendConfig;
import io.javaoverlay.core.config.BackendType;
import io.javaoverlay.core.config.NetworkConfig;
import io.javaoverlay.core.lease.Lease;
import io.javaoverlay.core.lease.LeaseEvent;
import io.javaoverlay.core.metrics.BackendStats;
import io.javaoverlay.core.metrics.OverlayMetrics;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.MacAddress;
import io.javaoverlay.core.netlink.Link;
import io.javaoverlay.core.netlink.LinkStats;
import io.javaoverlay.core.netlink.NetlinkException;
import io.javaoverlay.core.netlink.NetlinkSocket;
import io.javaoverlay.core.netlink.Route;
import io.javaoverlay.core.netlink.VxlanInfo;

/**
 * flannel's vxlan backend on the kernel's VXLAN device: see the package notes.
 */
public final class VxlanBackend implements Backend {

    private static final Logger LOG = LoggerFactory.getLogger(VxlanBackend.class);

    /** The kernel's (and flannel's) VXLAN port; IANA's 4789 came later. */
    public static final int DEFAULT_PORT = 8472;

    private final BackendContext context;
    private NetlinkSocket nl;
    private NetworkConfig config;
    private VxlanDevice device;
    /** Written by the agent's thread; read by a scrape of {@code /metrics} too. */
    private volatile Link link;
    /** The scrape's own socket: a scrape never waits behind a large peer batch on {@link #nl}. */
    private NetlinkSocket statsNl;
    private OverlayMetrics.BackendRegistration metrics;
    private Lease own;
    /** Every peer's path: what the leases ask for, what is programmed, what failed. */
    private PeerReconciler<VxlanPeer> peers;

    public VxlanBackend(BackendType type, BackendContext context) {
        if (type != BackendType.VXLAN) {
            throw new IllegalArgumentException("VxlanBackend runs Backend.Type vxlan, not " + type);
        }
        this.context = context;
    }

    @Override
    public Registration register(NetworkConfig config) {
        this.config = config;
        BackendConfig b = config.backend();
        int vni = b.vni().orElse(FlannelLeaseShapes.DEFAULT_VNI);
        int port = b.port().orElse(0) == 0 ? DEFAULT_PORT : b.port().getAsInt();
        MacAddress mac = new VtepMacStore(context.dataDir()).choose(vni, ownPreviousMac(), macsOfOthers(context.leasesAtStart()));
        Registration reg = FlannelLeaseShapes.vxlan(b, context.external(), mac);
        var ext = context.external();
        VxlanInfo info = VxlanInfo.of(vni, ext.ifaceAddr(), ext.index(), port).withLearning(b.learning()).withGbp(b.gbp());
        device = new VxlanDevice("flannel." + vni, info, mac, reg.mtu());
        try {
            nl = NetlinkSocket.open();
            HostNetworking.enableForwarding();
            link = device.ensure(nl);
            List<Ip4Net> externalNetworks = b.directRouting() ? HostNetworking.networksOn(nl, ext.index()) : List.of();
            peers = new PeerReconciler<>(new VxlanPaths(KernelTables.of(nl), () -> link.index(), ext, config, externalNetworks,
                    () -> Optional.ofNullable(own).map(Lease::subnet)));
            statsNl = NetlinkSocket.open();
            metrics = OverlayMetrics.registerBackend("vxlan", this::deviceStats);
        } catch (NetlinkException e) {
            throw new BackendException("cannot set up VXLAN device " + device.name() + " on " + ext + ": " + e.getMessage()
                    + " (is the vxlan kernel module available? is another program using UDP port " + port + "?)", e);
        }
        return reg;
    }

    @Override
    public void leaseAcquired(Lease own) {
        this.own = own;
        try {
            device.ensureAddress(nl, link, config.network(), own.subnet());
        } catch (NetlinkException e) {
            throw new BackendException("cannot give " + device.name() + " the address " + own.subnet().address() + ": " + e.getMessage(), e);
        }
    }

    /** Checks the lease's VtepMAC: a unicast station address, and not this host's own. */
    @Override
    public Optional<PeerRejection> checkPeer(Lease peer) {
        VxlanPeer.Result r = VxlanPeer.from(peer);
        if (r.peer() == null) {
            return Optional.of(r.problem());
        }
        if (device != null && r.peer().vtepMac().equals(device.mac())) {
            return Optional.of(new PeerRejection(PeerRejection.Reason.VTEP_MAC_COLLISION,
                    "its VtepMAC " + device.mac() + " is this host's own (" + device.name() + "): this host chooses a new one"));
        }
        return Optional.empty();
    }

    /**
     * Chooses a new VTEP MAC (none any peer publishes), sets it on the device in place, keeps it
     * in the data directory and returns what to publish. Peers then see this host's lease change
     * and point their FDB entries at the new MAC; this host's own entries do not depend on it.
     */
    @Override
    public Optional<Registration> resolveCollision() {
        if (device == null) {
            return Optional.empty();
        }
        Set<MacAddress> avoid = new HashSet<>();
        avoid.add(device.mac());
        peers.wanted().values().forEach(p -> avoid.add(p.vtepMac()));
        BackendConfig b = config.backend();
        int vni = b.vni().orElse(FlannelLeaseShapes.DEFAULT_VNI);
        MacAddress mac = new VtepMacStore(context.dataDir()).renew(vni, avoid);
        VxlanDevice next = new VxlanDevice(device.name(), device.info(), mac, device.mtu());
        try {
            nl.links().setMac(link.index(), mac);
            link = nl.links().get(link.index()).orElseThrow();
        } catch (NetlinkException e) {
            throw new BackendException("cannot give " + device.name() + " the new VTEP MAC " + mac + ": " + e.getMessage(), e);
        }
        LOG.warn("{}: VTEP MAC {} was published by another host too; changed it to {}", device.name(), device.mac(), mac);
        device = next;
        return Optional.of(FlannelLeaseShapes.vxlan(b, context.external(), mac));
    }

    /** The VtepMAC of this host's previous lease (same public IP), as flannel reuses it. */
    private Optional<MacAddress> ownPreviousMac() {
        for (Lease l : context.leasesAtStart()) {
            if (l.attrs().publicIp().equals(context.external().publicIp())) {
                VxlanPeer p = VxlanPeer.from(l).peer();
                if (p != null) {
                    return Optional.of(p.vtepMac());
                }
            }
        }
        return Optional.empty();
    }

    /** The VTEP MACs other hosts (other public IPs) publish. */
    private Set<MacAddress> macsOfOthers(List<Lease> leases) {
        Set<MacAddress> out = new HashSet<>();
        for (Lease l : leases) {
            if (!l.attrs().publicIp().equals(context.external().publicIp())) {
                VxlanPeer p = VxlanPeer.from(l).peer();
                if (p != null) {
                    out.add(p.vtepMac());
                }
            }
        }
        return out;
    }

    /** The FDB keys entries by MAC: one VtepMAC can point at one public IP only. */
    @Override
    public List<PeerClaim> claims(Lease peer) {
        VxlanPeer p = VxlanPeer.from(peer).peer();
        return p == null ? List.of() : List.of(new PeerClaim(PeerRejection.Reason.VTEP_MAC_IN_USE, "VtepMAC " + p.vtepMac(), p.publicIp()));
    }

    /** The routes through the VXLAN device; DirectRouting's routes via the external interface carry the protocol mark. */
    @Override
    public boolean ownsRoute(Route route) {
        Link l = link;
        return l != null && route.outputIndex() == l.index();
    }

    @Override
    public void handle(List<LeaseEvent> batch) {
        peers.handle(batch);
    }

    /**
     * Repairs the data path: a deleted or changed device is made again and every peer replayed;
     * a missing peer route is restored; peers that failed are retried.
     */
    @Override
    public void recheck() {
        if (device == null) {
            return;
        }
        try {
            Optional<Link> now = nl.links().get(device.name());
            if (now.isEmpty() || now.get().index() != link.index() || device.incompatibility(now.get()).isPresent()) {
                LOG.warn("{} was {} by someone else; recreating it and replaying {} peers", device.name(),
                        now.isEmpty() ? "deleted" : "replaced", peers.wanted().size());
                link = device.ensure(nl);
                if (own != null) {
                    device.ensureAddress(nl, link, config.network(), own.subnet());
                }
                peers.replayAll();
            } else if (!now.get().isUp()) {
                LOG.warn("{} was set down by someone else; setting it up", device.name());
                nl.links().setUp(link.index());
            }
            if (own != null && nl.addresses().list(link).stream().noneMatch(a -> a.isIp4() && a.ip4().ip().equals(own.subnet().address()))) {
                LOG.warn("{} lost its address {}; adding it again", device.name(), own.subnet().address());
                device.ensureAddress(nl, link, config.network(), own.subnet());
            }
        } catch (NetlinkException e) {
            LOG.error("cannot check the VXLAN device {}: {}", device.name(), e.getMessage());
            return;
        }
        peers.recheck();
    }

    /**
     * The VXLAN device's kernel counters as the backend's traffic: what it sent is what was
     * encapsulated towards peers, what it received was decapsulated from them. Peers reached by
     * DirectRouting bypass the device and are not in these numbers. Null while the device is
     * missing (deleted underneath, before {@link #recheck} makes it again).
     */
    private BackendStats deviceStats() {
        Link l = link;
        Optional<LinkStats> read = statsNl.links().stats(l.index());
        if (read.isEmpty()) {
            return null;
        }
        LinkStats s = read.get();
        return new BackendStats(s.txPackets(), s.txBytes(), s.rxPackets(), s.rxBytes(),
                Map.of("rx-dropped", s.rxDropped(), "tx-dropped", s.txDropped()), Map.of("rx", s.rxErrors(), "tx", s.txErrors()));
    }

    /** The peers programmed now (for tests and diagnostics). */
    public int programmedPeers() {
        return peers == null ? 0 : peers.programmed().size();
    }

    /** Leaves device, routes and entries in place: a restarted agent takes them over without a gap in traffic. */
    @Override
    public void close() {
        if (metrics != null) {
            metrics.close();
        }
        if (statsNl != null) {
            statsNl.close();
        }
        if (nl != null) {
            nl.close();
        }
        LOG.info("vxlan backend stopped; {} and the routes to {} peers stay for the next run", device == null ? "no device"
                : device.name(), programmedPeers());
    }
}
