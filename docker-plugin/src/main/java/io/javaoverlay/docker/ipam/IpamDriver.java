package io.javaoverlay.docker.ipam;

import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.javaoverlay.core.config.SubnetEnv;
import io.javaoverlay.core.ipam.Allocation;
import io.javaoverlay.core.ipam.Allocator;
import io.javaoverlay.core.ipam.IpamException;
import io.javaoverlay.core.ipam.Owner;
import io.javaoverlay.core.ipam.Store;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.docker.DockerInput;
import io.javaoverlay.docker.HostLease;
import io.javaoverlay.docker.PluginException;
import io.javaoverlay.docker.api.IpamMessages;
import io.javaoverlay.docker.api.PluginMessages;

/**
 * libnetwork's remote IPAM driver: every javaoverlay network gets this host's lease as its
 * pool, the lease's first address ({@code FLANNEL_SUBNET}) as its gateway, and container
 * addresses from the allocator the CNI plugin shares, so Docker and CNI containers on one host
 * never get the same address.
 *
 * <p>libnetwork names no container in RequestAddress, so each address is owned by
 * {@code docker/<pool>/<MAC>}: the driver declares {@code RequiresMACAddress}, dockerd passes
 * the endpoint's MAC, and a repeated request for the same endpoint gets the same address back.
 *
 * <p>{@code --ipv6}: the IPv6 pool is the host's IPv6 subnet ({@link Ipv6Pools}); a host whose
 * agent runs without IPv6 refuses it with a message.
 */
public final class IpamDriver {

    private static final Logger LOG = LoggerFactory.getLogger(IpamDriver.class);

    public static final String LOCAL_ADDRESS_SPACE = "JavaOverlayLocal";
    public static final String GLOBAL_ADDRESS_SPACE = "JavaOverlayGlobal";

    /** libnetwork's option keys (netlabel and ipamapi constants). */
    static final String REQUEST_ADDRESS_TYPE = "RequestAddressType";
    static final String GATEWAY_TYPE = "com.docker.network.gateway";
    static final String MAC_OPTION = "com.docker.network.endpoint.macaddress";

    /**
     * The pool handed out when dockerd asks for "any pool" (no {@code --subnet}) and the lease
     * itself did not pass. libnetwork checks a pool it did not ask for by name against the
     * host's routes (requestPoolHelper), and when one overlaps (the bridge's own route to the
     * lease, present when CNI pods use the bridge; the udp backend's route to the whole
     * Network) it holds that pool and asks again, forever, since we can only ever offer the
     * lease. So the lease is offered first, and a second request while it is held (dockerd's
     * check refused it) gets {@code 0.0.0.0/0}, which libnetwork does not check (Calico's IPAM
     * answers the same); the gateway travels with it and every address still comes from the
     * lease. {@code --subnet <lease>} always gives the real pool (and lets {@code --ip} work,
     * which dockerd allows only on such networks).
     */
    public static final String ANY_POOL = "0.0.0.0/0";

    /** Lease pools handed out for requests without {@code --subnet} and not released yet. */
    private int leasePoolsHeld;

    static final String POOL_ID_PREFIX = "javaoverlay:";

    /** The owner client of Docker's reservations in the shared store. */
    public static final String OWNER_CLIENT = "docker";

    private final HostLease lease;
    private final Store addresses;
    private final Ipv6Pools ipv6;

    public IpamDriver(HostLease lease, Store addresses) {
        this.lease = lease;
        this.addresses = addresses;
        this.ipv6 = new Ipv6Pools(lease, addresses);
    }

    public IpamMessages.Capabilities capabilities() {
        // Request replay is for drivers that forget; our pools and addresses live on disk.
        return new IpamMessages.Capabilities(true, false);
    }

    public IpamMessages.AddressSpaces addressSpaces() {
        return new IpamMessages.AddressSpaces(LOCAL_ADDRESS_SPACE, GLOBAL_ADDRESS_SPACE);
    }

    public IpamMessages.RequestPoolResponse requestPool(IpamMessages.RequestPoolRequest req) {
        if (req.v6()) {
            return ipv6.requestPool(req);
        }
        SubnetEnv env = lease.current();
        Ip4Net subnet = env.lease();
        if (!isEmpty(req.pool())) {
            Ip4Net wanted = parseNet("Pool", req.pool());
            if (!wanted.equals(subnet)) {
                throw new PluginException.Refused("pool " + wanted + " is not this host's subnet " + subnet
                        + ": a javaoverlay network uses the subnet the agent leased; create it without --subnet (or with --subnet "
                        + subnet + ")");
            }
        }
        if (!isEmpty(req.subPool()) && !parseNet("SubPool", req.subPool()).equals(subnet)) {
            throw new PluginException.Refused("--ip-range is not supported: addresses come from the whole host subnet " + subnet
                    + ", shared with the CNI plugin");
        }
        String pool = subnet.toString();
        String id = poolId(subnet);
        if (isEmpty(req.pool())) {
            synchronized (this) {
                if (leasePoolsHeld > 0) {
                    pool = ANY_POOL;
                    id = anyPoolId(subnet);
                    LOG.info("pool {} requested again while held: dockerd found a host route overlapping it;"
                            + " answering {} (addresses still come from {})", subnet, ANY_POOL, subnet);
                } else {
                    leasePoolsHeld++;
                }
            }
        }
        LOG.info("pool {} requested ({})", subnet, pool);
        // Handing the gateway back with the pool spares libnetwork a RequestAddress for it.
        return new IpamMessages.RequestPoolResponse(id, pool, Map.of(GATEWAY_TYPE, env.gateway().toString()));
    }

    public PluginMessages.Empty releasePool(IpamMessages.ReleasePoolRequest req) {
        // Nothing to free: a pool is the lease, named by its ID; the addresses are what is held.
        String id = required("PoolID", req.poolId());
        if (Ipv6Pools.isV6Pool(id)) {
            ipv6.releasePool(id);
            return new PluginMessages.Empty();
        }
        if (id.startsWith(POOL_ID_PREFIX) && !id.endsWith(ANY_POOL_SUFFIX)) {
            synchronized (this) {
                leasePoolsHeld = Math.max(0, leasePoolsHeld - 1);
            }
        }
        LOG.info("pool {} released", id);
        return new PluginMessages.Empty();
    }

    public IpamMessages.RequestAddressResponse requestAddress(IpamMessages.RequestAddressRequest req) {
        String poolId = required("PoolID", req.poolId());
        Map<String, String> options = req.options() == null ? Map.of() : req.options();
        if (Ipv6Pools.isV6Pool(poolId)) {
            return ipv6.requestAddress(poolId, req, options, owner(poolId, options));
        }
        SubnetEnv env = currentFor(poolSubnet(poolId));
        Optional<Ip4> wanted = isEmpty(req.address()) ? Optional.empty() : Optional.of(parseIp("Address", req.address()));
        Ip4 gateway = env.gateway().ip();
        if (GATEWAY_TYPE.equals(options.get(REQUEST_ADDRESS_TYPE))) {
            if (wanted.isPresent() && !wanted.get().equals(gateway)) {
                throw new PluginException.Refused("the gateway of a javaoverlay network is the host bridge's address " + gateway
                        + "; create the network without --gateway (or with --gateway " + gateway + ")");
            }
            return new IpamMessages.RequestAddressResponse(env.gateway().toString(), Map.of());
        }
        Owner owner = owner(poolId, options);
        Allocation a;
        try {
            a = Allocator.forHost(env, addresses).allocate(owner, wanted);
        } catch (IpamException e) {
            throw mapped(e);
        }
        LOG.info("address {} for {}", a.address(), owner);
        return new IpamMessages.RequestAddressResponse(a.address().toString(), Map.of());
    }

    /**
     * The owner of an address of {@code poolId}: the MAC names the reservation in the shared
     * store, one line of a record file, so only a MAC (what dockerd sends) may get there, in one
     * spelling, so a repeat finds it again.
     */
    private static Owner owner(String poolId, Map<String, String> options) {
        String given = options.get(MAC_OPTION);
        String mac = isEmpty(given) ? "request-" + UUID.randomUUID() : DockerInput.mac("Options " + MAC_OPTION, given).toString();
        return Owner.of(OWNER_CLIENT, poolId, mac);
    }

    /** An IPAM failure as the plugin's error. */
    static PluginException mapped(IpamException e) {
        return switch (e.kind()) {
            case EXHAUSTED, UNAVAILABLE -> new PluginException.Refused(e.getMessage());
            case STORE -> new PluginException.HostFailure(e.getMessage(), e);
            case BUSY -> new PluginException.Busy(e.getMessage(), e);
        };
    }

    public PluginMessages.Empty releaseAddress(IpamMessages.ReleaseAddressRequest req) {
        if (Ipv6Pools.isV6Pool(req.poolId())) {
            ipv6.releaseAddress(req.poolId(), required("Address", req.address()));
            return new PluginMessages.Empty();
        }
        Ip4Net pool = poolSubnet(required("PoolID", req.poolId()));
        Ip4 ip = parseIp("Address", required("Address", req.address()));
        if (!pool.contains(ip)) {
            throw new PluginException.BadRequest("address " + ip + " is not in pool " + pool);
        }
        Optional<Owner> owner;
        try (Store.Lock lock = addresses.lock()) {
            // only Docker's own reservation: a repeated release must never free an address that
            // meanwhile went to a CNI pod
            owner = addresses.ip4().ownerOf(ip);
            if (owner.isPresent() && OWNER_CLIENT.equals(owner.get().client())) {
                addresses.ip4().release(ip);
            }
        } catch (IpamException e) {
            throw e.kind() == IpamException.Kind.BUSY ? new PluginException.Busy(e.getMessage(), e)
                    : new PluginException.HostFailure(e.getMessage(), e);
        }
        if (owner.isPresent() && !OWNER_CLIENT.equals(owner.get().client())) {
            LOG.warn("release of {} refused: {} holds it, not Docker", ip, owner.get());
        } else {
            LOG.info("address {} released{}", ip, owner.isEmpty() ? " (was not reserved)" : "");
        }
        return new PluginMessages.Empty();
    }

    /**
     * The pool ID names the lease it was cut from ({@code javaoverlay:10.5.72.0-24}), so pools
     * need no state of their own: nothing can get out of step when dockerd requests and
     * releases pools in its own order (it holds a pool and asks again while checking overlaps).
     */
    public static String poolId(Ip4Net subnet) {
        return POOL_ID_PREFIX + subnet.toKey();
    }

    /** The ID of the {@link #ANY_POOL} answer: the same lease, marked so its release is told apart. */
    static String anyPoolId(Ip4Net subnet) {
        return poolId(subnet) + ANY_POOL_SUFFIX;
    }

    static final String ANY_POOL_SUFFIX = ":any";

    static Ip4Net poolSubnet(String poolId) {
        if (poolId.startsWith(POOL_ID_PREFIX)) {
            String key = poolId.substring(POOL_ID_PREFIX.length());
            if (key.endsWith(ANY_POOL_SUFFIX)) {
                key = key.substring(0, key.length() - ANY_POOL_SUFFIX.length());
            }
            try {
                return Ip4Net.parseKey(key);
            } catch (IllegalArgumentException e) {
                // fall through to the error below
            }
        }
        throw new PluginException.NotFound("unknown pool " + poolId + ": not a javaoverlay pool; remove the network and create it"
                + " again with --ipam-driver javaoverlay");
    }

    private SubnetEnv currentFor(Ip4Net pool) {
        SubnetEnv env = lease.current();
        if (!env.lease().equals(pool)) {
            throw new PluginException.Refused("this host's lease is now " + env.lease() + ", not " + pool
                    + " (the agent lost its lease and got a new subnet); remove the network and create it again");
        }
        return env;
    }

    private static String required(String field, String value) {
        if (isEmpty(value)) {
            throw new PluginException.BadRequest(field + " is missing");
        }
        return value;
    }

    static boolean isEmpty(String s) {
        return s == null || s.isEmpty();
    }

    private static Ip4Net parseNet(String field, String text) {
        return DockerInput.parsed(field, text, Ip4Net::parse);
    }

    private static Ip4 parseIp(String field, String text) {
        return DockerInput.parsed(field, text, Ip4::parse);
    }
}
