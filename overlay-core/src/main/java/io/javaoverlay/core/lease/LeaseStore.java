package io.javaoverlay.core.lease;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.Ip6Net;

/**
 * The small registry under the {@link SubnetManager}: create, read, update, delete and watch
 * lease keys, plus the network config key. Two implementations: {@link EtcdLeaseStore}
 * (flannel's layout in etcd) and {@link DiskLeaseStore} (the embedded default).
 *
 * <p>Every method may throw {@link LeaseException.StoreUnavailableException} when the store
 * cannot be reached.
 */
public interface LeaseStore extends AutoCloseable {

    /** The network config JSON as stored, or empty when none is set. */
    Optional<String> readNetworkConfig();

    /** Stores a network config JSON text (validated by the caller). */
    void writeNetworkConfig(String json);

    /** Where the network config lives, for messages: {@code /coreos.com/network/config in etcd at ...}. */
    String networkConfigLocation();

    /** Every lease, in one read (no per-lease round trips), with the revision to watch from. */
    LeaseSnapshot list();

    /** One lease by subnet. */
    Optional<Lease> get(Ip4Net subnet);

    /** One lease by subnet, with the store's revision and history identity ({@link KeyRead}): what the agent guards its lease with. */
    default KeyRead read(Ip4Net subnet) {
        return new KeyRead(get(subnet), list().revision(), "");
    }

    /**
     * The same for the lease named by {@code id}: an IPv4 (or dual-stack) lease by its IPv4 subnet,
     * an IPv6-only one by its IPv6 subnet (only a store that {@link #holdsIpv6OnlyLeases holds}
     * those finds one; by default it is looked for in a listing).
     */
    default KeyRead read(LeaseId id) {
        if (id.ipv4().isPresent()) {
            return read(id.ipv4().get());
        }
        LeaseSnapshot all = list();
        return new KeyRead(all.leases().stream().filter(l -> l.id().equals(id)).findFirst(), all.revision(), "");
    }

    /**
     * Creates a lease only if the key does not exist, atomically.
     *
     * @throws LeaseException.SubnetTakenException when the key exists
     */
    Lease create(Ip4Net subnet, LeaseAttrs attrs, Duration ttl);

    /**
     * Creates a dual-stack lease, keyed as flannel keys it ({@code 10.5.1.0-24&fc00:0:0:1::-64}),
     * only if no key holds {@code subnet} yet. Stores that cannot hold an IPv6 half refuse one.
     *
     * @throws LeaseException.SubnetTakenException when a key for {@code subnet} exists
     */
    default Lease create(Ip4Net subnet, Optional<Ip6Net> ipv6Subnet, LeaseAttrs attrs, Duration ttl) {
        if (ipv6Subnet.isPresent()) {
            throw new LeaseException(describe() + " cannot hold dual-stack leases (IPv6 subnet " + ipv6Subnet.get()
                    + "): use etcd or the embedded store, or set EnableIPv6 to false");
        }
        return create(subnet, attrs, ttl);
    }

    /**
     * Overwrites an existing lease's attributes (reusing this host's lease). A reservation stays a
     * reservation ({@code existing.reservation()}); otherwise the lease gets a fresh {@code ttl}.
     */
    Lease update(Lease existing, LeaseAttrs attrs, Duration ttl);

    /**
     * Extends this host's lease by {@code ttl} (etcd: the lease's own TTL, via a keep-alive).
     *
     * @throws LeaseException.LeaseLostException when the key is gone
     */
    Lease renew(Lease own, Duration ttl);

    /** Deletes the lease key of {@code subnet}, with or without an IPv6 half; deleting an absent key succeeds. */
    void delete(Ip4Net subnet);

    /**
     * Watches the lease keys for changes after {@code start}; events arrive on a store thread, in
     * order, until the returned handle is closed. Disconnections are retried with backoff; when
     * the store cannot replay what was missed (etcd compaction) the listener gets a full
     * {@link Listener#onResync resync} instead.
     */
    AutoCloseable watch(LeaseSnapshot start, Listener listener);

    /**
     * The one subnet this host may hold, when the store assigns it rather than the subnet manager
     * picking a free one: the Kubernetes subnet manager's node podCIDR. Empty (the default) for
     * stores where {@link SubnetManager} picks.
     *
     * @throws LeaseException.StoreUnavailableException when the assignment cannot be read yet
     *         (the API server is unreachable, the node has no podCIDR yet); the agent retries
     */
    default Optional<Ip4Net> assignedSubnet() {
        return Optional.empty();
    }

    /**
     * With {@link #assignedSubnet}, the IPv6 subnet the store assigns this host for a dual-stack
     * lease (Kubernetes: the node's IPv6 podCIDR); empty when it assigns none.
     *
     * @throws LeaseException.StoreUnavailableException when the assignment cannot be read yet
     */
    default Optional<Ip6Net> assignedIpv6Subnet() {
        return Optional.empty();
    }

    /**
     * Whether this store can hold IPv6-only leases ({@code EnableIPv4: false}). Only a store that
     * {@link #assignedIpv6Subnet assigns} subnets does, as only flannel's Kubernetes subnet manager
     * does: flannel's etcd manager gives every host an IPv4 subnet, and an IPv6-only key has no
     * form another flanneld would read.
     */
    default boolean holdsIpv6OnlyLeases() {
        return false;
    }

    /**
     * Which families the network runs, from its config, before anything is read with it: a store
     * that reads leases differently for an IPv6-only network ({@link #holdsIpv6OnlyLeases}) reads
     * only their IPv6 halves then, as flannel's Kubernetes subnet manager does. May be called again
     * with the same value.
     */
    default void useFamilies(boolean enableIPv4, boolean enableIPv6) {}

    /**
     * Publishes this host's IPv6-only lease on {@code ipv6Subnet}, the subnet the store
     * {@link #assignedIpv6Subnet assigned}.
     *
     * @throws LeaseException when the store holds no IPv6-only leases (the default)
     */
    default Lease createIpv6Only(Ip6Net ipv6Subnet, LeaseAttrs attrs, Duration ttl) {
        throw new LeaseException(describe() + " holds no IPv6-only leases (" + ipv6Subnet + ")");
    }

    /**
     * This host is ready: its lease is held, the data path programmed and subnet.env written. A
     * store may tell others (the Kubernetes subnet manager clears the node's NetworkUnavailable
     * condition, as flannel's CompleteLease does). Must not throw: failures are the store's to
     * log and retry.
     */
    default void hostReady(Lease own) {}

    /** A short description for logs: {@code etcd at http://...} or {@code embedded store in /var/lib/...}. */
    String describe();

    @Override
    void close();

    /** A change to one key. */
    sealed interface KeyEvent {
        /** The key's IPv4 subnet; throws for an IPv6-only lease's ({@link Lease#subnet}). */
        Ip4Net subnet();

        /** What names the key's lease (an IPv6-only one by its IPv6 subnet). */
        LeaseId id();

        /** A key was created or overwritten. */
        record Put(Lease lease) implements KeyEvent {
            @Override
            public Ip4Net subnet() {
                return lease.subnet();
            }

            @Override
            public LeaseId id() {
                return lease.id();
            }
        }

        /** A key was deleted (by a client, or by its lease expiring). */
        record Deleted(LeaseId id) implements KeyEvent {
            public Deleted(Ip4Net subnet) {
                this(LeaseId.of(subnet));
            }

            @Override
            public Ip4Net subnet() {
                return id.ipv4().orElseThrow(() -> new IllegalStateException("the IPv6-only lease " + id + " has no IPv4 subnet"));
            }
        }
    }

    /** Receives watch results; called on one store thread at a time. */
    interface Listener {
        /** Changes in one watch response, in order. */
        void onEvents(List<KeyEvent> events);

        /** The watch lost history (compaction): this is the whole current state. */
        void onResync(LeaseSnapshot snapshot);

        /** The connection dropped; the watch will resume by itself. For logs and health. */
        default void onDisconnected(Throwable cause) {}

        /** The watch is receiving again after a disconnection. */
        default void onReconnected() {}
    }
}
