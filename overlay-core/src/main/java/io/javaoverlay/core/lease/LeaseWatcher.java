package io.javaoverlay.core.lease;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.javaoverlay.core.net.Ip4Net;

/**
 * Turns key events and snapshots into peer events: remembers every other host's lease, so that a
 * deletion is reported with the peer's last attributes, a re-write with the same attributes (a
 * flannel peer renewing) is not reported at all, and a snapshot after a compaction is reported
 * as the difference from what was known. This host's own subnet is never a peer; what happens
 * to it is reported through {@link #ownLease()} and {@link #ownLeaseRemoved()}.
 *
 * <p>Not thread-safe: one watch thread feeds it.
 */
public final class LeaseWatcher {

    private final LeaseId own;
    private final Map<LeaseId, Lease> peers = new HashMap<>();
    private Lease ownLease;
    private boolean ownRemoved;

    public LeaseWatcher(Ip4Net own) {
        this(LeaseId.of(own));
    }

    /** For this host's lease named by {@code own} (an IPv6-only lease by its IPv6 subnet). */
    public LeaseWatcher(LeaseId own) {
        this.own = own;
    }

    /** Replaces what is known by a full listing; returns the difference as events. */
    public List<LeaseEvent> reset(Collection<Lease> snapshot) {
        List<LeaseEvent> batch = new ArrayList<>();
        Map<LeaseId, Lease> next = new HashMap<>();
        boolean ownSeen = false;
        for (Lease l : snapshot) {
            if (l.id().equals(own)) {
                ownSeen = true;
                ownLease = l;
                continue;
            }
            next.put(l.id(), l);
            Lease old = peers.get(l.id());
            if (old == null) {
                batch.add(new LeaseEvent.Added(l));
            } else if (!old.attrs().equals(l.attrs())) {
                batch.add(new LeaseEvent.Changed(old, l));
            }
        }
        for (Lease old : peers.values()) {
            if (!next.containsKey(old.id())) {
                batch.add(new LeaseEvent.Removed(old));
            }
        }
        peers.clear();
        peers.putAll(next);
        if (!ownSeen) {
            ownRemoved = true;
        }
        return batch;
    }

    /** Applies key events in order; returns the peer events they amount to. */
    public List<LeaseEvent> update(List<LeaseStore.KeyEvent> events) {
        List<LeaseEvent> batch = new ArrayList<>();
        for (LeaseStore.KeyEvent e : events) {
            if (e.id().equals(own)) {
                if (e instanceof LeaseStore.KeyEvent.Put p) {
                    ownLease = p.lease();
                    ownRemoved = false;
                } else {
                    ownRemoved = true;
                }
                continue;
            }
            if (e instanceof LeaseStore.KeyEvent.Put p) {
                Lease old = peers.put(p.lease().id(), p.lease());
                if (old == null) {
                    batch.add(new LeaseEvent.Added(p.lease()));
                } else if (!old.attrs().equals(p.lease().attrs())) {
                    batch.add(new LeaseEvent.Changed(old, p.lease()));
                }
            } else {
                Lease old = peers.remove(e.id());
                if (old != null) {
                    batch.add(new LeaseEvent.Removed(old));
                }
            }
        }
        return batch;
    }

    /** This host's lease as last seen in the store. */
    public Optional<Lease> ownLease() {
        return Optional.ofNullable(ownLease);
    }

    /** Whether this host's lease key has disappeared from the store. */
    public boolean ownLeaseRemoved() {
        return ownRemoved;
    }

    /** The peers known now. */
    public Map<LeaseId, Lease> peers() {
        return Collections.unmodifiableMap(peers);
    }
}
