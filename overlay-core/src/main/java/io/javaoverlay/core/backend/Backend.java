package io.javaoverlay.core.backend;

import java.util.List;
import java.util.Optional;

import io.javaoverlay.core.config.NetworkConfig;
import io.javaoverlay.core.lease.Lease;
import io.javaoverlay.core.lease.LeaseEvent;
import io.javaoverlay.core.netlink.KernelChanges;
import io.javaoverlay.core.netlink.Route;

/**
 * A data path the agent drives, in flannel's order:
 *
 * <ol>
 *   <li>{@link #register} before the lease exists: set up what does not depend on the subnet
 *       (the VXLAN device and its MAC, the UDP socket) and say what to publish and which MTU;</li>
 *   <li>{@link #leaseAcquired} once this host's lease is held (and subnet.env is written);</li>
 *   <li>{@link #handle} for every batch of peer changes, starting with one batch (possibly empty)
 *       that holds every peer already there: the moment to clean up state left for subnets
 *       that are no longer leased;</li>
 *   <li>{@link #recheck} every few seconds, to repair what others changed underneath (a deleted
 *       device, a missing route) and to retry what failed;</li>
 *   <li>{@link #close} on shutdown. The lease is kept, so a restarted agent finds its state again;
 *       what the backend programmed in the kernel may stay for the same reason.</li>
 * </ol>
 *
 * All calls come from the agent's single event loop, one at a time: a backend needs no locking
 * of its own for state touched only here. A call that throws is logged by the agent; a batch
 * is not retried, so a backend should make each peer's programming idempotent (ensure, not add).
 */
public interface Backend extends AutoCloseable {

    /** Prepares for {@code config}'s network and says what this host publishes. */
    Registration register(NetworkConfig config);

    /** This host's lease is held; {@code own.subnet()} is the host's subnet. */
    void leaseAcquired(Lease own);

    /**
     * Why this backend cannot program {@code peer}'s lease (its BackendType, its BackendData), if
     * it cannot. {@link PeerAdmission} asks before {@link #handle} ever sees the lease, after the
     * checks every backend shares (subnet, public IP, host routes).
     */
    default Optional<PeerRejection> checkPeer(Lease peer) {
        return Optional.empty();
    }

    /** The values of {@code peer}'s lease the kernel keys this backend's state by ({@link PeerClaim}). */
    default List<PeerClaim> claims(Lease peer) {
        return List.of();
    }

    /**
     * Whether this backend made {@code route} and tells it by its device (the VXLAN or TUN
     * device's routes); routes it marks with {@code Route.PROTOCOL_JAVAOVERLAY} need not be named.
     */
    default boolean ownsRoute(Route route) {
        return false;
    }

    /**
     * Another host publishes what identifies this one on the wire (vxlan: its VTEP MAC, rejected
     * as {@link PeerRejection.Reason#VTEP_MAC_COLLISION}): choose a new identity, apply it, and
     * say what to publish now. Empty when this backend has no such identity.
     */
    default Optional<Registration> resolveCollision() {
        return Optional.empty();
    }

    /** Applies one batch of peer events, in order; every lease in it has passed {@link #checkPeer}. */
    void handle(List<LeaseEvent> batch);

    /**
     * Compares what is programmed with what should be and repairs the difference; called from
     * the same event loop (so never concurrently with {@link #handle}): soon after the kernel
     * reports a change in {@link #kernelInterest}, and periodically (every few seconds while
     * {@link #retryPending}, or without an interest; else every half minute, as a backstop).
     */
    default void recheck() {}

    /**
     * What this backend programs, for the agent to be told of changes to it by the kernel
     * ({@link KernelChanges}) instead of reading it all every few seconds; known after
     * {@link #leaseAcquired}. Empty (the default) when what it programs is not all rtnetlink
     * objects (a WireGuard peer, a process): then {@link #recheck} runs every few seconds.
     */
    default Optional<KernelChanges.Interest> kernelInterest() {
        return Optional.empty();
    }

    /** Whether something failed to be programmed and waits for {@link #recheck} to retry it. */
    default boolean retryPending() {
        return false;
    }

    /**
     * Checks and repairs this backend's own firewall rules (host-gw's accounting chains), if it
     * has any: iptables state, which the kernel does not report changes of, so the agent calls
     * this at every {@code --iptables-resync}.
     */
    default void resyncRules() {}

    @Override
    void close();
}
