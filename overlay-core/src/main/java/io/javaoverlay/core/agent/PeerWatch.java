package io.javaoverlay.core.agent;

import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.javaoverlay.core.lease.Lease;
import io.javaoverlay.core.lease.LeaseEvent;
import io.javaoverlay.core.lease.LeaseId;
import io.javaoverlay.core.lease.LeaseException;
import io.javaoverlay.core.lease.LeaseSnapshot;
import io.javaoverlay.core.lease.SubnetManager;
import io.javaoverlay.core.metrics.OverlayMetrics;
import io.javaoverlay.core.net.Ip4;

/**
 * The agent's watch of the other hosts' leases, and what it does when the store turns out not to
 * be the one it watched ({@link OwnLeaseGuard} says so: rebuilt empty, restored from a backup).
 *
 * <p>Then the watch starts again from a fresh listing. Peers the listing lacks are not removed at
 * once: after a store was rebuilt every host puts its own lease back within a guard interval, and
 * withdrawing their routes meanwhile would cut traffic that never needed to stop. Those still
 * missing after {@link #RELIST_GRACE} are removed then. A lease with this host's public IP on
 * another subnet (a backup from before it moved) is this host's own and is deleted, so that no
 * host holds two keys.
 *
 * <p>Not thread-safe: the agent's event loop owns it; the watch's events reach the agent through
 * the listener it was given.
 */
final class PeerWatch implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PeerWatch.class);

    /** How long peers missing from a relisting are kept: two guard intervals and some, for their hosts to put their leases back. */
    static final Duration RELIST_GRACE = Duration.ofSeconds(15);

    private final SubnetManager sm;
    private final LeaseId own;
    private final Ip4 publicIp;
    private final StoreEvents events;
    private final SubnetManager.WatchListener listener;
    private final Duration grace;
    private final OverlayMetrics metrics;
    private AutoCloseable watch;
    /** When peers missing from a relisting are removed, if they are still missing; null when none is due. */
    private Instant reconcileAt;
    /** The store's history changed but it could not be listed again yet: the next guard does it. */
    private boolean relistPending;

    /** For this host's lease named by {@code own}; an IPv6-only one has no public IP of its own ({@code publicIp} is unused). */
    PeerWatch(SubnetManager sm, LeaseId own, Ip4 publicIp, StoreEvents events, SubnetManager.WatchListener listener,
            OverlayMetrics metrics) {
        this(sm, own, publicIp, events, listener, RELIST_GRACE, metrics);
    }

    /** @param grace how long peers missing from a relisting are kept ({@link #RELIST_GRACE}) */
    PeerWatch(SubnetManager sm, LeaseId own, Ip4 publicIp, StoreEvents events, SubnetManager.WatchListener listener,
            Duration grace, OverlayMetrics metrics) {
        this.grace = grace;
        this.metrics = metrics;
        this.sm = sm;
        this.own = own;
        this.publicIp = publicIp;
        this.events = events;
        this.listener = listener;
    }

    /** Watches from {@code snapshot}: its peers first (as one batch), then every change. */
    void start(LeaseSnapshot snapshot) {
        watch = sm.watchPeers(own, snapshot, listener);
    }

    /**
     * Called after every guard check: lists the leases again when the store's history changed
     * (or a relisting is still owed), and returns the peers to remove when a relisting's grace
     * has passed and they are still not in the store.
     *
     * @param known every lease the agent knows now (programmed or rejected)
     */
    List<LeaseEvent> afterGuard(boolean historyChanged, Supplier<List<Lease>> known) {
        if (historyChanged || relistPending) {
            relistPending = !relist();
            return List.of();
        }
        if (reconcileAt != null && !Instant.now().isBefore(reconcileAt)) {
            return reconcile(known.get());
        }
        return List.of();
    }

    private boolean relist() {
        Optional<LeaseSnapshot> listed = list("list the leases again");
        if (listed.isEmpty()) {
            return false; // the next guard tries again
        }
        LeaseSnapshot snapshot = listed.get();
        closeWatch();
        metrics.watchResynced("history-changed");
        start(snapshot);
        reconcileAt = Instant.now().plus(grace);
        deleteStaleOwnLeases(snapshot);
        LOG.info("listed {} leases again after the store's history changed; peers it lacks are kept for {} while their hosts"
                + " put their leases back", snapshot.leases().size(), grace);
        return true;
    }

    private List<LeaseEvent> reconcile(List<Lease> known) {
        Optional<LeaseSnapshot> snapshot = list("list the leases to reconcile");
        if (snapshot.isEmpty()) {
            return List.of();
        }
        reconcileAt = null;
        Set<LeaseId> listed = new HashSet<>();
        snapshot.get().leases().forEach(l -> listed.add(l.id()));
        List<LeaseEvent> gone = known.stream().filter(l -> !listed.contains(l.id())).<LeaseEvent>map(LeaseEvent.Removed::new).toList();
        if (!gone.isEmpty()) {
            LOG.info("{} peers did not come back to the store after its history changed; removing them", gone.size());
            events.add(gone.size() + " peers did not come back after the store's history changed; removed");
        }
        return gone;
    }

    private void deleteStaleOwnLeases(LeaseSnapshot snapshot) {
        if (own.ipv4().isEmpty()) {
            return; // IPv6-only: the Kubernetes subnet manager's, whose leases are nodes' podCIDRs and are never deleted
        }
        for (Lease l : snapshot.leases()) {
            if (!l.isIpv6Only() && l.attrs().publicIp().equals(publicIp) && !l.id().equals(own) && !l.reservation()) {
                try {
                    sm.store().delete(l.subnet());
                    LOG.warn("deleted lease {}: it has this host's public IP {} but this host holds {} now", l.subnet(), publicIp, own);
                    events.add("deleted the stale lease " + l.subnet() + " with this host's public IP");
                } catch (LeaseException e) {
                    LOG.warn("cannot delete the stale lease {} with this host's public IP yet: {}", l.subnet(), e.getMessage());
                }
            }
        }
    }

    /** Every lease, or empty (said at WARN) when the store cannot be reached now: the next guard tries again. */
    private Optional<LeaseSnapshot> list(String what) {
        try {
            return Optional.of(sm.leases());
        } catch (LeaseException.StoreUnavailableException e) {
            LOG.warn("cannot {} yet: {}", what, e.getMessage());
            return Optional.empty();
        }
    }

    private void closeWatch() {
        if (watch == null) {
            return;
        }
        try {
            watch.close();
        } catch (Exception e) {
            LOG.warn("closing the lease watch failed: {}", e.toString());
        }
        watch = null;
    }

    @Override
    public void close() {
        closeWatch();
    }
}
