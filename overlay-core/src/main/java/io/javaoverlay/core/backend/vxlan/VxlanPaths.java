package io.javaoverlay.core.backend.vxlan;

import java.net.InetAddress;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.javaoverlay.core.backend.ExternalInterface;
import io.javaoverlay.core.backend.KernelTables;
import io.javaoverlay.core.backend.PeerReconciler;
import io.javaoverlay.core.config.NetworkConfig;
import io.javaoverlay.core.lease.Lease;
import io.javaoverlay.core.lease.LeaseId;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.MacAddress;
import io.javaoverlay.core.netlink.FdbEntry;
import io.javaoverlay.core.netlink.Neighbour;
import io.javaoverlay.core.netlink.NetlinkException;
import io.javaoverlay.core.netlink.Route;

/**
 * vxlan's path to a peer on one of its devices: a neighbour entry (VTEP address -> VTEP MAC), an
 * FDB entry (VTEP MAC -> public address) and an onlink route through the VXLAN device; with
 * DirectRouting, to a peer on the same L2 network, a plain route via its public address instead.
 * The same for {@code flannel.<VNI>} and {@code flannel-v6.<VNI>}; what differs is the
 * {@link VxlanFamily}.
 */
final class VxlanPaths implements PeerReconciler.Paths<VxlanPeer> {

    private static final Logger LOG = LoggerFactory.getLogger(VxlanPaths.class);

    private final KernelTables kernel;
    /** The VXLAN device's index: it changes when the device is made again. */
    private final IntSupplier device;
    private final ExternalInterface external;
    private final VxlanFamily family;

    /** The IPv4 device's paths ({@code externalNetworks}: the external interface's networks with DirectRouting on, else none). */
    VxlanPaths(KernelTables kernel, IntSupplier device, ExternalInterface external, NetworkConfig config,
               List<Ip4Net> externalNetworks, Supplier<Optional<Ip4Net>> own) {
        this(kernel, device, external, VxlanFamily.ipv4(config.network(), externalNetworks, own));
    }

    VxlanPaths(KernelTables kernel, IntSupplier device, ExternalInterface external, VxlanFamily family) {
        this.kernel = kernel;
        this.device = device;
        this.external = external;
        this.family = family;
    }

    @Override
    public Optional<VxlanPeer> path(Lease lease) {
        VxlanPeer.Result r = family.peer(lease);
        if (r.peer() == null) {
            if (r.problem() != null) {
                LOG.warn("ignoring the lease of {} at {} ({}): {}", lease.id(), lease.isIpv6Only() ? lease.attrs().publicIpv6().orElse("?") : lease.attrs().publicIp(), family.label(), r.problem());
            }
            return Optional.empty();
        }
        return Optional.of(r.peer().withDirect(family.onSameL2(r.peer().publicIp())));
    }

    /**
     * The neighbour entry, the FDB entry, then the route; the route last, because the moment it
     * exists the kernel sends through it, and without the neighbour entry it would try to ARP (or
     * solicit) for the VTEP across a device that cannot answer. Everything is "replace": idempotent.
     */
    @Override
    public void program(VxlanPeer peer, VxlanPeer before, Map<LeaseId, VxlanPeer> programmed) {
        if (before != null && !before.direct() && (peer.direct() || !before.vtepMac().equals(peer.vtepMac())
                || !before.publicIp().equals(peer.publicIp()))) {
            // the old VTEP's FDB entry would otherwise stay (entries are keyed by MAC)
            deleteFdbUnlessShared(before, programmed);
            if (peer.direct()) {
                deleteQuietly(() -> kernel.deleteNeighbour(neighbour(before)));
            }
        }
        if (before != null && !before.destination().equals(peer.destination())) {
            // the lease's subnet on this device moved (an IPv6 half rewritten): its old route and entry go
            unprogram(before, programmed);
        }
        if (peer.direct()) {
            kernel.replaceRoute(directRoute(peer));
        } else {
            kernel.replaceNeighbour(neighbour(peer));
            kernel.replaceFdb(family.fdb(device.getAsInt(), peer.vtepMac(), peer.publicIp()));
            kernel.replaceRoute(vxlanRoute(peer));
        }
    }

    /** The route first, so nothing routes into a half-removed path. */
    @Override
    public void unprogram(VxlanPeer gone, Map<LeaseId, VxlanPeer> remaining) {
        deleteQuietly(() -> kernel.deleteRoute(gone.direct() ? directRoute(gone) : vxlanRoute(gone)));
        if (!gone.direct()) {
            deleteQuietly(() -> kernel.deleteNeighbour(neighbour(gone)));
            deleteFdbUnlessShared(gone, remaining);
        }
    }

    /**
     * Deletes the FDB entry of a peer that is going unless another programmed peer has the same
     * (VtepMAC, public address): two leases of one machine share the entry, and the survivor needs it.
     */
    private void deleteFdbUnlessShared(VxlanPeer gone, Map<LeaseId, VxlanPeer> remaining) {
        for (VxlanPeer p : remaining.values()) {
            if (!p.direct() && !p.lease().equals(gone.lease()) && p.vtepMac().equals(gone.vtepMac())
                    && p.publicIp().equals(gone.publicIp())) {
                return;
            }
        }
        deleteQuietly(() -> kernel.deleteFdb(family.fdb(device.getAsInt(), gone.vtepMac(), gone.publicIp())));
    }

    private Neighbour neighbour(VxlanPeer peer) {
        return Neighbour.permanent(device.getAsInt(), peer.vtep(), peer.vtepMac());
    }

    /** {@code <peer subnet> via <peer VTEP address> dev flannel.N onlink}: the gateway is the peer's VTEP address. */
    private Route vxlanRoute(VxlanPeer peer) {
        return Route.to(peer.vtep(), peer.prefixLength()).via(peer.vtep()).device(device.getAsInt()).withOnlink()
                .withProtocol(Route.PROTOCOL_JAVAOVERLAY);
    }

    private Route directRoute(VxlanPeer peer) {
        return Route.to(peer.vtep(), peer.prefixLength()).via(peer.publicIp()).device(external.index())
                .withProtocol(Route.PROTOCOL_JAVAOVERLAY);
    }

    private static void deleteQuietly(Runnable delete) {
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
    @Override
    public void cleanUpStale(Map<LeaseId, VxlanPeer> wanted) {
        Set<String> peerSubnets = new HashSet<>();
        Set<InetAddress> peerVteps = new HashSet<>();
        Set<MacAddress> peerMacs = new HashSet<>();
        for (VxlanPeer p : wanted.values()) {
            peerSubnets.add(p.destination());
            peerVteps.add(p.vtep());
            peerMacs.add(p.vtepMac());
        }
        int link = device.getAsInt();
        int removed = 0;
        try {
            for (Route r : family.routes(kernel)) {
                if (r.isDefault() || r.gateway() == null) {
                    continue;
                }
                // through the external interface only what carries our mark: an operator's route there stays
                boolean ours = r.outputIndex() == link
                        || (r.outputIndex() == external.index() && r.protocol() == Route.PROTOCOL_JAVAOVERLAY);
                String dst = VxlanPeer.prefix(r.destination(), r.prefixLength());
                if (ours && family.isPeerDestination(r.destination(), r.prefixLength()) && !peerSubnets.contains(dst)) {
                    deleteQuietly(() -> kernel.deleteRoute(r));
                    LOG.info("removed stale route {} (no lease for {} any more)", r, dst);
                    removed++;
                }
            }
            for (Neighbour n : family.neighbours(kernel, link)) {
                if (n.isPermanent() && !peerVteps.contains(n.address())) {
                    deleteQuietly(() -> kernel.deleteNeighbour(n));
                    removed++;
                }
            }
            for (FdbEntry f : kernel.fdb(link)) {
                if (f.remote() != null && !peerMacs.contains(f.mac())) {
                    deleteQuietly(() -> kernel.deleteFdb(f));
                    removed++;
                }
            }
        } catch (NetlinkException e) {
            LOG.warn("cannot clean up {} state from an earlier run: {}", family.label(), e.getMessage());
        }
        if (removed > 0) {
            LOG.info("removed {} stale {} routes, neighbour and FDB entries left from an earlier run", removed, family.label());
        }
    }

    /**
     * A route, neighbour or FDB entry someone deleted (ip route flush, ip neigh flush, bridge fdb
     * del, or a peer sharing the entry that went away) leaves the peer unreachable.
     */
    @Override
    public Map<LeaseId, String> damaged(Map<LeaseId, VxlanPeer> programmed) {
        int link = device.getAsInt();
        Set<String> routed = new HashSet<>();
        for (Route r : family.routes(kernel)) {
            if (!r.isDefault() && (r.outputIndex() == link || r.outputIndex() == external.index())) {
                routed.add(VxlanPeer.prefix(r.destination(), r.prefixLength()));
            }
        }
        Set<InetAddress> neighbours = new HashSet<>();
        for (Neighbour n : family.neighbours(kernel, link)) {
            if (n.isPermanent()) {
                neighbours.add(n.address());
            }
        }
        Set<String> fdb = new HashSet<>();
        for (FdbEntry f : kernel.fdb(link)) {
            if (f.remote() != null) {
                fdb.add(f.mac() + " " + f.remote().getHostAddress());
            }
        }
        Map<LeaseId, String> damaged = new HashMap<>();
        for (VxlanPeer p : programmed.values()) {
            String missing = !routed.contains(p.destination()) ? "route"
                    : p.direct() ? null
                    : !neighbours.contains(p.vtep()) ? "neighbour entry"
                    : !fdb.contains(p.vtepMac() + " " + p.publicIp().getHostAddress()) ? "FDB entry" : null;
            if (missing != null) {
                damaged.put(p.lease(), "the " + missing + " of peer " + p + " disappeared");
            }
        }
        return damaged;
    }
}
