package io.javaoverlay.core.ipam;

import java.math.BigInteger;
import java.util.Map;
import java.util.Optional;

import io.javaoverlay.core.net.Ip4;

/**
 * The reservations an {@link Allocator} works on, one set of {@link Records} per address family.
 * Every method of the records must be called while the caller holds the store's {@link #lock()},
 * so that a read-decide-write sequence is atomic across threads and processes.
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

    /** The IPv4 reservations. */
    Records<Ip4> ip4();

    /**
     * The IPv6 reservations: the same store and lock, a second set of records (a dual-stack
     * container holds one of each).
     */
    Records<BigInteger> ip6();

    /** The reservations of one address family, and where its round-robin search resumes. */
    interface Records<A> {

        /** Every reservation, sorted by address. */
        Map<A, Owner> reservations();

        /** Who holds {@code address}, if anyone. */
        Optional<Owner> ownerOf(A address);

        /** Records {@code owner} for {@code address}; returns false when someone already holds it. */
        boolean reserve(A address, Owner owner);

        /** Forgets the reservation of {@code address}; returns false when there was none. */
        boolean release(A address);

        /** The address reserved last, where the round-robin search resumes. */
        Optional<A> lastReserved();

        void setLastReserved(A address);
    }

    /** An exclusive hold on a store, released by {@link #close()}. */
    interface Lock extends AutoCloseable {
        @Override
        void close();
    }
}
