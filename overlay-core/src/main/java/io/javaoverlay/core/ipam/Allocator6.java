package io.javaoverlay.core.ipam;

import java.math.BigInteger;
import java.util.Map;
import java.util.Optional;

import io.javaoverlay.core.config.SubnetEnv;
import io.javaoverlay.core.net.Ip6Host;
import io.javaoverlay.core.net.Ip6Net;

/**
 * Hands out the IPv6 addresses of this host's IPv6 subnet ({@code FLANNEL_IPV6_SUBNET}) with the
 * policy of {@link Allocator}: never the subnet's first address (the subnet-router anycast
 * address) nor the gateway, round-robin after the address reserved last, a repeated request gets
 * the owner's address back. Same store, same lock, so a dual-stack container's two reservations
 * are made and freed by the same rules.
 *
 * <p>IPv6 has no broadcast address; the subnet's last address is handed out like any other. A
 * /64 holds far more addresses than can be reserved, so the search for a free one ends after at
 * most (reservations + 2) steps.
 */
public final class Allocator6 {

    private final Ip6Net subnet;
    private final BigInteger gateway;
    private final Store store;

    /**
     * @param subnet  the host's IPv6 subnet, e.g. {@code fc00:5:34::/64}; a /127 or /128 leaves nothing to hand out
     * @param gateway the bridge's address inside it, never handed out
     */
    public Allocator6(Ip6Net subnet, BigInteger gateway, Store store) {
        if (subnet.prefixLength() > 126) {
            throw new IllegalArgumentException("IPv6 subnet " + subnet + " is too small to allocate container addresses from"
                    + " (it needs room for the subnet-router address, a gateway and at least one container: /126 or larger)");
        }
        if (!subnet.contains(gateway)) {
            throw new IllegalArgumentException("gateway " + Ip6Net.format(gateway) + " is not inside IPv6 subnet " + subnet);
        }
        this.subnet = subnet;
        this.gateway = gateway;
        this.store = store;
    }

    /**
     * The allocator for the IPv6 subnet the agent leased on this host (gateway = {@code
     * FLANNEL_IPV6_SUBNET}'s address, the subnet's first host as flannel writes it); empty when
     * subnet.env has no IPv6 subnet.
     */
    public static Optional<Allocator6> forHost(SubnetEnv env, Store store) {
        Optional<Ip6Net> lease6 = env.ipv6Lease();
        if (lease6.isEmpty()) {
            return Optional.empty();
        }
        BigInteger gateway = Ip6Host.parse(env.ipv6Subnet().orElseThrow()).ip();
        return Optional.of(new Allocator6(lease6.get(), gateway, store));
    }

    public Ip6Net subnet() {
        return subnet;
    }

    public BigInteger gateway() {
        return gateway;
    }

    /** The gateway with the subnet's prefix, as the bridge carries it. */
    public Ip6Host gatewayAddress() {
        return new Ip6Host(gateway, subnet.prefixLength());
    }

    /** Whether {@code ip} may be handed to a container: inside the subnet, not its first address, not the gateway. */
    public boolean isAssignable(BigInteger ip) {
        return subnet.contains(ip) && !ip.equals(subnet.address()) && !ip.equals(gateway);
    }

    /** Reserves the next free IPv6 address for {@code owner}, or returns the one it already holds in this subnet. */
    public Allocation6 allocate(Owner owner) {
        return allocate(owner, Optional.empty());
    }

    /**
     * Reserves {@code requested} (when given) or the next free IPv6 address; an owner that already
     * holds one in this subnet gets it back, as {@link Allocator#allocate(Owner, Optional)} does.
     *
     * @throws IpamException {@code EXHAUSTED} when nothing is free, {@code UNAVAILABLE} when the
     *                       requested address cannot be given
     */
    public Allocation6 allocate(Owner owner, Optional<BigInteger> requested) {
        Allocator.Reserved<BigInteger> r = Allocator.reserve(store, store.ip6(), owner, requested, subnet::contains, Ip6Net::format, subnet,
                taken -> requested.isPresent() ? checkRequested(requested.get(), taken) : nextFree(taken));
        return allocation(r.address(), r.alreadyHeld());
    }

    private BigInteger checkRequested(BigInteger ip, Map<BigInteger, Owner> taken) {
        if (!isAssignable(ip)) {
            throw new IpamException(IpamException.Kind.UNAVAILABLE, "address " + Ip6Net.format(ip) + " cannot be assigned: "
                    + (subnet.contains(ip) ? "it is the subnet-router or gateway address of " + subnet
                            : "it is outside this host's IPv6 subnet " + subnet));
        }
        Owner holder = taken.get(ip);
        if (holder != null) {
            throw new IpamException(IpamException.Kind.UNAVAILABLE, "address " + Ip6Net.format(ip) + " is already in use by " + holder);
        }
        return ip;
    }

    private BigInteger nextFree(Map<BigInteger, Owner> taken) {
        BigInteger first = subnet.address().add(BigInteger.ONE);
        BigInteger end = subnet.end();
        Optional<BigInteger> last = store.ip6().lastReserved();
        BigInteger candidate = last.isPresent() && subnet.contains(last.get()) ? last.get().add(BigInteger.ONE) : first;
        // every step passes the gateway, the subnet-router address or a reservation, or ends
        BigInteger size = Ip6Net.size(subnet.prefixLength());
        long steps = Math.min(taken.size() + 3L, size.min(BigInteger.valueOf(Long.MAX_VALUE)).longValue());
        for (long i = 0; i < steps; i++) {
            if (candidate.compareTo(end) >= 0) {
                candidate = first; // wrap around past the subnet's last address
            }
            if (isAssignable(candidate) && !taken.containsKey(candidate)) {
                return candidate;
            }
            candidate = candidate.add(BigInteger.ONE);
        }
        throw new IpamException(IpamException.Kind.EXHAUSTED, "no free IPv6 address in " + subnet + ": all "
                + size.subtract(BigInteger.TWO) + " container addresses are reserved; free some (delete containers)"
                + " or give this host a larger IPv6 subnet (IPv6SubnetLen)");
    }

    private Allocation6 allocation(BigInteger ip, boolean alreadyHeld) {
        return new Allocation6(new Ip6Host(ip, subnet.prefixLength()), gateway, alreadyHeld);
    }
}
