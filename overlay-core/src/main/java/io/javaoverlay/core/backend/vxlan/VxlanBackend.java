package io.javaoverlay.core.backend.vxlan;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
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
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.MacAddress;
import io.javaoverlay.core.netlink.FdbEntry;
import io.javaoverlay.core.netlink.Link;
import io.javaoverlay.core.netlink.LinkStats;
import io.javaoverlay.core.netlink.Neighbour;
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

    /** Batches larger than this are logged as a summary, their peers one by one at DEBUG. */
    private static final int LOG_EACH_PEER_UP_TO = 20;

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
    private List<Ip4Net> externalNetworks = List.of();
    /** Every usable peer the leases describe. */
    private final Map<Ip4Net, VxlanPeer> wanted = new HashMap<>();
    /** What is in the kernel now, as far as we know. */
    private final Map<Ip4Net, VxlanPeer> programmed = new HashMap<>();
    /** Peers whose programming failed; retried on {@link #recheck}. */
    private final Set<Ip4Net> failed = new LinkedHashSet<>();
    private boolean staleCleaned;

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
            externalNetworks = b.directRouting() ? HostNetworking.networksOn(nl, ext.index()) : List.of();
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
        wanted.values().forEach(p -> avoid.add(p.vtepMac()));
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
        long start = System.nanoTime();
        boolean each = batch.size() <= LOG_EACH_PEER_UP_TO;
        int added = 0;
        int removed = 0;
        for (LeaseEvent e : batch) {
            Ip4Net subnet = e.lease().subnet();
            if (e instanceof LeaseEvent.Removed) {
                if (wanted.remove(subnet) != null) {
                    removed++;
                    log(each, "peer removed: {}", subnet);
                }
                failed.remove(subnet);
                unprogram(subnet);
                continue;
            }
            VxlanPeer.Result r = VxlanPeer.from(e.lease());
            if (r.peer() == null) {
                LOG.warn("ignoring the lease of {} at {}: {}", subnet, e.lease().attrs().publicIp(), r.problem());
                wanted.remove(subnet);
                failed.remove(subnet);
                unprogram(subnet);
                continue;
            }
            VxlanPeer peer = r.peer().withDirect(isOnSameL2(r.peer().publicIp()));
            wanted.put(subnet, peer);
            added++;
            log(each, "peer {}: {}", e instanceof LeaseEvent.Added ? "added" : "changed", peer);
            program(peer);
        }
        if (!each) {
            LOG.info("applied {} peer events in {} ms: {} added or changed, {} removed; {} peers", batch.size(),
                    (System.nanoTime() - start) / 1_000_000, added, removed, wanted.size());
        }
        if (!staleCleaned) {
            staleCleaned = true;
            cleanUpStale();
        }
    }

    private static void log(boolean info, String format, Object a, Object b) {
        if (info) {
            LOG.info(format, a, b);
        } else {
            LOG.debug(format, a, b);
        }
    }

    private static void log(boolean info, String format, Object a) {
        if (info) {
            LOG.info(format, a);
        } else {
            LOG.debug(format, a);
        }
    }

    private boolean isOnSameL2(Ip4 publicIp) {
        for (Ip4Net n : externalNetworks) {
            if (n.contains(publicIp)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Programs one peer: for VXLAN the neighbour entry (peer VTEP address -> VTEP MAC), the FDB
     * entry (VTEP MAC -> public IP), then the route; the route last, because the moment it exists
     * the kernel sends through it, and without the neighbour entry it would try to ARP for the
     * VTEP across a device that cannot answer. Everything is "replace": idempotent.
     */
    private void program(VxlanPeer peer) {
        VxlanPeer before = programmed.get(peer.subnet());
        if (peer.equals(before)) {
            failed.remove(peer.subnet());
            return;
        }
        try {
            if (before != null && !before.direct() && (peer.direct() || !before.vtepMac().equals(peer.vtepMac())
                    || !before.publicIp().equals(peer.publicIp()))) {
                // the old VTEP's FDB entry would otherwise stay (entries are keyed by MAC)
                deleteFdbUnlessShared(before);
                if (peer.direct()) {
                    deleteQuietly(() -> nl.neighbours().delete(neighbour(before)));
                }
            }
            if (peer.direct()) {
                nl.routes().replace(directRoute(peer));
            } else {
                nl.neighbours().replace(neighbour(peer));
                nl.fdb().replace(FdbEntry.vxlan(link.index(), peer.vtepMac(), peer.publicIp()));
                nl.routes().replace(vxlanRoute(peer.subnet()));
            }
            programmed.put(peer.subnet(), peer);
            failed.remove(peer.subnet());
        } catch (NetlinkException e) {
            programmed.remove(peer.subnet());
            if (failed.add(peer.subnet())) {
                LOG.error("cannot program the path to peer {}: {}; retrying every recheck", peer, e.getMessage());
            }
        }
    }

    /** Removes what {@link #program} made for {@code subnet}: the route first, so nothing routes into a half-removed path. */
    private void unprogram(Ip4Net subnet) {
        VxlanPeer before = programmed.remove(subnet);
        if (before == null) {
            return;
        }
        deleteQuietly(() -> nl.routes().delete(before.direct() ? directRoute(before) : vxlanRoute(subnet)));
        if (!before.direct()) {
            deleteQuietly(() -> nl.neighbours().delete(neighbour(before)));
            deleteFdbUnlessShared(before);
        }
    }

    /**
     * Deletes the FDB entry of a peer that is going unless another programmed peer has the same
     * (VtepMAC, public IP): two leases of one machine share the entry, and the survivor needs it.
     */
    private void deleteFdbUnlessShared(VxlanPeer gone) {
        for (VxlanPeer p : programmed.values()) {
            if (!p.direct() && !p.subnet().equals(gone.subnet()) && p.vtepMac().equals(gone.vtepMac())
                    && p.publicIp().equals(gone.publicIp())) {
                return;
            }
        }
        deleteQuietly(() -> nl.fdb().delete(FdbEntry.vxlan(link.index(), gone.vtepMac(), gone.publicIp())));
    }

    private Neighbour neighbour(VxlanPeer peer) {
        return Neighbour.permanent(link.index(), peer.subnet().address(), peer.vtepMac());
    }

    /** {@code <peer subnet> via <peer subnet>.0 dev flannel.N onlink}: the gateway is the peer's VTEP address. */
    private Route vxlanRoute(Ip4Net subnet) {
        return Route.ip4(subnet).via(subnet.address()).device(link).withOnlink().withProtocol(Route.PROTOCOL_JAVAOVERLAY);
    }

    private Route directRoute(VxlanPeer peer) {
        return Route.ip4(peer.subnet()).via(peer.publicIp()).device(context.external().index()).withProtocol(Route.PROTOCOL_JAVAOVERLAY);
    }

    private void deleteQuietly(Runnable delete) {
        try {
            delete.run();
        } catch (NetlinkException.NotFound e) {
            // already gone: the goal
        } catch (NetlinkException e) {
            LOG.warn("cleanup failed: {}", e.getMessage());
        }
    }

    /**
     * Removes what an earlier run left for subnets that are no longer leased: routes into the
     * overlay network through the VXLAN device (or, with DirectRouting, routes through the
     * external interface that carry javaoverlay's protocol mark), neighbour entries and FDB
     * entries on the device that no current peer needs. The device is javaoverlay's (or flannel's)
     * alone, so what is on it was made by one of them.
     */
    private void cleanUpStale() {
        Set<Ip4> peerVteps = new HashSet<>();
        Set<MacAddress> peerMacs = new HashSet<>();
        for (VxlanPeer p : wanted.values()) {
            peerVteps.add(p.subnet().address());
            peerMacs.add(p.vtepMac());
        }
        int removed = 0;
        try {
            for (Route r : nl.routes().listIp4()) {
                if (r.isDefault() || r.gateway() == null) {
                    continue;
                }
                Ip4Net dst = r.ip4Destination();
                // through the external interface only what carries our mark: an operator's route there stays
                boolean ours = r.outputIndex() == link.index()
                        || (r.outputIndex() == context.external().index() && r.protocol() == Route.PROTOCOL_JAVAOVERLAY);
                if (ours && config.network().contains(dst) && !wanted.containsKey(dst) && !isOwn(dst)) {
                    deleteQuietly(() -> nl.routes().delete(r));
                    LOG.info("removed stale route {} (no lease for {} any more)", r, dst);
                    removed++;
                }
            }
            for (Neighbour n : nl.neighbours().listIp4(link.index())) {
                if (n.isPermanent() && !peerVteps.contains(Ip4.of(n.address()))) {
                    deleteQuietly(() -> nl.neighbours().delete(n));
                    removed++;
                }
            }
            for (FdbEntry f : nl.fdb().list(link.index())) {
                if (f.destination() != null && !peerMacs.contains(f.mac())) {
                    deleteQuietly(() -> nl.fdb().delete(f));
                    removed++;
                }
            }
        } catch (NetlinkException e) {
            LOG.warn("cannot clean up state from an earlier run: {}", e.getMessage());
        }
        if (removed > 0) {
            LOG.info("removed {} stale routes, neighbour and FDB entries left from an earlier run", removed);
        }
    }

    private boolean isOwn(Ip4Net subnet) {
        return own != null && own.subnet().equals(subnet);
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
                        now.isEmpty() ? "deleted" : "replaced", wanted.size());
                link = device.ensure(nl);
                if (own != null) {
                    device.ensureAddress(nl, link, config.network(), own.subnet());
                }
                programmed.clear();
                failed.addAll(wanted.keySet());
            } else if (!now.get().isUp()) {
                LOG.warn("{} was set down by someone else; setting it up", device.name());
                nl.links().setUp(link.index());
            }
            if (own != null && nl.addresses().list(link).stream().noneMatch(a -> a.isIp4() && a.ip4().ip().equals(own.subnet().address()))) {
                LOG.warn("{} lost its address {}; adding it again", device.name(), own.subnet().address());
                device.ensureAddress(nl, link, config.network(), own.subnet());
            }
            restoreMissing();
        } catch (NetlinkException e) {
            LOG.error("cannot check the VXLAN device {}: {}", device.name(), e.getMessage());
            return;
        }
        if (!failed.isEmpty()) {
            for (Ip4Net subnet : new ArrayList<>(failed)) {
                VxlanPeer p = wanted.get(subnet);
                if (p == null) {
                    failed.remove(subnet);
                } else {
                    program(p);
                }
            }
            if (failed.isEmpty()) {
                LOG.info("every peer is programmed again");
            }
        }
    }

    /**
     * A route, neighbour or FDB entry someone deleted (ip route flush, ip neigh flush, bridge fdb
     * del, or a peer sharing the entry that went away) leaves the peer unreachable: program it again.
     */
    private void restoreMissing() {
        Set<Ip4Net> routed = new HashSet<>();
        for (Route r : nl.routes().listIp4()) {
            if (!r.isDefault() && (r.outputIndex() == link.index() || r.outputIndex() == context.external().index())) {
                routed.add(r.ip4Destination());
            }
        }
        Set<Ip4> neighbours = new HashSet<>();
        for (Neighbour n : nl.neighbours().listIp4(link.index())) {
            if (n.isPermanent()) {
                neighbours.add(Ip4.of(n.address()));
            }
        }
        Set<String> fdb = new HashSet<>();
        for (FdbEntry f : nl.fdb().list(link.index())) {
            if (f.destination() != null) {
                fdb.add(f.mac() + " " + f.destination());
            }
        }
        for (VxlanPeer p : wanted.values()) {
            if (!programmed.containsKey(p.subnet())) {
                continue;
            }
            String missing = !routed.contains(p.subnet()) ? "route"
                    : p.direct() ? null
                    : !neighbours.contains(p.subnet().address()) ? "neighbour entry"
                    : !fdb.contains(p.vtepMac() + " " + p.publicIp()) ? "FDB entry" : null;
            if (missing != null) {
                LOG.warn("the {} of peer {} disappeared; restoring it", missing, p);
                programmed.remove(p.subnet());
                failed.add(p.subnet());
            }
        }
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
        return programmed.size();
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
                : device.name(), programmed.size());
    }
}
