package io.javaoverlay.core.ipam;

import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Predicate;

import io.javaoverlay.core.config.SubnetEnv;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;

/**
 * Hands out the addresses of one host subnet (see the package notes for the policy). Holds no
 * state of its own: every call takes the store's lock, reads, decides and writes, so any number
 * of allocators in any number of processes may share one store.
 */
public final class Allocator {

    private final Ip4Net subnet;
    private final Ip4 gateway;
    private final Store store;
    private final Reservations reservations;

    /**
     * @param subnet  the host subnet, e.g. {@code 10.5.72.0/24}; /31 and /32 leave nothing to hand out
     * @param gateway the bridge's address inside it, never handed out
     */
    public Allocator(Ip4Net subnet, Ip4 gateway, Store store) {
        if (subnet.prefixLength() > 30) {
            throw new IllegalArgumentException("subnet " + subnet + " is too small to allocate container addresses from"
                    + " (it needs room for a network, a gateway, a broadcast and at least one container address: /30 or larger)");
        }
        if (!subnet.contains(gateway)) {
            throw new IllegalArgumentException("gateway " + gateway + " is not inside subnet " + subnet);
        }
        this.subnet = subnet;
        this.gateway = gateway;
        this.store = store;
        this.reservations = new Reservations(store);
    }

    /** The allocator for the subnet the agent leased on this host, gateway = {@code FLANNEL_SUBNET}'s address. */
    public static Allocator forHost(SubnetEnv env, Store store) {
        return new Allocator(env.lease(), env.gateway().ip(), store);
    }

    public Ip4Net subnet() {
        return subnet;
    }

    public Ip4 gateway() {
        return gateway;
    }

    /** Whether {@code ip} may be handed to a container: inside the subnet, not network, broadcast or gateway. */
    public boolean isAssignable(Ip4 ip) {
        return subnet.contains(ip) && !ip.equals(subnet.address()) && !ip.equals(subnet.last()) && !ip.equals(gateway);
    }

    /** Reserves the next free address for {@code owner}, or returns the one it already holds. */
    public Allocation allocate(Owner owner) {
        return allocate(owner, Optional.empty());
    }

    /**
     * Reserves {@code requested} (when given) or the next free address after the one reserved
     * last. An owner that already holds an address in this subnet gets it back
     * ({@link Allocation#alreadyHeld()}), so a repeated request never leaks a second address.
     *
     * @throws IpamException {@code EXHAUSTED} when nothing is free, {@code UNAVAILABLE} when the
     *                       requested address cannot be given
     */
    public Allocation allocate(Owner owner, Optional<Ip4> requested) {
        Reserved<Ip4> r = reserve(store, store.ip4(), owner, requested, subnet::contains, Ip4::toString, subnet,
                taken -> requested.isPresent() ? checkRequested(requested.get(), taken) : nextFree(taken));
        return allocation(r.address(), r.alreadyHeld());
    }

    /** An address reserved for an owner, and whether the owner held it already. */
    record Reserved<A>(A address, boolean alreadyHeld) {}

    /**
     * The steps of an allocation in either family, under the store's lock: the address the owner
     * already holds in the subnet ({@code inSubnet}) comes back, unless it asks for another; else
     * {@code choose} picks one from the reservations (sorted by address), which is reserved for the
     * owner and remembered as where the next search resumes.
     *
     * @param text how messages write an address
     */
    static <A> Reserved<A> reserve(Store store, Store.Records<A> records, Owner owner, Optional<A> requested, Predicate<A> inSubnet,
                                   Function<A, String> text, Object subnet, Function<Map<A, Owner>, A> choose) {
        try (Store.Lock lock = store.lock()) {
            Map<A, Owner> taken = records.reservations();
            for (Map.Entry<A, Owner> e : taken.entrySet()) {
                if (e.getValue().equals(owner) && inSubnet.test(e.getKey())) {
                    if (requested.isPresent() && !requested.get().equals(e.getKey())) {
                        throw new IpamException(IpamException.Kind.UNAVAILABLE, owner + " already holds " + text.apply(e.getKey())
                                + " in " + subnet + " and cannot also take " + text.apply(requested.get()) + "; release it first");
                    }
                    return new Reserved<>(e.getKey(), true);
                }
            }
            A chosen = choose.apply(taken);
            if (!records.reserve(chosen, owner)) {
                // the lock makes this impossible unless something edits the store behind our back
                throw new IpamException(IpamException.Kind.STORE, "address " + text.apply(chosen) + " was reserved by someone"
                        + " not holding the store's lock; is another program writing to the IPAM directory?");
            }
            records.setLastReserved(chosen);
            return new Reserved<>(chosen, false);
        }
    }

    private Ip4 checkRequested(Ip4 ip, Map<Ip4, Owner> taken) {
        if (!isAssignable(ip)) {
            throw new IpamException(IpamException.Kind.UNAVAILABLE, "address " + ip + " cannot be assigned: "
                    + (subnet.contains(ip) ? "it is the network, broadcast or gateway address of " + subnet
                            : "it is outside this host's subnet " + subnet));
        }
        Owner holder = taken.get(ip);
        if (holder != null) {
            throw new IpamException(IpamException.Kind.UNAVAILABLE, "address " + ip + " is already in use by " + holder);
        }
        return ip;
    }

    private Ip4 nextFree(Map<Ip4, Owner> taken) {
        Ip4 first = subnet.address().plus(1);
        long usable = subnet.size() - 2;
        Optional<Ip4> last = store.ip4().lastReserved();
        Ip4 start = last.isPresent() && subnet.contains(last.get()) ? last.get().plus(1) : first;
        Ip4 candidate = start;
        for (long i = 0; i < usable + 1; i++) {
            if (!subnet.contains(candidate) || candidate.equals(subnet.last())) {
                candidate = first; // wrap around past the broadcast address
            }
            if (isAssignable(candidate) && !taken.containsKey(candidate)) {
                return candidate;
            }
            candidate = candidate.plus(1);
        }
        throw new IpamException(IpamException.Kind.EXHAUSTED, "no free address in " + subnet + ": all " + (usable - 1)
                + " container addresses are reserved; free some (delete containers) or give this host a larger subnet");
    }

    private Allocation allocation(Ip4 ip, boolean alreadyHeld) {
        return new Allocation(new Ip4Net.HostAddress(ip, subnet.prefixLength()), gateway, alreadyHeld);
    }

    /** Reading and freeing reservations (these need no subnet). */
    public Reservations reservations() {
        return reservations;
    }
}
