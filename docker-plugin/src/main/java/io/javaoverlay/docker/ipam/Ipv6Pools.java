package io.javaoverlay.docker.ipam;

import java.math.BigInteger;
import java.util.Map;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.javaoverlay.core.config.SubnetEnv;
import io.javaoverlay.core.ipam.Allocation6;
import io.javaoverlay.core.ipam.Allocator6;
import io.javaoverlay.core.ipam.IpamException;
import io.javaoverlay.core.ipam.Owner;
import io.javaoverlay.core.ipam.Store;
import io.javaoverlay.core.net.Ip6Net;
import io.javaoverlay.docker.HostLease;
import io.javaoverlay.docker.DockerInput;
import io.javaoverlay.docker.PluginException;
import io.javaoverlay.docker.api.IpamMessages;

/**
 * The IPv6 half of the IPAM driver ({@code docker network create --ipv6}): the pool is this
 * host's IPv6 subnet ({@code FLANNEL_IPV6_SUBNET}), its gateway the subnet's first address (the
 * bridge's, as flannel's CNI delegate has it), addresses from the store the CNI plugin shares,
 * owned as the IPv4 ones are ({@code docker/<pool>/<MAC>}).
 */
final class Ipv6Pools {

    private static final Logger LOG = LoggerFactory.getLogger(Ipv6Pools.class);

    /** IPv6 pool IDs name the lease too: {@code javaoverlay6:fc00:5:0:34::-64}. */
    static final String POOL_ID_PREFIX = "javaoverlay6:";

    private final HostLease lease;
    private final Store addresses;
    /** IPv6 pools handed out for requests without {@code --subnet} and not released yet. */
    private int held;

    Ipv6Pools(HostLease lease, Store addresses) {
        this.lease = lease;
        this.addresses = addresses;
    }

    static boolean isV6Pool(String poolId) {
        return poolId != null && poolId.startsWith(POOL_ID_PREFIX);
    }

    static String poolId(Ip6Net subnet) {
        return POOL_ID_PREFIX + subnet.toKey();
    }

    IpamMessages.RequestPoolResponse requestPool(IpamMessages.RequestPoolRequest req) {
        SubnetEnv env = lease.current();
        Ip6Net subnet = lease6(env);
        if (!IpamDriver.isEmpty(req.pool())) {
            Ip6Net wanted = parseNet("Pool", req.pool());
            if (!wanted.equals(subnet)) {
                throw new PluginException.Refused("IPv6 pool " + wanted + " is not this host's IPv6 subnet " + subnet
                        + ": a javaoverlay network uses the subnets the agent leased; create it without an IPv6 --subnet (or with"
                        + " --subnet " + subnet + ")");
            }
        }
        if (!IpamDriver.isEmpty(req.subPool()) && !parseNet("SubPool", req.subPool()).equals(subnet)) {
            throw new PluginException.Refused("--ip-range is not supported: IPv6 addresses come from the whole host IPv6 subnet "
                    + subnet + ", shared with the CNI plugin");
        }
        if (IpamDriver.isEmpty(req.pool())) {
            synchronized (this) {
                if (held > 0) {
                    // dockerd asks again when a host route overlaps the pool (the bridge's route to
                    // it, present when CNI pods use the bridge); there is no other pool to offer
                    throw new PluginException.Refused("dockerd refused this host's IPv6 subnet " + subnet + " because a route"
                            + " to it exists (the bridge's, when CNI pods use it); name it: docker network create --ipv6"
                            + " --subnet " + env.lease() + " --subnet " + subnet + " -d javaoverlay --ipam-driver javaoverlay NAME");
                }
                held++;
            }
        }
        LOG.info("IPv6 pool {} requested", subnet);
        return new IpamMessages.RequestPoolResponse(poolId(subnet), subnet.toString(),
                Map.of(IpamDriver.GATEWAY_TYPE, Ip6Net.format(gateway(env)) + "/" + subnet.prefixLength()));
    }

    void releasePool(String poolId) {
        synchronized (this) {
            held = Math.max(0, held - 1);
        }
        LOG.info("IPv6 pool {} released", poolId);
    }

    IpamMessages.RequestAddressResponse requestAddress(String poolId, IpamMessages.RequestAddressRequest req,
                                                       Map<String, String> options, Owner owner) {
        Ip6Net pool = poolSubnet(poolId);
        SubnetEnv env = lease.current();
        Ip6Net current = lease6(env);
        if (!current.equals(pool)) {
            throw new PluginException.Refused("this host's IPv6 subnet is now " + current + ", not " + pool
                    + " (the agent got a new lease); remove the network and create it again");
        }
        Allocator6 allocator = Allocator6.forHost(env, addresses).orElseThrow();
        if (IpamDriver.GATEWAY_TYPE.equals(options.get(IpamDriver.REQUEST_ADDRESS_TYPE))) {
            if (!IpamDriver.isEmpty(req.address()) && !parseIp("Address", req.address()).equals(allocator.gateway())) {
                throw new PluginException.Refused("the IPv6 gateway of a javaoverlay network is the host bridge's address "
                        + Ip6Net.format(allocator.gateway()) + "; create the network without an IPv6 --gateway");
            }
            return new IpamMessages.RequestAddressResponse(allocator.gatewayAddress().toString(), Map.of());
        }
        // --ip6 (dockerd allows it only on a network created with the IPv6 --subnet named)
        Optional<BigInteger> wanted = IpamDriver.isEmpty(req.address()) ? Optional.empty() : Optional.of(parseIp("Address", req.address()));
        Allocation6 a;
        try {
            a = allocator.allocate(owner, wanted);
        } catch (IpamException e) {
            throw IpamDriver.mapped(e);
        }
        LOG.info("IPv6 address {} for {}", a.address(), owner);
        return new IpamMessages.RequestAddressResponse(a.address().toString(), Map.of());
    }

    void releaseAddress(String poolId, String address) {
        Ip6Net pool = poolSubnet(poolId);
        BigInteger ip = parseIp("Address", address);
        if (!pool.contains(ip)) {
            throw new PluginException.BadRequest("address " + address + " is not in pool " + pool);
        }
        Optional<Owner> owner;
        try (Store.Lock lock = addresses.lock()) {
            // only Docker's own reservation, as for IPv4
            owner = addresses.ip6().ownerOf(ip);
            if (owner.isPresent() && IpamDriver.OWNER_CLIENT.equals(owner.get().client())) {
                addresses.ip6().release(ip);
            }
        } catch (IpamException e) {
            throw IpamDriver.mapped(e);
        }
        if (owner.isPresent() && !IpamDriver.OWNER_CLIENT.equals(owner.get().client())) {
            LOG.warn("release of {} refused: {} holds it, not Docker", Ip6Net.format(ip), owner.get());
        } else {
            LOG.info("IPv6 address {} released{}", Ip6Net.format(ip), owner.isEmpty() ? " (was not reserved)" : "");
        }
    }

    /** This host's IPv6 subnet; refused clearly when the agent runs without IPv6. */
    static Ip6Net lease6(SubnetEnv env) {
        return env.ipv6Lease().orElseThrow(() -> new PluginException.Refused("this host has no IPv6 subnet: the agent"
                + " runs without IPv6 (its subnet.env has no FLANNEL_IPV6_SUBNET). Enable it in the network config"
                + " (\"EnableIPv6\": true, \"IPv6Network\": \"fc00::/48\"; docs/ipv6.md) or create the network without --ipv6"));
    }

    private static BigInteger gateway(SubnetEnv env) {
        return lease6(env).address().add(BigInteger.ONE);
    }

    static Ip6Net poolSubnet(String poolId) {
        try {
            return Ip6Net.parseKey(poolId.substring(POOL_ID_PREFIX.length()));
        } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
            throw new PluginException.NotFound("unknown pool " + poolId + ": not a javaoverlay pool; remove the network and"
                    + " create it again with --ipam-driver javaoverlay");
        }
    }

    private static Ip6Net parseNet(String field, String text) {
        return DockerInput.parsed(field, text, Ip6Net::parse);
    }

    private static BigInteger parseIp(String field, String text) {
        return DockerInput.parsed(field, text, Ip6Net::parseAddress);
    }
}
