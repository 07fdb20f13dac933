package io.javaoverlay.core.ipam;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip6Net;

/**
 * Reading and freeing reservations, each under the store's lock. Unlike allocation this needs no
 * subnet: a container is deleted (and its address freed) even when the agent that wrote
 * subnet.env is gone, or its lease changed since the address was given.
 */
public final class Reservations {

    private final Store store;

    public Reservations(Store store) {
        this.store = store;
    }

    /** Every reservation, by address. */
    public Map<Ip4, Owner> all() {
        return all(store.ip4());
    }

    /** The address {@code owner} holds (the lowest, should it somehow hold several). */
    public Optional<Ip4> addressOf(Owner owner) {
        return addressOf(store.ip4(), owner);
    }

    /** Every IPv6 reservation, by address. */
    public Map<BigInteger, Owner> all6() {
        return all(store.ip6());
    }

    /** The IPv6 address {@code owner} holds (the lowest, should it somehow hold several). */
    public Optional<BigInteger> addressOf6(Owner owner) {
        return addressOf(store.ip6(), owner);
    }

    /**
     * Frees every address of either family {@code owner} holds; freeing nothing is not an error.
     * Returns what was freed, IPv4 first.
     */
    public List<String> release(Owner owner) {
        return releaseIf(owner::equals);
    }

    /** Frees IPv6 {@code address} whoever holds it; returns the owner it had, empty when it was free. */
    public Optional<Owner> releaseAddress6(BigInteger address) {
        return releaseAddress(store.ip6(), address);
    }

    /** Frees {@code address} whoever holds it; returns the owner it had, empty when it was free. */
    public Optional<Owner> releaseAddress(Ip4 address) {
        return releaseAddress(store.ip4(), address);
    }

    private <A> Map<A, Owner> all(Store.Records<A> records) {
        try (Store.Lock lock = store.lock()) {
            return records.reservations();
        }
    }

    private <A extends Comparable<A>> Optional<A> addressOf(Store.Records<A> records, Owner owner) {
        try (Store.Lock lock = store.lock()) {
            return records.reservations().entrySet().stream()
                    .filter(e -> e.getValue().equals(owner)).map(Map.Entry::getKey).sorted().findFirst();
        }
    }

    private <A> Optional<Owner> releaseAddress(Store.Records<A> records, A address) {
        try (Store.Lock lock = store.lock()) {
            Optional<Owner> owner = records.ownerOf(address);
            records.release(address);
            return owner;
        }
    }

    /** Frees every reservation of either family whose owner matches; returns the freed addresses, IPv4 first, in order. */
    public List<String> releaseIf(Predicate<Owner> condemned) {
        try (Store.Lock lock = store.lock()) {
            List<Ip4> freed = new ArrayList<>();
            store.ip4().reservations().forEach((ip, owner) -> {
                if (condemned.test(owner)) {
                    store.ip4().release(ip);
                    freed.add(ip);
                }
            });
            freed.sort(null);
            List<String> all = new ArrayList<>();
            for (Ip4 ip : freed) {
                all.add(ip.toString());
            }
            store.ip6().reservations().forEach((ip, owner) -> { // sorted by address
                if (condemned.test(owner)) {
                    store.ip6().release(ip);
                    all.add(Ip6Net.format(ip));
                }
            });
            return all;
        }
    }
}
