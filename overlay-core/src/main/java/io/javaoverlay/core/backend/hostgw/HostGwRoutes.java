package io.javaoverlay.core.backend.hostgw;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.javaoverlay.core.backend.ExternalInterface;
import io.javaoverlay.core.backend.KernelTables;
import io.javaoverlay.core.backend.PeerReconciler;
import io.javaoverlay.core.backend.PeerRejection;
import io.javaoverlay.core.config.BackendType;
import io.javaoverlay.core.config.NetworkConfig;
import io.javaoverlay.core.lease.Lease;
import io.javaoverlay.core.lease.LeaseId;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.netlink.NetlinkException;
import io.javaoverlay.core.netlink.Route;

/** host-gw's path to a peer: {@code <peer subnet> via <peer public IP> dev <external> proto 74}. */
final class HostGwRoutes implements PeerReconciler.Paths<HostGwRoutes.Peer> {

    private static final Logger LOG = LoggerFactory.getLogger(HostGwRoutes.class);

    /** One peer: its subnet and its gateway, the peer's public IP. */
    record Peer(Ip4Net subnet, Ip4 gateway) {
        @Override
        public String toString() {
            return subnet + " via " + gateway;
        }
    }

    private final KernelTables kernel;
    private final ExternalInterface external;
    private final NetworkConfig config;
    /** This host's subnet once leased: never a peer's, never stale. */
    private final Supplier<Optional<Ip4Net>> own;

    HostGwRoutes(KernelTables kernel, ExternalInterface external, NetworkConfig config, Supplier<Optional<Ip4Net>> own) {
        this.kernel = kernel;
        this.external = external;
        this.config = config;
        this.own = own;
    }

    /** The lease's BackendType must be host-gw: a route via a VXLAN host's public IP would blackhole its subnet. */
    static Optional<PeerRejection> check(Lease peer) {
        Optional<String> type = peer.attrs().backendType();
        if (type.isEmpty() || !type.get().equals(BackendType.HOST_GW.flannelName())) {
            return Optional.of(new PeerRejection(PeerRejection.Reason.BACKEND_TYPE,
                    "its BackendType is " + type.map(t -> "\"" + t + "\"").orElse("missing") + ", not \"host-gw\""));
        }
        return Optional.empty();
    }

    @Override
    public Optional<Peer> path(Lease lease) {
        Optional<PeerRejection> bad = check(lease);
        if (bad.isPresent()) {
            LOG.warn("ignoring the lease of {} at {}: {}", lease.id(), lease.attrs().publicIp(), bad.get());
            return Optional.empty();
        }
        return Optional.of(new Peer(lease.subnet(), lease.attrs().publicIp()));
    }

    private Route route(Ip4Net subnet, Ip4 gw) {
        return Route.ip4(subnet).via(gw).device(external.index()).withProtocol(Route.PROTOCOL_JAVAOVERLAY);
    }

    @Override
    public void program(Peer peer, Peer before, Map<LeaseId, Peer> programmed) {
        // "replace": a route to a subnet another host took over moves to the new gateway
        kernel.replaceRoute(route(peer.subnet(), peer.gateway()));
    }

    @Override
    public String hint(Peer peer) {
        return " (host-gw needs every host on one L2 segment: is " + peer.gateway() + " directly reachable from "
                + external.name() + "?)";
    }

    @Override
    public void unprogram(Peer gone, Map<LeaseId, Peer> remaining) {
        delete(gone.subnet(), gone.gateway());
    }

    private void delete(Ip4Net subnet, Ip4 gw) {
        try {
            kernel.deleteRoute(route(subnet, gw));
        } catch (NetlinkException.NotFound e) {
            // gone already
        } catch (NetlinkException e) {
            LOG.warn("cannot delete the route to {} via {}: {}", subnet, gw, e.getMessage());
        }
    }

    /**
     * Routes into the overlay network through the external interface, with javaoverlay's mark,
     * that no current lease explains. Unmarked routes (an operator's, or flanneld's before a
     * switch to javaoverlay) are left alone: a route of a current peer is taken over (replaced
     * with the mark) when it is programmed, and any other stays until someone deletes it.
     */
    @Override
    public void cleanUpStale(Map<LeaseId, Peer> wanted) {
        try {
            for (Route r : kernel.routes()) {
                if (isOurs(r) && !wanted.containsKey(LeaseId.of(r.ip4Destination()))) {
                    delete(r.ip4Destination(), r.ip4Gateway());
                    LOG.info("removed stale route {} (no lease for {} any more)", r, r.ip4Destination());
                }
            }
        } catch (NetlinkException e) {
            LOG.warn("cannot clean up routes from an earlier run: {}", e.getMessage());
        }
    }

    private boolean isOurs(Route r) {
        if (r.isDefault() || r.ip4Gateway() == null || r.outputIndex() != external.index()
                || r.protocol() != Route.PROTOCOL_JAVAOVERLAY) {
            return false;
        }
        Ip4Net dst = r.ip4Destination();
        return dst.prefixLength() == config.subnetLen() && config.network().contains(dst)
                && !own.get().map(dst::equals).orElse(false);
    }

    /** A peer's route that is gone or points elsewhere (flannel checks its routes every 10 s). */
    @Override
    public Map<LeaseId, String> damaged(Map<LeaseId, Peer> programmed) {
        Map<Ip4Net, Ip4> present = new HashMap<>();
        for (Route r : kernel.routes()) {
            if (isOurs(r)) {
                present.put(r.ip4Destination(), r.ip4Gateway());
            }
        }
        Map<LeaseId, String> damaged = new HashMap<>();
        for (Peer p : programmed.values()) {
            if (!p.gateway().equals(present.get(p.subnet()))) {
                damaged.put(LeaseId.of(p.subnet()), "the route to " + p + " is missing");
            }
        }
        return damaged;
    }
}
