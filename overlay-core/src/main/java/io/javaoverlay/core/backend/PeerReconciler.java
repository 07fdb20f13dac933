package io.javaoverlay.core.backend;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.javaoverlay.core.lease.Lease;
import io.javaoverlay.core.lease.LeaseEvent;
import io.javaoverlay.core.lease.LeaseId;
import io.javaoverlay.core.netlink.NetlinkException;

/**
 * The peer bookkeeping every route-programming backend needs, once (flannel's
 * {@code route_network.go} plays this part for its route backends): which peers the leases
 * describe ({@code wanted}), which of them are in the kernel as far as we know
 * ({@code programmed}), which failed and are retried on every recheck; the clean-up of what an
 * earlier run left, after the first batch; and the recheck that finds what someone deleted
 * underneath and programs it again. What a peer's path is in the kernel is the backend's
 * {@link Paths}: vxlan's neighbour + FDB entry + onlink route, host-gw's route via the peer.
 *
 * <p>Called from the agent's one thread only, like the backend that owns it.
 *
 * @param <P> a backend's description of one peer's path (a record: equal paths need no reprogramming)
 */
public final class PeerReconciler<P> {

    private static final Logger LOG = LoggerFactory.getLogger(PeerReconciler.class);

    /** Batches larger than this are logged as a summary, their peers one by one at DEBUG. */
    static final int LOG_EACH_PEER_UP_TO = 20;

    /** What one backend programs for a peer. Every method is idempotent: "ensure", not "add". */
    public interface Paths<P> {

        /** The path {@code lease} asks for; empty (after saying why in the log) when this backend cannot use it. */
        Optional<P> path(Lease lease);

        /**
         * Makes the kernel hold {@code peer}'s path; {@code before} is what was programmed for the
         * subnet until now (null when nothing), for what must go first; {@code programmed} are all
         * the peers programmed now (with {@code before}), which may share state.
         *
         * @throws NetlinkException when the kernel refuses: the peer is retried on every recheck
         */
        void program(P peer, P before, Map<LeaseId, P> programmed);

        /**
         * Removes {@code gone}'s path, quietly (what is already gone is the goal; other failures
         * are logged); {@code remaining} are the peers still programmed, which may share state.
         */
        void unprogram(P gone, Map<LeaseId, P> remaining);

        /** Removes what an earlier run left for subnets no lease explains any more. */
        void cleanUpStale(Map<LeaseId, P> wanted);

        /**
         * The programmed peers whose kernel state someone removed or changed, each with what is
         * wrong ({@code the route to 10.5.3.0/24 via 192.168.1.3 is missing}).
         *
         * @throws NetlinkException when the kernel cannot be read: nothing is repaired this time
         */
        Map<LeaseId, String> damaged(Map<LeaseId, P> programmed);

        /** Words for the log when programming {@code peer} failed: what to check. Empty by default. */
        default String hint(P peer) {
            return "";
        }
    }

    private final Paths<P> paths;
    private final Map<LeaseId, P> wanted = new HashMap<>();
    private final Map<LeaseId, P> programmed = new HashMap<>();
    private final Set<LeaseId> failed = new LinkedHashSet<>();
    private boolean staleCleaned;

    public PeerReconciler(Paths<P> paths) {
        this.paths = paths;
    }

    /** Applies a batch of lease events, in order; the first batch also cleans up what an earlier run left. */
    public void handle(List<LeaseEvent> batch) {
        long start = System.nanoTime();
        boolean each = batch.size() <= LOG_EACH_PEER_UP_TO;
        int added = 0;
        int removed = 0;
        for (LeaseEvent e : batch) {
            LeaseId subnet = e.lease().id();
            if (e instanceof LeaseEvent.Removed) {
                P gone = wanted.remove(subnet);
                if (gone != null) {
                    removed++;
                    log(each, "peer removed: {}", gone);
                }
                forget(subnet);
                continue;
            }
            Optional<P> path = paths.path(e.lease());
            if (path.isEmpty()) {
                wanted.remove(subnet);
                forget(subnet);
                continue;
            }
            wanted.put(subnet, path.get());
            added++;
            log(each, e instanceof LeaseEvent.Added ? "peer added: {}" : "peer changed: {}", path.get());
            program(subnet, path.get());
        }
        if (!each) {
            LOG.info("applied {} peer events in {} ms: {} added or changed, {} removed; {} peers", batch.size(),
                    (System.nanoTime() - start) / 1_000_000, added, removed, wanted.size());
        }
        if (!staleCleaned) {
            staleCleaned = true;
            paths.cleanUpStale(Collections.unmodifiableMap(wanted));
        }
    }

    private void forget(LeaseId subnet) {
        failed.remove(subnet);
        P before = programmed.remove(subnet);
        if (before != null) {
            paths.unprogram(before, Collections.unmodifiableMap(programmed));
        }
    }

    private void program(LeaseId subnet, P peer) {
        P before = programmed.get(subnet);
        if (peer.equals(before)) {
            failed.remove(subnet);
            return;
        }
        try {
            paths.program(peer, before, Collections.unmodifiableMap(programmed));
            programmed.put(subnet, peer);
            failed.remove(subnet);
        } catch (NetlinkException e) {
            programmed.remove(subnet);
            if (failed.add(subnet)) {
                LOG.error("cannot program the path to peer {}: {}{}; retrying every recheck", peer, e.getMessage(), paths.hint(peer));
            }
        }
    }

    /**
     * Finds programmed peers whose state someone removed and programs them again, and retries
     * every peer that failed.
     */
    public void recheck() {
        try {
            for (Map.Entry<LeaseId, String> d : paths.damaged(Collections.unmodifiableMap(programmed)).entrySet()) {
                if (programmed.remove(d.getKey()) != null) {
                    LOG.warn("{}; restoring it", d.getValue());
                    failed.add(d.getKey());
                }
            }
        } catch (NetlinkException e) {
            LOG.error("cannot check the paths to the peers: {}", e.getMessage());
        }
        if (failed.isEmpty()) {
            return;
        }
        for (LeaseId subnet : new ArrayList<>(failed)) {
            P p = wanted.get(subnet);
            if (p == null) {
                failed.remove(subnet);
            } else {
                program(subnet, p);
            }
        }
        if (failed.isEmpty()) {
            LOG.info("every peer is programmed again");
        }
    }

    /** The kernel lost everything (a device made again): every peer is programmed again on the next {@link #recheck}. */
    public void replayAll() {
        programmed.clear();
        failed.addAll(wanted.keySet());
    }

    /** Every usable peer the leases describe. */
    public Map<LeaseId, P> wanted() {
        return Collections.unmodifiableMap(wanted);
    }

    /** The peers in the kernel now, as far as this reconciler knows. */
    public Map<LeaseId, P> programmed() {
        return Collections.unmodifiableMap(programmed);
    }

    /**
     * Applies {@code batch} to each of {@code reconcilers} in turn (null ones are skipped: a family
     * not in use), for a backend with one reconciler per address family.
     */
    public static void handleAll(List<LeaseEvent> batch, PeerReconciler<?>... reconcilers) {
        for (PeerReconciler<?> r : reconcilers) {
            if (r != null) {
                r.handle(batch);
            }
        }
    }

    /** Runs {@link #recheck} on each of {@code reconcilers} in turn (null ones are skipped: a family not in use). */
    public static void recheckAll(PeerReconciler<?>... reconcilers) {
        for (PeerReconciler<?> r : reconcilers) {
            if (r != null) {
                r.recheck();
            }
        }
    }

    /**
     * How many peers the first of {@code reconcilers} in use has programmed (the IPv4 one, or the
     * IPv6 one of an IPv6-only network): 0 when none is in use.
     */
    public static int programmedPeers(PeerReconciler<?>... reconcilers) {
        for (PeerReconciler<?> r : reconcilers) {
            if (r != null) {
                return r.programmed.size();
            }
        }
        return 0;
    }

    /** Whether any of {@code reconcilers} (null ones are skipped: a family not in use) has a peer waiting to be retried. */
    public static boolean anyFailed(PeerReconciler<?>... reconcilers) {
        for (PeerReconciler<?> r : reconcilers) {
            if (r != null && !r.failed.isEmpty()) {
                return true;
            }
        }
        return false;
    }

    /** The peers whose programming failed, retried on every recheck. */
    public Set<LeaseId> failed() {
        return Collections.unmodifiableSet(failed);
    }

    private static void log(boolean info, String format, Object a) {
        if (info) {
            LOG.info(format, a);
        } else {
            LOG.debug(format, a);
        }
    }
}
