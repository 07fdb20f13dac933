package io.javaoverlay.core.agent;

import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.javaoverlay.core.lease.KeyRead;
import io.javaoverlay.core.lease.Lease;
import io.javaoverlay.core.lease.LeaseAttrs;
import io.javaoverlay.core.lease.LeaseException;
import io.javaoverlay.core.lease.SubnetManager;
import io.javaoverlay.core.metrics.OverlayMetrics;

/**
 * Keeps this host's lease in the store, whatever happened to the store: flannel checks its
 * lease only when renewing it (23 h apart by default), so a store rebuilt empty, restored from a
 * backup or edited by hand goes unnoticed, and the next host to join may take a live host's
 * subnet. The agent runs {@link #check} every few seconds and whenever the watch says its key
 * went:
 *
 * <ul>
 *   <li>the key is gone: it is created again, with the same subnet and attributes, at once;</li>
 *   <li>the key holds this host's public IP with other attributes (an old value from a backup):
 *       this host's attributes are written back;</li>
 *   <li>the key holds another host's public IP: another host took the subnet (this host was cut
 *       off longer than the lease TTL, or the store was restored to before it joined). It is
 *       never overwritten: {@link Result#takenBy} tells the agent, which gives the subnet up;</li>
 *   <li>the store's revision went back, or its cluster ID changed: its history is not the one the
 *       agent watched, so {@link Result#historyChanged} tells the agent to list the peers again.</li>
 * </ul>
 *
 * Not thread-safe: the agent's event loop owns it.
 */
final class OwnLeaseGuard {

    private static final Logger LOG = LoggerFactory.getLogger(OwnLeaseGuard.class);

    /** What a check found and did; {@code lease} is this host's lease now (a new one after a re-assertion). */
    record Result(Lease lease, Optional<Lease> takenBy, Optional<String> historyChanged) {}

    private final OverlayMetrics metrics;
    private final SubnetManager sm;
    private LeaseAttrs attrs;
    private Lease own;
    private long lastRevision;
    private String storeId;
    private boolean deletionSeen;
    private final StoreEvents events;

    /** @param seenRevision the revision the agent's view of the store is from (its first listing) */
    OwnLeaseGuard(SubnetManager sm, Lease own, LeaseAttrs attrs, long seenRevision, StoreEvents events, OverlayMetrics metrics) {
        this.metrics = metrics;
        this.sm = sm;
        this.events = events;
        this.own = own;
        this.attrs = attrs;
        this.lastRevision = seenRevision;
    }

    /**
     * This host publishes {@code next} from now on (a new VTEP MAC): written to its key at once
     * and by every later check.
     *
     * @throws LeaseException when the store cannot take it now (the next check writes it)
     */
    void republish(LeaseAttrs next) {
        attrs = next;
        own = sm.store().update(own, next, sm.ttl());
        LOG.info("lease {} now publishes {}", own.id(), next);
    }

    /** The watch saw this host's key deleted: the next check finds it gone without the store's history having changed. */
    void deletionSeen() {
        deletionSeen = true;
    }

    /** The agent renewed or otherwise replaced its lease. */
    void renewed(Lease lease) {
        own = lease;
    }

    /**
     * Why the store is not the one the agent watched, if it is not: another cluster ID, a revision
     * lower than the last seen, or this host's key gone without a deletion the watch saw (the mark
     * of a rebuilt store even where revision and cluster ID look the same: etcd derives the ID
     * from its members' URLs). Remembers where the store stands now for the next check.
     */
    private Optional<String> historyChange(KeyRead r) {
        Optional<String> why = Optional.empty();
        if (storeId != null && !storeId.isEmpty() && !r.storeId().equals(storeId)) {
            why = Optional.of("its cluster ID changed from " + storeId + " to " + r.storeId());
        } else if (r.revision() < lastRevision) {
            why = Optional.of("its revision went back from " + lastRevision + " to " + r.revision());
        } else if (r.lease().isEmpty() && !deletionSeen) {
            why = Optional.of("this host's key was gone without a deletion the watch saw");
        }
        storeId = r.storeId();
        lastRevision = r.revision();
        deletionSeen = false;
        return why;
    }

    /**
     * Reads this host's key and puts right what it can.
     *
     * @throws LeaseException.StoreUnavailableException when the store cannot be reached (try again later)
     */
    Result check() {
        KeyRead r = sm.store().read(own.id());
        Optional<String> history = historyChange(r);
        history.ifPresent(h -> {
            events.add("the store's history changed (" + h + "): peers listed again");
            LOG.warn("the lease store's history changed under this agent ({}): it was rebuilt or restored;"
                    + " checking this host's lease and listing the peers again", h);
        });
        if (r.lease().isEmpty()) {
            try {
                own = putBack();
            } catch (LeaseException.SubnetTakenException e) {
                // someone created it between the read and now: the next check says who
                LOG.warn("lease {} was gone, and was taken again before it could be put back; checking who holds it", own.id());
                Result again = check();
                return history.isEmpty() ? again : new Result(again.lease(), again.takenBy(), history);
            }
            metrics.leaseReasserted();
            events.add("lease " + own.id() + " was gone from the store: put it back");
            LOG.warn("lease {} was gone from {}; put it back (same subnet, same attributes)", own.id(), sm.store().describe());
            return new Result(own, Optional.empty(), history);
        }
        Lease there = r.lease().get();
        if (!holder(there.attrs()).equals(holder(attrs))) {
            metrics.leaseConflict();
            return new Result(own, Optional.of(there), history);
        }
        if (!there.ipv6Subnet().equals(own.ipv6Subnet())) {
            // this host's public IP under another key form (an IPv4-only key, another IPv6 half): its own key goes back
            LOG.warn("lease {} is in the store as {}, not {}; putting this host's key back", own.id(), there.keyName(), own.keyName());
            sm.store().delete(own.subnet());
            own = sm.store().create(own.subnet(), own.ipv6Subnet(), attrs, sm.ttl());
            metrics.leaseReasserted();
            events.add("lease " + own.id() + " was in the store as " + there.keyName() + ": put " + own.keyName() + " back");
            return new Result(own, Optional.empty(), history);
        }
        if (!there.attrs().equals(attrs)) {
            LOG.warn("lease {} holds attributes this host does not publish ({}); writing back its own ({})", own.id(),
                    there.attrs(), attrs);
            own = sm.store().update(there, attrs, sm.ttl());
            metrics.leaseReasserted();
            events.add("lease " + own.id() + " held other attributes: wrote this host's back");
        }
        return new Result(own, Optional.empty(), history);
    }

    /** This host's key created again as it was: a dual-stack key keeps its IPv6 half, an IPv6-only lease stays one. */
    private Lease putBack() {
        return own.isIpv6Only() ? sm.store().createIpv6Only(own.ipv6Subnet().get(), attrs, sm.ttl())
                : sm.store().create(own.subnet(), own.ipv6Subnet(), attrs, sm.ttl());
    }

    /**
     * Which host a lease value is: its PublicIP, or an IPv6-only lease's PublicIPv6 (its PublicIP is
     * flannel's zero address on every host).
     */
    private Object holder(LeaseAttrs a) {
        return own.isIpv6Only() ? a.publicIpv6().orElse("") : a.publicIp();
    }
}
