package io.javaoverlay.core.backend.hostgw;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.javaoverlay.core.backend.ExternalInterface;
import io.javaoverlay.core.backend.KernelTables;
import io.javaoverlay.core.backend.PeerReconciler;
import io.javaoverlay.core.lease.LeaseId;
import io.javaoverlay.core.netlink.NetlinkException;
import io.javaoverlay.core.netlink.Route;

/**
 * host-gw's routes to its peers in one address family, {@code <peer subnet> via <peer address> dev
 * <external> proto 74}: programming, removal, the clean-up of what an earlier run left and the
 * check for routes someone deleted or changed are the same for both; {@link HostGwRoutes} (IPv4)
 * and {@link HostGw6Routes} (IPv6) say which half of a lease a peer's route comes from and which
 * routes of the kernel's are this backend's.
 *
 * @param <N> the family's subnet type
 * @param <P> one peer's route: its subnet and gateway (a record, whose {@code toString} reads
 *            {@code <subnet> via <gateway>})
 */
abstract class HostGwPaths<N, P extends HostGwPaths.Via<N>> implements PeerReconciler.Paths<P> {

    /** One peer's route. */
    interface Via<N> {
        N subnet();
    }

    private final Logger log = LoggerFactory.getLogger(getClass());
    private final KernelTables kernel;
    final ExternalInterface external;
    /** {@code ""} or {@code "IPv6 "}, for messages. */
    private final String family;
    /** This host's subnet of the family once leased: never a peer's, never stale. */
    final Supplier<Optional<N>> own;

    HostGwPaths(KernelTables kernel, ExternalInterface external, String family, Supplier<Optional<N>> own) {
        this.kernel = kernel;
        this.external = external;
        this.family = family;
        this.own = own;
    }

    /** {@code peer}'s route to its subnet via its gateway, before the device and the mark are added. */
    abstract Route target(P peer);

    /** The family's routes of the main table. */
    abstract List<Route> routes(KernelTables kernel);

    /**
     * The peer route {@code r} is when this backend made it (marked, with a gateway, on the
     * external interface, to a subnet of the overlay network other than this host's); empty else.
     */
    abstract Optional<P> ours(Route r);

    private Route route(P peer) {
        return target(peer).device(external.index()).withProtocol(Route.PROTOCOL_JAVAOVERLAY);
    }

    /**
     * "replace": a route to a subnet another host took over moves to the new gateway; the route
     * to a subnet that changed under the same lease (its IPv6 half) goes first.
     */
    @Override
    public void program(P peer, P before, Map<LeaseId, P> programmed) {
        if (before != null && !before.subnet().equals(peer.subnet())) {
            delete(before);
        }
        kernel.replaceRoute(route(peer));
    }

    @Override
    public void unprogram(P gone, Map<LeaseId, P> remaining) {
        delete(gone);
    }

    private void delete(P peer) {
        try {
            kernel.deleteRoute(route(peer));
        } catch (NetlinkException.NotFound e) {
            // gone already
        } catch (NetlinkException e) {
            log.warn("cannot delete the route to {}: {}", peer, e.getMessage());
        }
    }

    /**
     * Routes into the overlay network through the external interface, with javaoverlay's mark,
     * that no current lease explains. Unmarked routes (an operator's, or flanneld's before a
     * switch to javaoverlay) are left alone: a route of a current peer is taken over (replaced
     * with the mark) when it is programmed, and any other stays until someone deletes it.
     */
    @Override
    public void cleanUpStale(Map<LeaseId, P> wanted) {
        try {
            Set<N> explained = new HashSet<>();
            wanted.values().forEach(p -> explained.add(p.subnet()));
            for (Route r : routes(kernel)) {
                Optional<P> stale = ours(r).filter(p -> !explained.contains(p.subnet()));
                if (stale.isPresent()) {
                    delete(stale.get());
                    log.info("removed stale route {} (no lease for {} any more)", r, stale.get().subnet());
                }
            }
        } catch (NetlinkException e) {
            log.warn("cannot clean up {}routes from an earlier run: {}", family, e.getMessage());
        }
    }

    /** A peer's route that is gone or points elsewhere (flannel checks its routes every 10 s). */
    @Override
    public Map<LeaseId, String> damaged(Map<LeaseId, P> programmed) {
        Map<N, P> present = new HashMap<>();
        for (Route r : routes(kernel)) {
            ours(r).ifPresent(p -> present.put(p.subnet(), p));
        }
        Map<LeaseId, String> damaged = new HashMap<>();
        for (Map.Entry<LeaseId, P> e : programmed.entrySet()) {
            if (!e.getValue().equals(present.get(e.getValue().subnet()))) {
                damaged.put(e.getKey(), "the route to " + e.getValue() + " is missing");
            }
        }
        return damaged;
    }
}
