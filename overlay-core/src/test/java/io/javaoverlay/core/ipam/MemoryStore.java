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
    private final Map<Ip4, Owner> reservations = new TreeMap<>();
    private Ip4 last;
    private final Map<BigInteger, Owner> reservations6 = new TreeMap<>();
    private BigInteger last6;

    @Override
    public Lock lock() {
        lock.lock();
        return lock::unlock;
    }

    private void requireLock() {
        if (!lock.isHeldByCurrentThread()) {
            throw new AssertionError("store used without holding its lock");
        }
    }

    @Override
    public Map<Ip4, Owner> reservations() {
        requireLock();
        return new TreeMap<>(reservations);
    }

    @Override
    public Optional<Owner> ownerOf(Ip4 address) {
        requireLock();
        return Optional.ofNullable(reservations.get(address));
    }

    @Override
    public boolean reserve(Ip4 address, Owner owner) {
        requireLock();
        return reservations.putIfAbsent(address, owner) == null;
    }

    @Override
    public boolean release(Ip4 address) {
        requireLock();
        return reservations.remove(address) != null;
    }

    @Override
    public Optional<Ip4> lastReserved() {
        requireLock();
        return Optional.ofNullable(last);
    }

    @Override
    public void setLastReserved(Ip4 address) {
        requireLock();
        last = address;
    }

    @Override
    public Map<BigInteger, Owner> reservations6() {
        requireLock();
        return new TreeMap<>(reservations6);
    }

    @Override
    public Optional<Owner> ownerOf6(BigInteger address) {
        requireLock();
        return Optional.ofNullable(reservations6.get(address));
    }

    @Override
    public boolean reserve6(BigInteger address, Owner owner) {
        requireLock();
        return reservations6.putIfAbsent(address, owner) == null;
    }

    @Override
    public boolean release6(BigInteger address) {
        requireLock();
        return reservations6.remove(address) != null;
    }

    @Override
    public Optional<BigInteger> lastReserved6() {
        requireLock();
        return Optional.ofNullable(last6);
    }

    @Override
    public void setLastReserved6(BigInteger address) {
        requireLock();
        last6 = address;
    }
}
