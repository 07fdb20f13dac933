package io.javaoverlay.core.backend.vxlan;

import java.math.BigInteger;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.javaoverlay.core.backend.Backend;
import io.javaoverlay.core.backend.BackendContext;
import io.javaoverlay.core.backend.BackendException;
import io.javaoverlay.core.backend.BackendFactory;
import io.javaoverlay.core.backend.BackendResources;
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
import io.javaoverlay.core.net.Ip6Net;
import io.javaoverlay.core.net.MacAddress;
import io.javaoverlay.core.netlink.Address;
import io.javaoverlay.core.netlink.KernelChanges;
import io.javaoverlay.core.netlink.Link;
import io.javaoverlay.core.netlink.LinkStats;
import io.javaoverlay.core.netlink.NetlinkException;
import io.javaoverlay.core.netlink.NetlinkSocket;
import io.javaoverlay.core.netlink.Route;
import io.javaoverlay.core.netlink.Sysctl;
import io.javaoverlay.core.netlink.VxlanInfo;

/**
 * flannel's vxlan backend on the kernel's VXLAN device, and with {@code EnableIPv6} a second one
 * for the IPv6 half of every lease ({@code flannel-v6.<VNI>}): see the package notes.
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
    /** With IPv6: {@code flannel-v6.<VNI>}, its link and the peers' IPv6 paths through it; else null. */
    private VxlanDevice device6;
    private volatile Link link6;
    private PeerReconciler<VxlanPeer> peers6;
    /** What this host publishes, as registered. */
    private Registration registration;

    public VxlanBackend(BackendType type, BackendContext context) {
        BackendFactory.requireType(type, BackendType.VXLAN, VxlanBackend.class);
        this.context = context;
    }

    @Override
    public Registration register(NetworkConfig config) {
        this.config = config;
        BackendConfig b = config.backend();
        int vni = b.vni().orElse(FlannelLeaseShapes.DEFAULT_VNI);
        int port = b.port().orElse(0) == 0 ? DEFAULT_PORT : b.port().getAsInt();
        var ext = context.external();
        Registration reg;
        if (config.enableIPv4()) {
            MacAddress mac = new VtepMacStore(context.dataDir()).choose(vni, previousMac(this::samePublicIp, VxlanPeer::from),
                    macsOfOthers(this::samePublicIp, VxlanPeer::from));
            reg = FlannelLeaseShapes.vxlan(b, ext, mac);
            VxlanInfo info = VxlanInfo.of(vni, ext.ifaceAddr(), ext.index(), port).withLearning(b.learning()).withGbp(b.gbp());
            device = new VxlanDevice("flannel." + vni, info, mac, reg.mtu());
        } else {
            // IPv6-only, as flannel's createVXLANDevice with EnableIPv4 false: no flannel.<VNI>, no BackendData;
            // FLANNEL_MTU is flannel's all the same (Backend.MTU or the external MTU, minus 50)
            reg = new Registration(Optional.of(BackendType.VXLAN.flannelName()), Optional.empty(),
                    Math.min(b.mtu().orElse(ext.mtu()), 65535) - FlannelLeaseShapes.VXLAN_OVERHEAD);
        }
        if (config.ipv6().isPresent()) {
            reg = registerIpv6(b, vni, port, reg);
        }
        registration = reg;
        try {
            nl = NetlinkSocket.open();
            HostNetworking.enableForwarding(config);
            if (device != null) {
                link = device.ensure(nl);
                List<Ip4Net> externalNetworks = b.directRouting() ? HostNetworking.networksOn(nl, ext.index()) : List.of();
                peers = new PeerReconciler<>(new VxlanPaths(KernelTables.of(nl), () -> link.index(), ext, config, externalNetworks,
                        () -> Optional.ofNullable(own).map(Lease::subnet)));
            }
            if (device6 != null) {
                link6 = device6.ensure(nl);
                // as flannel's newVXLANDevice: the device takes no router advertisements
                Sysctl.acceptRa(device6.name(), 0);
                List<Ip6Net> externalNetworks6 = b.directRouting() ? ipv6NetworksOn(nl, ext.index()) : List.of();
                peers6 = new PeerReconciler<>(new VxlanPaths(KernelTables.of(nl), () -> link6.index(), ext,
                        VxlanFamily.ipv6(config.ipv6().get(), externalNetworks6, () -> Optional.ofNullable(own).flatMap(Lease::ipv6Subnet))));
            }
            statsNl = NetlinkSocket.open();
            metrics = context.metrics().registerBackend("vxlan", this::deviceStats);
        } catch (NetlinkException e) {
            throw new BackendException("cannot set up VXLAN device " + (device != null ? device : device6).name() + " on " + ext + ": " + e.getMessage()
                    + " (is the vxlan kernel module available? is another program using UDP port " + port + "?)", e);
        }
        return reg;
    }

    /**
     * The IPv6 device as flannel makes it: {@code flannel-v6.<VNI>}, the same VNI and port, this
     * host's PublicIPv6 as its source, the external interface beneath, a VTEP MAC of its own
     * (kept in {@code --data-dir} like the IPv4 one) published in {@code BackendV6Data}.
     */
    private Registration registerIpv6(BackendConfig b, int vni, int port, Registration reg) {
        var ext = context.external();
        String publicIpv6 = context.publicIpv6().orElseThrow(() -> new BackendException(
                "EnableIPv6 with vxlan needs this host's IPv6 address on " + ext.name() + " (PublicIPv6), and none was given"));
        Inet6Address local6 = (Inet6Address) VxlanPeer.address(Ip6Net.parseAddress(publicIpv6));
        MacAddress mac6 = VtepMacStore.ipv6(context.dataDir()).choose(vni, previousMac(this::isOwn, VxlanPeer::from6),
                macsOfOthers(this::isOwn, VxlanPeer::from6));
        VxlanInfo info6 = VxlanInfo.ofIpv6(vni, local6, ext.index(), port).withLearning(b.learning()).withGbp(b.gbp());
        device6 = new VxlanDevice("flannel-v6." + vni, info6, mac6, FlannelLeaseShapes.vxlan6DeviceMtu(b, ext));
        return reg.withV6Data(FlannelLeaseShapes.vxlanV6Data(b, mac6));
    }

    /** The global IPv6 networks directly attached to the device, for DirectRouting of IPv6 peers. */
    private static List<Ip6Net> ipv6NetworksOn(NetlinkSocket nl, int linkIndex) {
        List<Ip6Net> out = new ArrayList<>();
        for (Address a : nl.addresses().list()) {
            if (a.linkIndex() == linkIndex && a.address() instanceof Inet6Address && !a.address().isLinkLocalAddress()) {
                out.add(Ip6Net.containing(new BigInteger(1, a.address().getAddress()), a.prefixLength()));
            }
        }
        return out;
    }

    @Override
    public void leaseAcquired(Lease own) {
        this.own = own;
        try {
            if (device != null) {
                device.ensureAddress(nl, link, config.network(), own.subnet());
            }
        } catch (NetlinkException e) {
            throw new BackendException("cannot give " + device.name() + " the address " + own.subnet().address() + ": " + e.getMessage(), e);
        }
        if (device6 != null && own.ipv6Subnet().isPresent()) {
            try {
                device6.ensureAddress6(nl, link6, config.ipv6().get().network(), own.ipv6Subnet().get());
            } catch (NetlinkException e) {
                throw new BackendException("cannot give " + device6.name() + " the address " + own.ipv6Subnet().get().firstHostCidr() + ": "
                        + e.getMessage(), e);
            }
        }
    }

    /**
     * Checks the lease's VtepMAC: a unicast station address, and not this host's own; with IPv6,
     * the same for its IPv6 half ({@code BackendV6Data}). A bad IPv6 half rejects the whole lease,
     * as the IPv6 checks of the admission do.
     */
    @Override
    public Optional<PeerRejection> checkPeer(Lease peer) {
        VxlanPeer.Result r = device == null ? VxlanPeer.from6(peer) : VxlanPeer.from(peer); // IPv6-only: the IPv6 half alone
        if (r.peer() == null) {
            return Optional.of(r.problem() != null ? r.problem()
                    : new PeerRejection(PeerRejection.Reason.BAD_BACKEND_DATA, "it has no IPv6 subnet, PublicIPv6 or BackendV6Data"));
        }
        if (device != null && r.peer().vtepMac().equals(device.mac())) {
            return Optional.of(new PeerRejection(PeerRejection.Reason.VTEP_MAC_COLLISION,
                    "its VtepMAC " + device.mac() + " is this host's own (" + device.name() + "): this host chooses a new one"));
        }
        if (device6 != null) {
            VxlanPeer.Result r6 = VxlanPeer.from6(peer);
            if (r6.problem() != null) {
                return Optional.of(r6.problem());
            }
            if (r6.peer() != null && r6.peer().vtepMac().equals(device6.mac())) {
                return Optional.of(new PeerRejection(PeerRejection.Reason.VTEP_MAC_COLLISION,
                        "its BackendV6Data VtepMAC " + device6.mac() + " is this host's own (" + device6.name() + "): this host chooses a new one"));
            }
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
            return device6 == null ? Optional.empty() : resolveCollision6Only();
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
        // a new MAC makes the kernel flush the device's neighbour entries, permanent ones too
        // (NETDEV_CHANGEADDR): every peer is programmed again now, not at the next recheck
        peers.replayAll();
        peers.recheck();
        Registration reg = FlannelLeaseShapes.vxlan(b, context.external(), mac);
        if (device6 == null) {
            return Optional.of(reg);
        }
        // the collision may have been the IPv6 device's: it takes a new MAC too, none any peer publishes
        Set<MacAddress> avoid6 = new HashSet<>(avoid);
        avoid6.add(mac);
        MacAddress mac6 = renewMac6(vni, avoid6, "{}: changed the VTEP MAC {} to {} as well");
        return Optional.of(reg.withV6Data(FlannelLeaseShapes.vxlanV6Data(b, mac6)));
    }

    /** IPv6-only: {@code flannel-v6.<VNI>} takes a new VTEP MAC, none any peer publishes. */
    private Optional<Registration> resolveCollision6Only() {
        BackendConfig b = config.backend();
        int vni = b.vni().orElse(FlannelLeaseShapes.DEFAULT_VNI);
        MacAddress mac6 = renewMac6(vni, new HashSet<>(), "{}: VTEP MAC {} was published by another host too; changed it to {}");
        return Optional.of(registration.withV6Data(FlannelLeaseShapes.vxlanV6Data(b, mac6)));
    }

    /**
     * Gives {@code flannel-v6.<VNI>} a new VTEP MAC, none of {@code avoid}, its current one or any peer's, and
     * programs its peers again; {@code warning} (device, old MAC, new MAC) says why.
     */
    private MacAddress renewMac6(int vni, Set<MacAddress> avoid, String warning) {
        avoid.add(device6.mac());
        peers6.wanted().values().forEach(p -> avoid.add(p.vtepMac()));
        MacAddress mac6 = VtepMacStore.ipv6(context.dataDir()).renew(vni, avoid);
        try {
            nl.links().setMac(link6.index(), mac6);
            link6 = nl.links().get(link6.index()).orElseThrow();
        } catch (NetlinkException e) {
            throw new BackendException("cannot give " + device6.name() + " the new VTEP MAC " + mac6 + ": " + e.getMessage(), e);
        }
        LOG.warn(warning, device6.name(), device6.mac(), mac6);
        device6 = new VxlanDevice(device6.name(), device6.info(), mac6, device6.mtu());
        peers6.replayAll();
        peers6.recheck();
        return mac6;
    }

    /** Whether {@code l} is this host's earlier lease: same PublicIP, or, IPv6-only, same PublicIPv6. */
    private boolean isOwn(Lease l) {
        if (context.external().isIpv6Only()) {
            return l.attrs().publicIpv6().isPresent() && l.attrs().publicIpv6().equals(context.publicIpv6());
        }
        return samePublicIp(l);
    }

    /** Whether {@code l} has this host's PublicIP. */
    private boolean samePublicIp(Lease l) {
        return l.attrs().publicIp().equals(context.external().publicIp());
    }

    /**
     * The VtepMAC {@code half} (the lease's IPv4 or IPv6 half) reads from this host's previous lease, the first
     * one at start {@code own} accepts, as flannel reuses it.
     */
    private Optional<MacAddress> previousMac(Predicate<Lease> own, Function<Lease, VxlanPeer.Result> half) {
        for (Lease l : context.leasesAtStart()) {
            if (own.test(l)) {
                VxlanPeer p = half.apply(l).peer();
                if (p != null) {
                    return Optional.of(p.vtepMac());
                }
            }
        }
        return Optional.empty();
    }

    /** The VtepMACs other hosts publish: what {@code half} reads from the leases at start {@code own} does not accept. */
    private Set<MacAddress> macsOfOthers(Predicate<Lease> own, Function<Lease, VxlanPeer.Result> half) {
        Set<MacAddress> out = new HashSet<>();
        for (Lease l : context.leasesAtStart()) {
            if (!own.test(l)) {
                VxlanPeer p = half.apply(l).peer();
                if (p != null) {
                    out.add(p.vtepMac());
                }
            }
        }
        return out;
    }

    /** The FDB keys entries by MAC: one VtepMAC can point at one public address only, on each device. */
    @Override
    public List<PeerClaim> claims(Lease peer) {
        List<PeerClaim> claims = new ArrayList<>();
        VxlanPeer p = device == null ? null : VxlanPeer.from(peer).peer();
        if (p != null) {
            claims.add(new PeerClaim(PeerRejection.Reason.VTEP_MAC_IN_USE, "VtepMAC " + p.vtepMac(), p.publicIp()));
        }
        VxlanPeer p6 = device6 == null ? null : VxlanPeer.from6(peer).peer();
        if (p6 != null) {
            claims.add(new PeerClaim(PeerRejection.Reason.VTEP_MAC_IN_USE, "IPv6 VtepMAC " + p6.vtepMac(), p6.publicIp()));
        }
        return claims;
    }

    /** The routes through the VXLAN device; DirectRouting's routes via the external interface carry the protocol mark. */
    @Override
    public boolean ownsRoute(Route route) {
        Link l = link;
        Link l6 = link6;
        return (l != null && route.outputIndex() == l.index()) || (l6 != null && route.outputIndex() == l6.index());
    }

    @Override
    public void handle(List<LeaseEvent> batch) {
        PeerReconciler.handleAll(batch, peers, peers6);
    }

    /** Its devices ({@code flannel.<VNI>}, {@code flannel-v6.<VNI>}): their links, addresses, neighbours, FDB and routes. */
    @Override
    public Optional<KernelChanges.Interest> kernelInterest() {
        if (config == null || device == null && device6 == null) {
            return Optional.empty();
        }
        Set<String> devices = device6 == null ? Set.of(device.name()) : device == null ? Set.of(device6.name())
                : Set.of(device.name(), device6.name());
        return Optional.of(HostNetworking.interest(devices, Set.of(), config));
    }

    @Override
    public boolean retryPending() {
        return PeerReconciler.anyFailed(peers, peers6);
    }

    /**
     * Repairs the data path: a deleted or changed device is made again and every peer replayed;
     * a missing peer route is restored; peers that failed are retried. Both devices with IPv6.
     */
    @Override
    public void recheck() {
        if (device != null) {
            recheck4();
        }
        if (device6 != null) {
            recheck6();
        }
    }

    private void recheck4() {
        try {
            Link now = recheckDevice(device, link, peers);
            if (now.index() != link.index()) {
                link = now;
                if (own != null) {
                    device.ensureAddress(nl, link, config.network(), own.subnet());
                }
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

    private void recheck6() {
        try {
            Link now = recheckDevice(device6, link6, peers6);
            if (now.index() != link6.index()) {
                link6 = now;
                Sysctl.acceptRa(device6.name(), 0);
            }
            Optional<Ip6Net> own6 = own == null ? Optional.empty() : own.ipv6Subnet();
            if (own6.isPresent()) {
                InetAddress want = VxlanPeer.address(own6.get().address());
                if (nl.addresses().list(link6).stream().noneMatch(a -> a.address().equals(want) && a.prefixLength() == 128)) {
                    LOG.warn("{} lacks its address {}/128; adding it", device6.name(), Ip6Net.format(own6.get().address()));
                    device6.ensureAddress6(nl, link6, config.ipv6().get().network(), own6.get());
                }
            }
        } catch (NetlinkException e) {
            LOG.error("cannot check the VXLAN device {}: {}", device6.name(), e.getMessage());
            return;
        }
        peers6.recheck();
    }

    /** The device as it is now: made again (and its peers replayed) when deleted or replaced, set up when down. */
    private Link recheckDevice(VxlanDevice d, Link current, PeerReconciler<VxlanPeer> p) {
        Optional<Link> now = nl.links().get(d.name());
        if (now.isEmpty() || now.get().index() != current.index() || d.incompatibility(now.get()).isPresent()) {
            LOG.warn("{} was {} by someone else; recreating it and replaying {} peers", d.name(),
                    now.isEmpty() ? "deleted" : "replaced", p.wanted().size());
            Link made = d.ensure(nl);
            p.replayAll();
            return made;
        }
        if (!now.get().isUp()) {
            LOG.warn("{} was set down by someone else; setting it up", d.name());
            nl.links().setUp(current.index());
        }
        return current;
    }

    /**
     * The VXLAN device's kernel counters as the backend's traffic: what it sent is what was
     * encapsulated towards peers, what it received was decapsulated from them. Peers reached by
     * DirectRouting bypass the device and are not in these numbers. Null while the device is
     * missing (deleted underneath, before {@link #recheck} makes it again).
     */
    private BackendStats deviceStats() {
        Link l = link != null ? link : link6; // IPv6-only: flannel-v6.<VNI> alone
        Optional<LinkStats> read = statsNl.links().stats(l.index());
        if (read.isEmpty()) {
            return null;
        }
        LinkStats s = read.get();
        Link l6 = link != null ? link6 : null;
        Optional<LinkStats> read6 = l6 == null ? Optional.empty() : statsNl.links().stats(l6.index());
        if (read6.isPresent()) {
            // both devices carry the overlay's traffic: one family each
            LinkStats t = read6.get();
            return new BackendStats(s.txPackets() + t.txPackets(), s.txBytes() + t.txBytes(), s.rxPackets() + t.rxPackets(),
                    s.rxBytes() + t.rxBytes(), Map.of("rx-dropped", s.rxDropped() + t.rxDropped(), "tx-dropped", s.txDropped() + t.txDropped()),
                    Map.of("rx", s.rxErrors() + t.rxErrors(), "tx", s.txErrors() + t.txErrors()));
        }
        return new BackendStats(s.txPackets(), s.txBytes(), s.rxPackets(), s.rxBytes(),
                Map.of("rx-dropped", s.rxDropped(), "tx-dropped", s.txDropped()), Map.of("rx", s.rxErrors(), "tx", s.txErrors()));
    }

    /** The peers programmed now (for tests and diagnostics). */
    public int programmedPeers() {
        return PeerReconciler.programmedPeers(peers, peers6);
    }

    /** Leaves device, routes and entries in place: a restarted agent takes them over without a gap in traffic. */
    @Override
    public void close() {
        BackendResources.closeOpened(metrics, statsNl, nl);
        LOG.info("vxlan backend stopped; {} and the routes to {} peers stay for the next run", device == null
                ? device6 == null ? "no device" : device6.name() : device.name() + (device6 == null ? "" : " and " + device6.name()),
                programmedPeers());
    }
}
