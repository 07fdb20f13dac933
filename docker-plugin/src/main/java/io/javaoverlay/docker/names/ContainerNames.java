package io.javaoverlay.docker.names;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.javaoverlay.core.config.SubnetEnv;
import io.javaoverlay.core.metrics.OverlayMetrics;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.threads.DaemonThreads;
import io.javaoverlay.docker.HostLease;
import io.javaoverlay.docker.state.EndpointState;

/**
 * Container names across hosts. One thread, one round every {@code period}:
 *
 * <ol>
 * <li>read {@code <prefix>/subnets/} and {@code <prefix>/names/} (two range reads) and replace the
 *     {@link NameTable} with the entries that pass the checks: a well-formed key ({@link NameKeys}),
 *     a subnet that is a live lease, the entry bound to that lease's etcd lease (so it was written
 *     by the lease's holder and goes with it), the address inside the lease. Anything else is
 *     skipped, counted ({@link #rejected()}, {@code javaoverlay_container_names_rejected_total{reason}})
 *     and logged, once per version of the key;</li>
 * <li>publish this host's names: every joined endpoint's container name and aliases, asked of
 *     dockerd once per endpoint (after the Join, never during it), as keys under this host's
 *     lease, written with the etcd lease of this host's {@code subnets/} key; keys of endpoints
 *     that left, or bound to an old etcd lease, are deleted. The same diff runs at start, so a
 *     restarted plugin cleans what it published before;</li>
 * <li>keep the {@link DnsServer} on the address the lease says (the bridge's gateway).</li>
 * </ol>
 *
 * Polling rather than a watch keeps it to one owner and no resync logic; its cost is two range
 * reads per period per host, and a name appears or goes within about two periods.
 */
public final class ContainerNames implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ContainerNames.class);

    /** Bounds the table and what one round reads of the store. */
    static final int MAX_NAMES = 100_000;
    /** dockerd lookups per round: a burst of starts is spread over rounds instead of stalling one. */
    private static final int LOOKUPS_PER_ROUND = 32;
    private static final int MAX_LOGGED_KEYS = 1000;
    /** Below etcd's default --max-txn-ops (128). */
    private static final int TXN_OPS = 100;

    private final Client etcd;
    private final NameKeys keys;
    private final HostLease lease;
    private final Supplier<Collection<EndpointState>> endpoints;
    private final ContainerNameSource docker;
    private final NameTable table;
    private final DnsServer dns;
    private final Function<SubnetEnv, InetSocketAddress> listenAt;
    private final Duration period;
    /** Where the names served and the entries skipped are counted. */
    private final OverlayMetrics metrics;
    private final ScheduledExecutorService loop;
    private final AtomicLong rejected = new AtomicLong();
    private final Set<String> seenRejected = new HashSet<>();
    /** Names per endpoint ID, as dockerd told them (an endpoint's names do not change). */
    private final Map<String, ContainerNameSource.Named> named = new HashMap<>();
    private volatile boolean lastRoundOk;

    public ContainerNames(Client etcd, NameKeys keys, HostLease lease, Supplier<Collection<EndpointState>> endpoints,
            ContainerNameSource docker, NameTable table, DnsServer dns, Function<SubnetEnv, InetSocketAddress> listenAt,
            Duration period, OverlayMetrics metrics) {
        this.metrics = metrics;
        this.etcd = etcd;
        this.keys = keys;
        this.lease = lease;
        this.endpoints = endpoints;
        this.docker = docker;
        this.table = table;
        this.dns = dns;
        this.listenAt = listenAt;
        this.period = period;
        this.loop = DaemonThreads.scheduler("container-names");
    }

    public ContainerNames start() {
        loop.scheduleWithFixedDelay(this::round, 0, period.toMillis(), TimeUnit.MILLISECONDS);
        return this;
    }

    /** Store entries skipped since start (each version of a key once). */
    public long rejected() {
        return rejected.get();
    }

    /** Whether the last round read the store (for tests and logs). */
    public boolean lastRoundOk() {
        return lastRoundOk;
    }

    void round() {
        try {
            Map<Ip4Net, Long> leases = new HashMap<>();
            for (KeyValue kv : range(keys.subnetsPrefix())) {
                try {
                    leases.put(keys.parseSubnetKey(kv.getKey().toString(UTF_8)), kv.getLease());
                } catch (IllegalArgumentException e) {
                    // the agent rejects and counts bad leases; names under them will not match any lease
                }
            }
            List<KeyValue> names = range(keys.namesPrefix());
            table.replace(validate(names, leases));
            Optional<SubnetEnv> env = lease.ifAny(e -> LOG.debug("no lease yet for container names: {}", e.getMessage()));
            if (env.isPresent()) {
                publish(env.get(), leases, names);
                keepListening(env.get());
            }
            lastRoundOk = true;
        } catch (IOException | RuntimeException e) {
            lastRoundOk = false;
            LOG.warn("container names: {} (trying again in {} ms)", e.getMessage(), period.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private Map<String, List<Ip4>> validate(List<KeyValue> kvs, Map<Ip4Net, Long> leases) {
        Map<String, Set<Ip4>> byName = new TreeMap<>();
        for (KeyValue kv : kvs) {
            String key = kv.getKey().toString(UTF_8);
            NameKeys.Entry e;
            try {
                e = keys.parse(key);
            } catch (NameKeys.BadKey bad) {
                reject(kv, bad.reason(), bad.getMessage());
                continue;
            }
            Long owner = leases.get(e.lease());
            if (owner == null) {
                reject(kv, "no-lease", "no live lease for " + e.lease());
            } else if (owner != kv.getLease()) {
                reject(kv, "not-lease-bound", "not bound to the etcd lease of " + e.lease() + " (" + kv.getLease()
                        + " instead of " + owner + ")");
            } else if (byName.size() >= MAX_NAMES && !byName.containsKey(e.name())) {
                reject(kv, "too-many", "more than " + MAX_NAMES + " names");
            } else {
                byName.computeIfAbsent(e.name(), n -> new LinkedHashSet<>()).add(e.address());
            }
        }
        Map<String, List<Ip4>> out = new HashMap<>();
        byName.forEach((n, a) -> out.put(n, List.copyOf(a)));
        metrics.containerNames(out.size());
        return out;
    }

    /** Skips {@code kv}; counted and logged once per version of the key (it is read again every round). */
    private void reject(KeyValue kv, String reason, String why) {
        String key = kv.getKey().toString(UTF_8);
        if (seenRejected.size() > MAX_LOGGED_KEYS) {
            seenRejected.clear();
        }
        if (seenRejected.add(key + "@" + kv.getModRevision())) {
            long n = rejected.incrementAndGet();
            metrics.containerNameRejected(reason);
            LOG.warn("skipping container name {}: {} ({} skipped so far)", key, why, n);
        }
    }

    private void publish(SubnetEnv env, Map<Ip4Net, Long> leases, List<KeyValue> names)
            throws InterruptedException, IOException {
        Ip4Net own = env.lease();
        Long etcdLease = leases.get(own);
        if (etcdLease == null || etcdLease == 0) {
            LOG.debug("lease {} not in the store (yet): publishing no names", own);
            return;
        }
        Map<String, String> wanted = wanted(own);
        String mine = keys.hostPrefix(own);
        Set<String> present = new HashSet<>();
        List<Op> changes = new ArrayList<>();
        for (KeyValue kv : names) {
            String key = kv.getKey().toString(UTF_8);
            if (!key.startsWith(mine)) {
                continue;
            }
            if (wanted.containsKey(key) && kv.getLease() == etcdLease) {
                present.add(key);
            } else {
                changes.add(Op.delete(bytes(key), DeleteOption.DEFAULT));
                LOG.info("container name {} withdrawn", key.substring(mine.length()));
            }
        }
        for (var w : wanted.entrySet()) {
            if (!present.contains(w.getKey())) {
                changes.add(Op.put(bytes(w.getKey()), bytes(w.getValue()), PutOption.builder().withLeaseId(etcdLease).build()));
                LOG.info("container name {} published (container {})", w.getKey().substring(mine.length()), w.getValue());
            }
        }
        // one transaction per batch: a container's names (name and aliases) come and go together
        for (int i = 0; i < changes.size(); i += TXN_OPS) {
            List<Op> batch = changes.subList(i, Math.min(changes.size(), i + TXN_OPS));
            await(etcd.getKVClient().txn().Then(batch.toArray(Op[]::new)).commit());
        }
    }

    /** Key to value for every name this host should publish now. */
    private Map<String, String> wanted(Ip4Net own) {
        Map<String, String> wanted = new HashMap<>();
        Set<String> joined = new HashSet<>();
        int lookups = 0;
        for (EndpointState ep : endpoints.get()) {
            if (!ep.joined() || !own.contains(ep.address().ip())) {
                continue;
            }
            joined.add(ep.id());
            ContainerNameSource.Named n = named.get(ep.id());
            if (n == null && lookups++ < LOOKUPS_PER_ROUND) {
                try {
                    n = docker.namesOf(ep.networkId(), ep.id()).orElse(null);
                } catch (IOException | RuntimeException e) {
                    LOG.warn("cannot read the names of endpoint {} from dockerd: {}", ep.id().substring(0, 12), e.getMessage());
                }
                if (n != null) {
                    named.put(ep.id(), n);
                    List<String> unusable = n.names().stream().filter(s -> NameKeys.label(s).isEmpty()).toList();
                    if (!unusable.isEmpty()) {
                        LOG.warn("container {}: {} cannot be DNS names (letters, digits and '-' only, up to 63): not published",
                                n.containerId(), unusable);
                    }
                }
            }
            if (n != null) {
                for (String s : n.names()) {
                    Optional<String> label = NameKeys.label(s);
                    if (label.isPresent()) {
                        wanted.put(keys.key(new NameKeys.Entry(own, label.get(), ep.address().ip())), n.containerId());
                    }
                }
            }
        }
        named.keySet().retainAll(joined);
        return wanted;
    }

    private void keepListening(SubnetEnv env) {
        InetSocketAddress at = listenAt.apply(env);
        if (dns.boundTo().map(at::equals).orElse(false)) {
            return;
        }
        try {
            dns.bind(at);
        } catch (IOException e) {
            // the gateway address appears with the bridge, at the first network create
            LOG.debug("cannot listen for DNS on {} yet: {}", at, e.toString());
        }
    }

    private List<KeyValue> range(String prefix) throws InterruptedException, IOException {
        GetResponse r = await(etcd.getKVClient().get(bytes(prefix), GetOption.builder().isPrefix(true).withLimit(MAX_NAMES).build()));
        if (r.isMore()) {
            LOG.warn("more than {} keys under {}: reading the first {} only", MAX_NAMES, prefix, MAX_NAMES);
        }
        return r.getKvs();
    }

    private static <T> T await(java.util.concurrent.CompletableFuture<T> f) throws InterruptedException, IOException {
        try {
            return f.get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new IOException("etcd: " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            f.cancel(true);
            throw new IOException("etcd did not answer within 10 s", e);
        }
    }

    private static ByteSequence bytes(String s) {
        return ByteSequence.from(s, UTF_8);
    }

    @Override
    public void close() {
        DaemonThreads.stop(loop, Duration.ofSeconds(5));
        dns.close();
        if (docker instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception e) {
                LOG.debug("closing the dockerd client: {}", e.toString());
            }
        }
        etcd.close();
    }
}
