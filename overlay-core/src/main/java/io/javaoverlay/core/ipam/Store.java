package io.javaoverlay.core.ipam;

import java.math.BigInteger;
import java.util.Map;
import java.util.Optional;

import io.javaoverlay.core.net.Ip4;

/**
 * The reservations an {@link Allocator} works on. Every method other than {@link #lock()} must
 * be called while the caller holds the lock, so that a read-decide-write sequence is atomic
 * across threads and processes.
 *
 * <p>Implementations report failures to read or write as {@link IpamException} of kind
 * {@link IpamException.Kind#STORE}.
 */
public interface Store {

    /**
     * Takes the store's exclusive lock, waiting a bounded time for other holders ({@link
     * IpamException.Kind#BUSY} when they do not let go); close the result to release it.
     */
    Lock lock();

    /** Every reservation, sorted by address. */
    Map<Ip4, Owner> reservations();

    /** Who holds {@code address}, if anyone. */
    Optional<Owner> ownerOf(Ip4 address);

    /** Records {@code owner} for {@code address}; returns false when someone already holds it. */
    boolean reserve(Ip4 address, Owner owner);

    /** Forgets the reservation of {@code address}; returns false when there was none. */
    boolean release(Ip4 address);

    /** The address reserved last, where the round-robin search resumes. */
    Optional<Ip4> lastReserved();

    void setLastReserved(Ip4 address);

    // IPv6: the same store and lock, a second set of records (a dual-stack container holds one of each)

    /** Every IPv6 reservation, sorted by address. */
    Map<BigInteger, Owner> reservations6();

    /** Who holds IPv6 {@code address}, if anyone. */
    Optional<Owner> ownerOf6(BigInteger address);

    /** Records {@code owner} for IPv6 {@code address}; returns false when someone already holds it. */
    boolean reserve6(BigInteger address, Owner owner);

    /** Forgets the reservation of IPv6 {@code address}; returns false when there was none. */
    boolean release6(BigInteger address);

    /** The IPv6 address reserved last, where the IPv6 round-robin search resumes. */
    Optional<BigInteger> lastReserved6();

    void setLastReserved6(BigInteger address);

    /** An exclusive hold on a store, released by {@link #close()}. */
    interface Lock extends AutoCloseable {
        @Override
        void close();
    }
}
