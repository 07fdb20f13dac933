package io.javaoverlay.core.ipam;

import java.util.Map;
import java.util.Optional;

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
        try (Store.Lock lock = store.lock()) {
            Map<Ip4, Owner> taken = store.ip4().reservations(); // sorted by address
            Optional<Ip4> held = Optional.empty();
            for (Map.Entry<Ip4, Owner> e : taken.entrySet()) {
                if (e.getValue().equals(owner) && subnet.contains(e.getKey())) {
                    held = Optional.of(e.getKey());
                    break;
                }
            }
            if (held.isPresent()) {
                if (requested.isPresent() && !requested.get().equals(held.get())) {
                    throw new IpamException(IpamException.Kind.UNAVAILABLE, owner + " already holds " + held.get()
                            + " in " + subnet + " and cannot also take " + requested.get() + "; release it first");
                }
                return allocation(held.get(), true);
            }
            Ip4 chosen = requested.isPresent() ? checkRequested(requested.get(), taken) : nextFree(taken);
            if (!store.ip4().reserve(chosen, owner)) {
                // the lock makes this impossible unless something edits the store behind our back
                throw new IpamException(IpamException.Kind.STORE, "address " + chosen + " was reserved by someone"
                        + " not holding the store's lock; is another program writing to the IPAM directory?");
            }
            store.ip4().setLastReserved(chosen);
            return allocation(chosen, false);
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
