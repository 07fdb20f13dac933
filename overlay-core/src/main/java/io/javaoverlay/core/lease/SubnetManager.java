package io.javaoverlay.core.lease;

import java.time.Duration;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashSet;
import java.util.Set;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.javaoverlay.core.config.NetworkConfig;
import io.javaoverlay.core.config.NetworkConfigException;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.Ip6Net;
import io.javaoverlay.core.config.Ipv6Config;

/**
 * flannel's subnet manager over a {@link LeaseStore}: reads the network config, acquires this
 * host's lease, renews it, and watches the other hosts' leases.
 *
 * <p>Acquisition, in flannel's order: this host's existing lease (same PublicIP, still inside
 * SubnetMin..SubnetMax and of SubnetLen), else the subnet from the previous subnet file if
 * nobody holds it, else a random free subnet. Creation is atomic in the store; a host that loses
 * the race re-lists and tries another subnet. Unlike flannel (which picks among the first 100
 * free subnets and gives up after 10 races), the pick is uniform over all free subnets and the
 * retries are bounded by the number of subnets, since every lost race means one more subnet
 * was taken.
 */
public final class SubnetManager implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SubnetManager.class);

    /** flannel's lease TTL. */
    public static final Duration DEFAULT_TTL = Duration.ofHours(24);

    private final LeaseStore store;
    private final Duration ttl;

    public SubnetManager(LeaseStore store, Duration ttl) {
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("lease TTL must be positive, got " + ttl);
        }
        this.store = store;
        this.ttl = ttl;
    }

    public LeaseStore store() {
        return store;
    }

    public Duration ttl() {
        return ttl;
    }

    /**
     * The network config from the store.
     *
     * @throws MissingConfigException when none is set
     * @throws NetworkConfigException when it is invalid (the message says what to fix)
     */
    public NetworkConfig networkConfig() {
        String json = store.readNetworkConfig().orElseThrow(() -> store instanceof EtcdLeaseStore etcd
                ? MissingConfigException.inEtcd(etcd.options())
                : new MissingConfigException(store.networkConfigLocation()));
        try {
            NetworkConfig c = NetworkConfig.parse(json);
            store.useFamilies(c.enableIPv4(), c.ipv6().isPresent());
            return c;
        } catch (NetworkConfigException e) {
            throw new NetworkConfigException("the network config in " + store.networkConfigLocation() + " is invalid: " + e.getMessage(), e);
        }
    }

    /** Every lease of the network (one store read). */
    public LeaseSnapshot leases() {
        return store.list();
    }

    /**
     * Acquires this host's lease.
     *
     * @param previous the subnet from this host's existing subnet file, if any
     * @throws LeaseException.SubnetsExhaustedException when every subnet is taken
     */
    public Lease acquire(NetworkConfig config, LeaseAttrs attrs, Optional<Ip4Net> previous) {
        return acquire(config, attrs, previous, List.of());
    }

    /**
     * Acquires this host's lease, never picking a new subnet that overlaps one of
     * {@code hostRoutes}: the destinations of routes this host already has inside the network
     * (its underlay, an operator's route), which a lease there would shadow. This host's own
     * earlier lease and the subnet of its subnet file are reused all the same: its bridge routes
     * that subnet.
     */
    public Lease acquire(NetworkConfig config, LeaseAttrs attrs, Optional<Ip4Net> previous, List<Ip4Net> hostRoutes) {
        return acquire(config, attrs, previous, Optional.empty(), hostRoutes);
    }

    /**
     * Acquires this host's lease; with IPv6 enabled a dual-stack one, its IPv6 subnet picked as
     * flannel picks it (at random among the first 100 free subnets from IPv6SubnetMin: the space
     * is too large to survey). {@code previous6} is the IPv6 subnet of the subnet file, reused
     * together with {@code previous}, as flannel does.
     */
    public Lease acquire(NetworkConfig config, LeaseAttrs attrs, Optional<Ip4Net> previous, Optional<Ip6Net> previous6,
                         List<Ip4Net> hostRoutes) {
        if (!config.enableIPv4()) {
            return acquireIpv6Only(config, attrs);
        }
        Optional<Ip4Net> assigned = store.assignedSubnet();
        if (assigned.isPresent()) {
            return acquireAssigned(config, attrs, assigned.get());
        }
        long maxRaces = Math.min(config.subnetCount(), 10_000) + 10;
        for (long race = 0; ; race++) {
            LeaseSnapshot snap = store.list();
            Optional<Lease> reused = reuseOwn(config, attrs, snap.leases());
            if (reused.isPresent()) {
                return reused.get();
            }
            Optional<Ip6Net> prev6 = previous6;
            Optional<Ip4Net> reuse = previous.filter(p -> isFree(p, snap.leases()) && compatible(config, p, "previously leased")
                    && (config.ipv6().isEmpty() || prev6.filter(p6 -> isFree6(p6, snap.leases()) && config.isCompatible(Optional.of(p6))).isPresent()));
            Ip4Net candidate = reuse.orElseGet(() -> pickFree(config, snap.leases(), hostRoutes));
            Optional<Ip6Net> candidate6 = config.ipv6().map(v6 -> reuse.isPresent() ? prev6.orElseThrow() : pickFree6(v6, snap.leases()));
            try {
                Lease l = store.create(candidate, candidate6, attrs, ttl);
                LOG.info("allocated lease {}{} to this host ({})", candidate, candidate6.map(c -> " and " + c).orElse(""), attrs.publicIp());
                return l;
            } catch (LeaseException.SubnetTakenException e) {
                if (race >= maxRaces) {
                    throw new LeaseException("gave up acquiring a subnet after losing " + race + " races in " + store.describe(), e);
                }
                LOG.info("subnet {} was taken by another host first; trying another", candidate);
                previous = Optional.empty();
            }
        }
    }

    /**
     * The store assigns this host's subnet (Kubernetes: the node's podCIDR): nothing is picked,
     * the subnet is checked against the network config and this host's attributes are published
     * with it. A subnet outside the Network, or of another size than SubnetLen, is a config error:
     * every peer would reject the others' leases.
     */
    private Lease acquireAssigned(NetworkConfig config, LeaseAttrs attrs, Ip4Net subnet) {
        checkAssigned(Family.IPV4, subnet, config.network().contains(subnet), config.network(), subnet.prefixLength(), config.subnetLen());
        Optional<Ip6Net> subnet6 = config.ipv6().isPresent() ? Optional.of(assignedIpv6(config.ipv6().get())) : Optional.empty();
        Optional<Lease> there = store.get(subnet);
        Lease l = there.isPresent() ? store.update(there.get(), attrs, ttl) : store.create(subnet, subnet6, attrs, ttl);
        LOG.info("subnet {}{} is assigned to this host ({}) by {}", subnet, subnet6.map(s -> " and " + s).orElse(""), attrs.publicIp(),
                store.describe());
        return l;
    }

    /**
     * An IPv6-only lease ({@code EnableIPv4: false}): only a store that assigns subnets holds one
     * (flannel's Kubernetes subnet manager; its etcd manager gives every host an IPv4 subnet too).
     * The node's IPv6 podCIDR is checked as a dual-stack lease's IPv6 half is, and this host's
     * attributes are published with it.
     */
    private Lease acquireIpv6Only(NetworkConfig config, LeaseAttrs attrs) {
        if (!store.holdsIpv6OnlyLeases() || config.ipv6().isEmpty()) {
            throw new NetworkConfigException(IPV6_ONLY_NEEDS_KUBE + " (" + store.describe() + ")");
        }
        Ip6Net s6 = assignedIpv6(config.ipv6().get());
        Lease l = store.createIpv6Only(s6, attrs, ttl);
        LOG.info("IPv6 subnet {} is assigned to this host ({}) by {}; IPv6 only", s6, attrs.publicIpv6().orElse("?"), store.describe());
        return l;
    }

    /** Why an IPv6-only network runs only with the Kubernetes subnet manager. */
    public static final String IPV6_ONLY_NEEDS_KUBE = "IPv6-only networks (EnableIPv4: false) run only with the Kubernetes subnet"
            + " manager (--kube-subnet-mgr), as in flannel: flannel's etcd subnet manager gives every host an IPv4 subnet too, so it"
            + " does not do IPv6-only, and neither do etcd or the embedded store (--lease-dir) here; run with --kube-subnet-mgr on an"
            + " IPv6-only cluster, or enable IPv4 (see docs/ipv6.md)";

    /** The store's IPv6 subnet for this host (dual stack), checked against IPv6Network and IPv6SubnetLen as the IPv4 one is. */
    private Ip6Net assignedIpv6(Ipv6Config v6) {
        Ip6Net s6 = store.assignedIpv6Subnet().orElseThrow(() -> new NetworkConfigException("EnableIPv6 is set but " + store.describe()
                + " assigns this host no IPv6 subnet (in Kubernetes: the node's spec.podCIDRs has no IPv6 entry; a dual-stack cluster"
                + " gives kube-controller-manager an IPv4 and an IPv6 --cluster-cidr): make the cluster dual-stack, or set EnableIPv6 to false"));
        checkAssigned(Family.IPV6, s6, v6.network().contains(s6), v6.network(), s6.prefixLength(), v6.subnetLen());
        return s6;
    }

    /** How the network config and Kubernetes name one address family's settings, for the messages of {@link #checkAssigned}. */
    private enum Family {
        IPV4("", "Network", "SubnetLen", "--node-cidr-mask-size"),
        IPV6("IPv6 ", "IPv6Network", "IPv6SubnetLen", "--node-cidr-mask-size-ipv6");

        /** Written before "subnet" and "--cluster-cidr" in the messages: empty for IPv4. */
        final String label;
        final String networkKey;
        final String subnetLenKey;
        final String maskSizeFlag;

        Family(String label, String networkKey, String subnetLenKey, String maskSizeFlag) {
            this.label = label;
            this.networkKey = networkKey;
            this.subnetLenKey = subnetLenKey;
            this.maskSizeFlag = maskSizeFlag;
        }
    }

    /** Fails unless the subnet the store assigns this host lies in the family's network and is of its subnet length. */
    private void checkAssigned(Family f, Object subnet, boolean inNetwork, Object network, int prefixLength, int subnetLen) {
        if (!inNetwork) {
            throw new NetworkConfigException("this host's assigned " + f.label + "subnet " + subnet + " (from " + store.describe() + ") is outside "
                    + f.networkKey + " " + network + ": make the network config's " + f.networkKey + " contain it (in Kubernetes: the cluster's "
                    + f.label + "--cluster-cidr)");
        }
        if (prefixLength != subnetLen) {
            throw new NetworkConfigException("this host's assigned " + f.label + "subnet " + subnet + " (from " + store.describe() + ") is a /"
                    + prefixLength + " but " + f.subnetLenKey + " is " + subnetLen + ": set \"" + f.subnetLenKey + "\": " + prefixLength
                    + " in the network config (in Kubernetes: the controller manager's " + f.maskSizeFlag + ")");
        }
    }

    private Optional<Lease> reuseOwn(NetworkConfig config, LeaseAttrs attrs, List<Lease> leases) {
        for (Lease l : leases) {
            if (!l.attrs().publicIp().equals(attrs.publicIp())) {
                continue;
            }
            if (config.isCompatible(l.subnet()) && config.isCompatible(l.ipv6Subnet())) {
                LOG.info("found lease {} for this host's public IP {}, reusing it{}", l.subnet(), attrs.publicIp(),
                        l.reservation() ? " (a reservation)" : "");
                return Optional.of(store.update(l, attrs, ttl));
            }
            if (l.reservation()) {
                LOG.warn("reservation {} for this host's public IP {} is outside the network config ({}); leaving it alone",
                        l.subnet(), attrs.publicIp(), config.describe());
                continue;
            }
            LOG.info("found lease {} for this host's public IP {} but it does not fit the network config ({}); deleting it",
                    l.subnet(), attrs.publicIp(), config.describe());
            store.delete(l.subnet());
        }
        return Optional.empty();
    }

    private static boolean compatible(NetworkConfig config, Ip4Net subnet, String what) {
        if (config.isCompatible(subnet)) {
            LOG.info("found {} subnet {}, reusing it", what, subnet);
            return true;
        }
        LOG.warn("{} subnet {} does not fit the network config ({}); ignoring it", what, subnet, config.describe());
        return false;
    }

    private static boolean isFree(Ip4Net subnet, List<Lease> leases) {
        return leases.stream().noneMatch(l -> l.subnet().overlaps(subnet));
    }

    private static boolean isFree6(Ip6Net subnet, List<Lease> leases) {
        return leases.stream().noneMatch(l -> l.ipv6Subnet().filter(s -> s.overlaps(subnet)).isPresent());
    }

    /** flannel's choice: uniformly among the first 100 free IPv6 subnets from IPv6SubnetMin. */
    static Ip6Net pickFree6(Ipv6Config v6, List<Lease> leases) {
        Set<BigInteger> sameLength = new HashSet<>();
        List<Ip6Net> others = new ArrayList<>();
        for (Lease l : leases) {
            l.ipv6Subnet().ifPresent(s -> {
                if (s.prefixLength() == v6.subnetLen()) {
                    sameLength.add(s.address());
                } else {
                    others.add(s);
                }
            });
        }
        List<Ip6Net> free = new ArrayList<>(100);
        // at most one step per lease beyond the 100 free ones: each taken subnet is skipped once
        long budget = 100L + leases.size();
        Ip6Net sn = new Ip6Net(v6.subnetMin(), v6.subnetLen());
        for (long step = 0; step <= budget && free.size() < 100 && sn.address().compareTo(v6.subnetMax()) <= 0; step++, sn = sn.next()) {
            Ip6Net c = sn;
            if (!sameLength.contains(c.address()) && others.stream().noneMatch(o -> o.overlaps(c))) {
                free.add(c);
            }
        }
        if (free.isEmpty()) {
            throw new LeaseException.SubnetsExhaustedException("no free IPv6 subnet from " + Ip6Net.format(v6.subnetMin()) + " to "
                    + Ip6Net.format(v6.subnetMax()) + " (/" + v6.subnetLen() + "): delete stale leases or widen IPv6SubnetMin/IPv6SubnetMax");
        }
        return free.get(ThreadLocalRandom.current().nextInt(free.size()));
    }

    /** A uniformly random subnet of SubnetMin..SubnetMax that no lease, reservation or host route overlaps. */
    static Ip4Net pickFree(NetworkConfig config, List<Lease> leases, List<Ip4Net> hostRoutes) {
        long count = config.subnetCount();
        if (count > Integer.MAX_VALUE) {
            throw new IllegalStateException("too many subnets: " + count);
        }
        int n = (int) count;
        int shift = 32 - config.subnetLen();
        long min = config.subnetMin().unsigned();
        BitSet taken = new BitSet(n);
        int reservations = 0;
        int ignored = 0;
        for (Lease l : leases) {
            if (l.subnet().prefixLength() < config.network().prefixLength()) {
                // wider than the whole Network (0.0.0.0-0, 128.0.0.0-1): no host of this network holds
                // that; taken at its word it would leave no subnet for anyone
                ignored++;
                continue;
            }
            if (markTaken(taken, l.subnet(), min, shift, n) && l.reservation()) {
                reservations++;
            }
        }
        if (ignored > 0) {
            LOG.warn("ignored {} keys wider than Network {} when picking a subnet", ignored, config.network());
        }
        int byLeases = taken.cardinality();
        for (Ip4Net r : hostRoutes) {
            markTaken(taken, r, min, shift, n);
        }
        int byRoutes = taken.cardinality() - byLeases;
        if (byRoutes > 0) {
            LOG.info("{} subnets of the network are not leased because this host already routes them ({})", byRoutes, hostRoutes);
        }
        int free = n - taken.cardinality();
        if (free == 0) {
            Ip4Net lo = new Ip4Net(config.subnetMin(), config.subnetLen());
            Ip4Net hi = new Ip4Net(config.subnetMax(), config.subnetLen());
            throw new LeaseException.SubnetsExhaustedException("no free subnet: all " + n + " subnets from " + lo + " to " + hi
                    + " are taken (" + (leases.size() - reservations) + " leases, " + reservations + " reservations"
                    + (byRoutes > 0 ? ", " + byRoutes + " routed by this host: " + hostRoutes : "") + ");"
                    + " delete stale leases or widen the range (SubnetMin/SubnetMax, Network)");
        }
        int k = ThreadLocalRandom.current().nextInt(free);
        int index = -1;
        for (int i = 0; i <= k; i++) {
            index = taken.nextClearBit(index + 1);
        }
        return new Ip4Net(new Ip4((int) (min + ((long) index << shift))), config.subnetLen());
    }

    /** Marks the subnets {@code net} overlaps as taken; false when it lies outside SubnetMin..SubnetMax. */
    private static boolean markTaken(BitSet taken, Ip4Net net, long min, int shift, int n) {
        long start = net.address().unsigned();
        long end = net.last().unsigned();
        long first = Math.max(0, (start - min) >> shift);
        long last = Math.min(n - 1L, (end - min) >> shift);
        if (end < min || first > last) {
            return false;
        }
        taken.set((int) first, (int) last + 1);
        return true;
    }

    /**
     * Extends this host's lease by the TTL.
     *
     * @throws LeaseException.LeaseLostException when the lease is gone from the store
     */
    public Lease renew(Lease own) {
        if (own.reservation()) {
            return own;
        }
        return store.renew(own, ttl);
    }

    /**
     * Watches the other hosts' leases. {@code onStart} first receives the peers of {@code start}
     * (as Added events), then every change, in batches; {@code onOwnLeaseRemoved} is called
     * when this host's own key disappears.
     */
    public AutoCloseable watchPeers(Ip4Net own, LeaseSnapshot start, WatchListener listener) {
        return watchPeers(LeaseId.of(own), start, listener);
    }

    /** The same for this host's lease named by {@code own} (an IPv6-only lease by its IPv6 subnet). */
    public AutoCloseable watchPeers(LeaseId own, LeaseSnapshot start, WatchListener listener) {
        LeaseWatcher watcher = new LeaseWatcher(own);
        List<LeaseEvent> initial = watcher.reset(start.leases());
        listener.onPeerEvents(initial);
        return store.watch(start, new LeaseStore.Listener() {
            @Override
            public void onEvents(List<LeaseStore.KeyEvent> events) {
                deliver(watcher.update(events));
            }

            @Override
            public void onResync(LeaseSnapshot snapshot) {
                deliver(watcher.reset(snapshot.leases()));
            }

            @Override
            public void onDisconnected(Throwable cause) {
                listener.onWatchState(false, cause.toString());
            }

            @Override
            public void onReconnected() {
                listener.onWatchState(true, "resumed");
            }

            private void deliver(List<LeaseEvent> batch) {
                if (!batch.isEmpty()) {
                    listener.onPeerEvents(batch);
                }
                if (watcher.ownLeaseRemoved()) {
                    listener.onOwnLeaseRemoved(own);
                }
            }
        });
    }

    /** What the peer watch reports; called from the store's watch thread. */
    public interface WatchListener {
        void onPeerEvents(List<LeaseEvent> batch);

        void onOwnLeaseRemoved(Ip4Net own);

        /** This host's key, named by {@code own}, disappeared; an IPv4 (or dual-stack) one goes to {@link #onOwnLeaseRemoved(Ip4Net)}. */
        default void onOwnLeaseRemoved(LeaseId own) {
            own.ipv4().ifPresent(this::onOwnLeaseRemoved);
        }

        default void onWatchState(boolean connected, String detail) {}
    }

    /** A listener from two lambdas (peer batches, own lease removed), for tests and tools. */
    public static WatchListener listener(Consumer<List<LeaseEvent>> events, Consumer<Ip4Net> ownRemoved) {
        return new WatchListener() {
            @Override
            public void onPeerEvents(List<LeaseEvent> batch) {
                events.accept(batch);
            }

            @Override
            public void onOwnLeaseRemoved(Ip4Net own) {
                ownRemoved.accept(own);
            }
        };
    }

    @Override
    public void close() {
        store.close();
    }

    /** No network config is stored yet. */
    public static final class MissingConfigException extends LeaseException {
        private static final long serialVersionUID = 1L;
        private static final String EXAMPLE = "'{\"Network\": \"10.244.0.0/16\", \"Backend\": {\"Type\": \"vxlan\"}}'";

        public MissingConfigException(String location) {
            this(location, "set one with `javaoverlay config set " + EXAMPLE + "`");
        }

        private MissingConfigException(String location, String whatToDo) {
            super("no network config at " + location + ": " + whatToDo);
        }

        /**
         * In etcd, the usual cause is the v2/v3 trap, which flanneld's own message hints at ("Did you create your config
         * using etcdv3 API?"): older guides write the config with {@code etcdctl set}, the v2 API, whose keys live apart
         * from the v3 keys flanneld and javaoverlay read. Say so, with commands that work as they stand.
         */
        static MissingConfigException inEtcd(EtcdOptions o) {
            String endpoints = String.join(",", o.endpoints());
            String key = o.prefix() + "/config";
            String prefixFlag = o.prefix().equals(EtcdOptions.DEFAULT_PREFIX) ? "" : " --etcd-prefix=" + o.prefix();
            String tls = o.usesTls() ? " (plus the --etcd-cafile/--etcd-certfile/--etcd-keyfile given to the agent)" : "";
            String etcdctlTls = o.usesTls() ? " (plus --cacert/--cert/--key)" : "";
            return new MissingConfigException(key + " in etcd at " + endpoints, "put one there with `javaoverlay config set --etcd-endpoints=" + endpoints + prefixFlag + " " + EXAMPLE + "`" + tls
                    + ", or with etcdctl's v3 API: `ETCDCTL_API=3 etcdctl --endpoints=" + endpoints + " put " + key + " " + EXAMPLE + "`"
                    + etcdctlTls + ". A config written with `etcdctl set` or `etcdctl mk` (the v2 API that older guides use) is"
                    + " invisible to v3 clients such as flanneld and javaoverlay: write it again with `etcdctl put`"
                    + " (v3 is etcdctl's default since etcd 3.4; older etcdctl needs ETCDCTL_API=3)");
        }
    }
}
