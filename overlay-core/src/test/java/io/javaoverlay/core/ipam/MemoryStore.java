package io.javaoverlay.core.ipam;

import java.math.BigInteger;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantLock;

import io.javaoverlay.core.net.Ip4;

/** A store in memory, to test the allocator's policy apart from the disk. Checks the lock is held. */
final class MemoryStore implements Store {

    private final ReentrantLock lock = new ReentrantLock();
    private final Records<Ip4> ip4 = new MemoryRecords<>();
    private final Records<BigInteger> ip6 = new MemoryRecords<>();

    @Override
    public Lock lock() {
        lock.lock();
        return lock::unlock;
    }

    @Override
    public Records<Ip4> ip4() {
        return ip4;
    }

    @Override
    public Records<BigInteger> ip6() {
        return ip6;
    }

    private void requireLock() {
        if (!lock.isHeldByCurrentThread()) {
            throw new AssertionError("store used without holding its lock");
        }
    }

    private final class MemoryRecords<A> implements Records<A> {

        private final Map<A, Owner> reservations = new TreeMap<>();
        private A last;

        @Override
        public Map<A, Owner> reservations() {
            requireLock();
            return new TreeMap<>(reservations);
        }

        @Override
        public Optional<Owner> ownerOf(A address) {
            requireLock();
            return Optional.ofNullable(reservations.get(address));
        }

        @Override
        public boolean reserve(A address, Owner owner) {
            requireLock();
            return reservations.putIfAbsent(address, owner) == null;
        }

        @Override
        public boolean release(A address) {
            requireLock();
            return reservations.remove(address) != null;
        }

        @Override
        public Optional<A> lastReserved() {
            requireLock();
            return Optional.ofNullable(last);
        }

        @Override
        public void setLastReserved(A address) {
            requireLock();
            last = address;
        }
    }
}
