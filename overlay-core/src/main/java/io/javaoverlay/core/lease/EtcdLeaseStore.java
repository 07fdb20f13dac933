package io.javaoverlay.core.lease;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.nio.file.Files;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.etcd.jetcd.lease.NoSuchLeaseException;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.javaoverlay.core.metrics.OverlayMetrics;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.Ip6Net;

/**
 * Leases in etcd, in flannel's layout: {@code <prefix>/config} and
 * {@code <prefix>/subnets/<a.b.c.d>-<len>} (dual-stack: {@code <a.b.c.d>-<len>&<ipv6>-<len>}), each
 * lease key bound to its own etcd lease so that etcd deletes it when the host stops renewing.
 *
 * <p>A subnet is looked up by its IPv4 half: a range read of {@code <a.b.c.d>-<len>} and every key
 * that starts with {@code <a.b.c.d>-<len>&}, so callers name a lease by its IPv4 subnet whether it
 * has an IPv6 half or not.
 *
 * <p>Unlike flannel, listing reads the etcd lease ID from each key instead of asking etcd for
 * every lease's TTL: one range read however many hosts there are. Renewal keeps the host's etcd
 * lease alive instead of re-writing the key, so a renewal is not an event for every peer.
 */
public final class EtcdLeaseStore implements LeaseStore {

    private static final Logger LOG = LoggerFactory.getLogger(EtcdLeaseStore.class);

    private final EtcdOptions options;
    private final Client client;
    private final Clock clock;
    private final String subnetsPrefix;
    /** Where the lease watch counts reconnects and re-lists. */
    private final OverlayMetrics metrics;

    private EtcdLeaseStore(EtcdOptions options, Client client, Clock clock, OverlayMetrics metrics) {
        if (metrics == null) {
            throw new IllegalArgumentException("the store needs metrics to report into");
        }
        this.metrics = metrics;
        this.options = options;
        this.client = client;
        this.clock = clock;
        this.subnetsPrefix = options.prefix() + "/subnets/";
    }

    /**
     * Builds a client for {@code options}; no request is made until the first call. The lease
     * watch reports into {@code metrics} (the agent's; a command that exports none passes a
     * fresh {@link OverlayMetrics} nobody reads).
     */
    public static EtcdLeaseStore connect(EtcdOptions options, OverlayMetrics metrics) {
        return new EtcdLeaseStore(options, buildClient(options), Clock.systemUTC(), metrics);
    }

    /** A jetcd client for {@code o} (TLS and auth as the agent's); the caller closes it. */
    public static Client buildClient(EtcdOptions o) {
        ClientBuilder b = Client.builder()
                .endpoints(o.endpoints().toArray(String[]::new))
                .connectTimeout(Duration.ofSeconds(3))
                // our callers own the retry policy (backoff, resync); jetcd should give up within one request timeout
                .retryMaxDuration(o.requestTimeout())
                .keepaliveTime(Duration.ofSeconds(10))
                .keepaliveTimeout(Duration.ofSeconds(5));
        o.username().ifPresent(u -> b.user(ByteSequence.from(u, UTF_8)));
        o.password().ifPresent(p -> b.password(ByteSequence.from(p, UTF_8)));
        if (o.usesTls()) {
            for (var f : List.of(o.caFile(), o.certFile(), o.keyFile())) {
                if (f.isPresent() && !Files.isReadable(f.get())) {
                    throw new IllegalArgumentException("cannot read " + f.get() + " (given to --etcd-cafile/--etcd-certfile/--etcd-keyfile)");
                }
            }
            try {
                // read here, not by netty: netty takes only PKCS#8, flannel also PKCS#1 and SEC1 (EtcdClientCredentials)
                EtcdClientCredentials credentials = o.certFile().isPresent()
                        ? EtcdClientCredentials.read(o.certFile().get(), o.keyFile().orElseThrow())
                        : null;
                b.sslContext(ssl -> {
                    o.caFile().ifPresent(ca -> ssl.trustManager(ca.toFile()));
                    if (credentials != null) {
                        ssl.keyManager(credentials.key(), credentials.chain().toArray(X509Certificate[]::new));
                    }
                });
            } catch (EtcdClientCredentials.UnusableCredentialsException e) {
                throw e;
            } catch (IOException | IllegalArgumentException e) {
                throw new IllegalArgumentException("cannot set up TLS to etcd from --etcd-cafile/--etcd-certfile/--etcd-keyfile: "
                        + e.getMessage(), e);
            }
        }
        return b.build();
    }

    /** How this store reaches etcd (for messages that give ready-to-run commands). */
    EtcdOptions options() {
        return options;
    }

    @Override
    public String describe() {
        return "etcd at " + String.join(",", options.endpoints()) + " (prefix " + options.prefix() + ")";
    }

    @Override
    public String networkConfigLocation() {
        return options.prefix() + "/config in etcd at " + String.join(",", options.endpoints());
    }

    @Override
    public Optional<String> readNetworkConfig() {
        GetResponse r = await(client.getKVClient().get(bytes(options.prefix() + "/config")), "reading the network config");
        return r.getKvs().isEmpty() ? Optional.empty() : Optional.of(r.getKvs().get(0).getValue().toString(UTF_8));
    }

    @Override
    public void writeNetworkConfig(String json) {
        await(client.getKVClient().put(bytes(options.prefix() + "/config"), bytes(json)), "writing the network config");
    }

    @Override
    public LeaseSnapshot list() {
        GetResponse r = await(client.getKVClient().get(bytes(subnetsPrefix), GetOption.builder().isPrefix(true).build()),
                "listing leases");
        List<Lease> leases = new ArrayList<>(r.getKvs().size());
        for (KeyValue kv : r.getKvs()) {
            toLease(kv).ifPresent(leases::add);
        }
        return new LeaseSnapshot(leases, r.getHeader().getRevision());
    }

    @Override
    public Optional<Lease> get(Ip4Net subnet) {
        return find(subnet).map(this::toLease).flatMap(l -> l);
    }

    /** One round trip: the key, the revision of the answer and the cluster ID, which a rebuilt or restored etcd changes. */
    @Override
    public KeyRead read(Ip4Net subnet) {
        GetResponse r = await(client.getKVClient().get(bytes(subnetsPrefix + subnet.toKey()), GetOption.builder().isPrefix(true).build()),
                "reading lease " + subnet);
        Optional<Lease> lease = only(subnet, r.getKvs()).flatMap(this::toLease);
        return new KeyRead(lease, r.getHeader().getRevision(), Long.toHexString(r.getHeader().getClusterId()));
    }

    @Override
    public Lease create(Ip4Net subnet, LeaseAttrs attrs, Duration ttl) {
        return create(subnet, Optional.empty(), attrs, ttl);
    }

    @Override
    public Lease create(Ip4Net subnet, Optional<Ip6Net> ipv6Subnet, LeaseAttrs attrs, Duration ttl) {
        long leaseId = grant(ttl);
        ByteSequence key = bytes(subnetsPrefix + Lease.keyName(subnet, ipv6Subnet));
        ByteSequence plain = bytes(subnetsPrefix + subnet.toKey());
        TxnResponse r;
        try {
            // the key must not exist: a create revision of 0 is etcd's "absent"; a dual-stack key also
            // needs the IPv4-only key of its subnet absent (a key with another IPv6 half is caught by the
            // subnet manager's listing, as in flannel)
            r = await(client.getKVClient().txn()
                    .If(ipv6Subnet.isPresent()
                            ? new Cmp[] {new Cmp(key, Cmp.Op.EQUAL, CmpTarget.createRevision(0)),
                                         new Cmp(plain, Cmp.Op.EQUAL, CmpTarget.createRevision(0))}
                            : new Cmp[] {new Cmp(key, Cmp.Op.EQUAL, CmpTarget.createRevision(0))})
                    .Then(Op.put(key, bytes(attrs.toJson()), PutOption.builder().withLeaseId(leaseId).build()))
                    .commit(), "creating lease " + subnet);
        } catch (RuntimeException e) {
            revokeQuietly(leaseId);
            throw e;
        }
        if (!r.isSucceeded()) {
            revokeQuietly(leaseId);
            throw new LeaseException.SubnetTakenException(subnet.toString());
        }
        if (ipv6Subnet.isPresent() && lostToAnotherKeyOf(subnet, r.getHeader().getRevision())) {
            // the key of this IPv4 subnet with another IPv6 half was there first: ours goes
            revokeQuietly(leaseId);
            throw new LeaseException.SubnetTakenException(subnet.toString());
        }
        return new Lease(subnet, ipv6Subnet, attrs, false, Optional.of(clock.instant().plus(ttl)), r.getHeader().getRevision());
    }

    /**
     * etcd cannot compare a whole key range in one transaction, so two dual-stack keys of one IPv4
     * subnet ({@code 10.5.1.0-24&a::-64}, {@code 10.5.1.0-24&b::-64}) could both be created; flannel
     * lets that happen. Here the one created first wins: the later creator sees the other key
     * (created at a lower revision than {@code ours}) and withdraws.
     */
    private boolean lostToAnotherKeyOf(Ip4Net subnet, long ours) {
        GetResponse g = await(client.getKVClient().get(bytes(subnetsPrefix + subnet.toKey()), GetOption.builder().isPrefix(true).build()),
                "checking lease " + subnet);
        return g.getKvs().stream().anyMatch(kv -> kv.getCreateRevision() < ours && subnetOfKey(kv.getKey()).filter(subnet::equals).isPresent());
    }

    @Override
    public Lease update(Lease existing, LeaseAttrs attrs, Duration ttl) {
        ByteSequence key = key(existing);
        if (existing.reservation()) {
            var r = await(client.getKVClient().put(key, bytes(attrs.toJson())), "updating reservation " + existing.subnet());
            return new Lease(existing.subnet(), existing.ipv6Subnet(), attrs, true, Optional.empty(), r.getHeader().getRevision());
        }
        long oldLease = currentLeaseId(key);
        long leaseId = grant(ttl);
        io.etcd.jetcd.kv.PutResponse r;
        try {
            r = await(client.getKVClient().put(key, bytes(attrs.toJson()), PutOption.builder().withLeaseId(leaseId).build()),
                    "updating lease " + existing.subnet());
        } catch (RuntimeException e) {
            revokeQuietly(leaseId);
            throw e;
        }
        if (oldLease != 0 && oldLease != leaseId) {
            // the key now hangs on the new lease; the old one holds nothing of ours
            revokeQuietly(oldLease);
        }
        return new Lease(existing.subnet(), existing.ipv6Subnet(), attrs, false, Optional.of(clock.instant().plus(ttl)),
                r.getHeader().getRevision());
    }

    @Override
    public Lease renew(Lease own, Duration ttl) {
        ByteSequence key = key(own);
        GetResponse g = await(client.getKVClient().get(key), "reading lease " + own.subnet());
        if (g.getKvs().isEmpty()) {
            throw new LeaseException.LeaseLostException("lease " + own.subnet() + " is no longer in etcd ("
                    + options.prefix() + "/subnets/" + own.keyName() + " was deleted or expired)");
        }
        KeyValue kv = g.getKvs().get(0);
        if (kv.getLease() == 0) {
            return own.withExpiration(Optional.empty());
        }
        try {
            LeaseKeepAliveResponse r = await(client.getLeaseClient().keepAliveOnce(kv.getLease()), "renewing lease " + own.subnet());
            if (r.getTTL() > 0) {
                return own.withExpiration(Optional.of(clock.instant().plusSeconds(r.getTTL())));
            }
        } catch (LeaseException e) {
            if (!(rootCause(e) instanceof NoSuchLeaseException)) {
                throw e;
            }
        }
        // the etcd lease is gone but the key is still there (it was rewritten without our lease):
        // bind it to a new lease, unless it changed meanwhile
        long leaseId = grant(ttl);
        TxnResponse t = await(client.getKVClient().txn()
                .If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.modRevision(kv.getModRevision())))
                .Then(Op.put(key, bytes(own.attrs().toJson()), PutOption.builder().withLeaseId(leaseId).build()))
                .commit(), "re-binding lease " + own.subnet());
        if (!t.isSucceeded()) {
            revokeQuietly(leaseId);
            throw new LeaseException.LeaseLostException("lease " + own.subnet() + " changed in etcd while it was being renewed");
        }
        return own.withExpiration(Optional.of(clock.instant().plus(ttl)));
    }

    @Override
    public void delete(Ip4Net subnet) {
        // the key itself, or its dual-stack form: the IPv4 key followed by "&"
        await(client.getKVClient().txn().Then(
                Op.delete(bytes(subnetsPrefix + subnet.toKey()), io.etcd.jetcd.options.DeleteOption.DEFAULT),
                Op.delete(bytes(subnetsPrefix + subnet.toKey() + "&"), io.etcd.jetcd.options.DeleteOption.builder().isPrefix(true).build()))
                .commit(), "deleting lease " + subnet);
    }

    @Override
    public AutoCloseable watch(LeaseSnapshot start, Listener listener) {
        EtcdWatch w = new EtcdWatch(this, client.getWatchClient(), bytes(subnetsPrefix), start.revision() + 1, listener, metrics);
        w.start();
        return w;
    }

    /** The jetcd client, for tests and tools that need raw etcd access (compaction, TTL lookups). */
    public Client client() {
        return client;
    }

    /** The remaining TTL of a lease key's etcd lease: one round trip, for display only. */
    public Optional<Instant> expirationOf(Ip4Net subnet) {
        Optional<KeyValue> kv = find(subnet);
        if (kv.isEmpty() || kv.get().getLease() == 0) {
            return Optional.empty();
        }
        var ttl = await(client.getLeaseClient().timeToLive(kv.get().getLease(),
                io.etcd.jetcd.options.LeaseOption.DEFAULT), "reading the TTL of " + subnet);
        return ttl.getTTL() > 0 ? Optional.of(clock.instant().plusSeconds(ttl.getTTL())) : Optional.empty();
    }

    @Override
    public void close() {
        client.close();
    }

    /** A KV under {@code <prefix>/subnets/} as a lease; bad keys and values are skipped, as flannel does. */
    Optional<Lease> toLease(KeyValue kv) {
        String key = kv.getKey().toString(UTF_8);
        String name = key.substring(key.lastIndexOf('/') + 1);
        Optional<Lease.ParsedKey> parsed = Lease.parseKeyName(name);
        if (parsed.isEmpty()) {
            LOG.warn("ignoring {}: not a subnet key (expected a.b.c.d-len)", key);
            return Optional.empty();
        }
        try {
            LeaseAttrs attrs = LeaseAttrs.parse(kv.getValue().toString(UTF_8));
            return Optional.of(new Lease(parsed.get().subnet(), parsed.get().ipv6Subnet(), attrs, kv.getLease() == 0,
                    Optional.empty(), kv.getModRevision()));
        } catch (IllegalArgumentException e) {
            LOG.warn("ignoring lease {}: {}", key, e.getMessage());
            return Optional.empty();
        }
    }

    Optional<Ip4Net> subnetOfKey(ByteSequence key) {
        String k = key.toString(UTF_8);
        return Lease.parseKeyName(k.substring(k.lastIndexOf('/') + 1)).map(Lease.ParsedKey::subnet);
    }

    private long currentLeaseId(ByteSequence key) {
        GetResponse g = await(client.getKVClient().get(key), "reading " + key.toString(UTF_8));
        return g.getKvs().isEmpty() ? 0 : g.getKvs().get(0).getLease();
    }

    private long grant(Duration ttl) {
        // etcd TTLs are whole seconds; round up so a sub-second TTL is not 0 ("no expiry" to some readers)
        long seconds = Math.max(1, (ttl.toMillis() + 999) / 1000);
        return await(client.getLeaseClient().grant(seconds), "granting a " + seconds + "s lease").getID();
    }

    private void revokeQuietly(long leaseId) {
        try {
            client.getLeaseClient().revoke(leaseId).get(options.requestTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            LOG.debug("could not revoke etcd lease {} (it expires by itself): {}", Long.toHexString(leaseId), e.toString());
        }
    }

    private ByteSequence key(Lease lease) {
        return bytes(subnetsPrefix + lease.keyName());
    }

    /** The key of {@code subnet}, with or without an IPv6 half: one range read. */
    private Optional<KeyValue> find(Ip4Net subnet) {
        GetResponse r = await(client.getKVClient().get(bytes(subnetsPrefix + subnet.toKey()), GetOption.builder().isPrefix(true).build()),
                "reading lease " + subnet);
        return only(subnet, r.getKvs());
    }

    /**
     * Of the keys a prefix read of {@code 10.5.1.0-2} returned (which include {@code 10.5.1.0-24}),
     * the one whose IPv4 half is {@code subnet}; the plain key first should both forms exist.
     */
    private Optional<KeyValue> only(Ip4Net subnet, List<KeyValue> kvs) {
        KeyValue found = null;
        for (KeyValue kv : kvs) {
            Optional<Ip4Net> sn = subnetOfKey(kv.getKey());
            if (sn.isPresent() && sn.get().equals(subnet) && (found == null || kv.getKey().toString(UTF_8).indexOf('&') < 0)) {
                found = kv;
            }
        }
        return Optional.ofNullable(found);
    }

    static ByteSequence bytes(String s) {
        return ByteSequence.from(s, UTF_8);
    }

    <T> T await(CompletableFuture<T> f, String what) {
        try {
            return f.get(options.requestTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            f.cancel(true);
            Thread.currentThread().interrupt();
            throw new LeaseException.StoreUnavailableException("interrupted while " + what, e);
        } catch (TimeoutException e) {
            f.cancel(true);
            throw new LeaseException.StoreUnavailableException("etcd at " + String.join(",", options.endpoints()) + " did not answer "
                    + what + " within " + options.requestTimeout().toSeconds() + "s: is etcd running and reachable?", e);
        } catch (ExecutionException e) {
            Throwable cause = rootCause(e);
            throw new LeaseException.StoreUnavailableException("etcd at " + String.join(",", options.endpoints()) + " failed "
                    + what + ": " + cause.getMessage(), cause);
        }
    }

    static Throwable rootCause(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null && c.getCause() != c) {
            if (c instanceof NoSuchLeaseException) {
                return c;
            }
            c = c.getCause();
        }
        return c;
    }
}
