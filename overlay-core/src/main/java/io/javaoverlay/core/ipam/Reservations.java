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
        try (Store.Lock lock = store.lock()) {
            return store.reservations();
        }
    }

    /** The address {@code owner} holds (the lowest, should it somehow hold several). */
    public Optional<Ip4> addressOf(Owner owner) {
        try (Store.Lock lock = store.lock()) {
            return store.reservations().entrySet().stream()
                    .filter(e -> e.getValue().equals(owner)).map(Map.Entry::getKey).sorted().findFirst();
        }
    }

    /** Every IPv6 reservation, by address. */
    public Map<BigInteger, Owner> all6() {
        try (Store.Lock lock = store.lock()) {
            return store.reservations6();
        }
    }

    /** The IPv6 address {@code owner} holds (the lowest, should it somehow hold several). */
    public Optional<BigInteger> addressOf6(Owner owner) {
        try (Store.Lock lock = store.lock()) {
            return store.reservations6().entrySet().stream()
                    .filter(e -> e.getValue().equals(owner)).map(Map.Entry::getKey).sorted().findFirst();
        }
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
        try (Store.Lock lock = store.lock()) {
            Optional<Owner> owner = store.ownerOf6(address);
            store.release6(address);
            return owner;
        }
    }

    /** Frees {@code address} whoever holds it; returns the owner it had, empty when it was free. */
    public Optional<Owner> releaseAddress(Ip4 address) {
        try (Store.Lock lock = store.lock()) {
            Optional<Owner> owner = store.ownerOf(address);
            store.release(address);
            return owner;
        }
    }

    /** Frees every reservation of either family whose owner matches; returns the freed addresses, IPv4 first, in order. */
    public List<String> releaseIf(Predicate<Owner> condemned) {
        try (Store.Lock lock = store.lock()) {
            List<Ip4> freed = new ArrayList<>();
            store.reservations().forEach((ip, owner) -> {
                if (condemned.test(owner)) {
                    store.release(ip);
                    freed.add(ip);
                }
            });
            freed.sort(null);
            List<String> all = new ArrayList<>();
            for (Ip4 ip : freed) {
                all.add(ip.toString());
            }
            store.reservations6().forEach((ip, owner) -> { // sorted by address
                if (condemned.test(owner)) {
                    store.release6(ip);
                    all.add(Ip6Net.format(ip));
                }
            });
            return all;
        }
    }
}
