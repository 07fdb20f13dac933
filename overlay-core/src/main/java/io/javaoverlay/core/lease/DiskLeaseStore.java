package io.javaoverlay.core.lease;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.javaoverlay.core.files.AtomicFiles;
import io.javaoverlay.core.files.FileModes;
import io.javaoverlay.core.files.LockFile;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.Ip6Net;
import io.javaoverlay.core.threads.DaemonThreads;

/**
 * The embedded lease store: the same lease semantics as etcd, in a directory on this machine,
 * for running without etcd (one host, or several agents on one machine, e.g. in namespaces).
 *
 * <pre>
 * &lt;dir&gt;/.lock                    every change holds an exclusive lock on this file
 * &lt;dir&gt;/revision                 the store's revision, bumped by every change
 * &lt;dir&gt;/subnets/10.244.1.0-24.json  {"Value": "&lt;flannel's lease JSON&gt;", "Expiration": "...Z", "Revision": 7}
 * &lt;dir&gt;/subnets/10.244.2.0-24&amp;fc00:0:0:2::-64.json   a dual-stack lease, named as flannel names its key
 * &lt;dir&gt;/net-conf.json            the network config written by `javaoverlay config set`
 * </pre>
 *
 * The network config is {@code --net-config-path} when given, else {@code <dir>/net-conf.json},
 * else {@link #DEFAULT_NETWORK_CONFIG} (10.244.0.0/16, vxlan).
 *
 * A lease file whose {@code Expiration} is null is a reservation. Expired leases are deleted
 * by whoever next takes the lock (a listing, a watch poll). Files are replaced by rename, so a
 * reader never sees half of one. The lock is a POSIX lock between processes plus a JVM-wide
 * lock per file ({@link LockFile}), waited for at most the store's bound: a holder that does not
 * let go makes the call fail with {@link LeaseException.StoreBusyException}, which the agent
 * retries like any store that did not answer. The directory is {@code rwx------} and its files
 * {@code rw-------} ({@link FileModes}): no other local user can read, change or lock them.
 *
 * <p>Watching polls the revision file (default every 200 ms) and re-reads the leases only when
 * it changed or a lease is due to expire.
 */
public final class DiskLeaseStore implements LeaseStore {

    private static final Logger LOG = LoggerFactory.getLogger(DiskLeaseStore.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * The network config of an embedded store that has none: what lets {@code javaoverlay agent}
     * run with no flags at all. flannel's Kubernetes manifests use the same network.
     */
    public static final String DEFAULT_NETWORK_CONFIG = "{\"Network\": \"10.244.0.0/16\", \"Backend\": {\"Type\": \"vxlan\"}}";

    /** Where the embedded store lives unless {@code --lease-dir} says otherwise. */
    public static final Path DEFAULT_DIR = Path.of("/var/lib/javaoverlay/leases");

    private final Path dir;
    private final Path subnets;
    private final Optional<Path> netConfigPath;
    private final Clock clock;
    private final Duration pollInterval;
    private final Duration lockWait;

    /**
     * @param netConfigPath a network config file that takes precedence over {@code <dir>/net-conf.json}
     *                      ({@code --net-config-path})
     * @param lockWait      how long a call waits for another process holding the store's lock
     */
    public DiskLeaseStore(Path dir, Optional<Path> netConfigPath, Clock clock, Duration pollInterval, Duration lockWait) {
        this.netConfigPath = netConfigPath;
        this.clock = clock;
        this.pollInterval = pollInterval;
        this.lockWait = lockWait;
        Path abs = dir.toAbsolutePath().normalize();
        try {
            FileModes.privateDirectory(abs);
            // the real path keys the in-process lock, so two spellings of one directory share it
            this.dir = abs.toRealPath();
            this.subnets = FileModes.privateDirectory(this.dir.resolve("subnets"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot use the lease directory " + abs + " (" + e.getMessage()
                    + "; set --lease-dir to a directory only this user can write)", e);
        }
    }

    public DiskLeaseStore(Path dir, Optional<Path> netConfigPath, Clock clock, Duration pollInterval) {
        this(dir, netConfigPath, clock, pollInterval, LockFile.DEFAULT_WAIT);
    }

    public DiskLeaseStore(Path dir, Optional<Path> netConfigPath) {
        this(dir, netConfigPath, Clock.systemUTC(), Duration.ofMillis(200));
    }

    /** The file every change locks. */
    public Path lockFile() {
        return dir.resolve(".lock");
    }

    @Override
    public String describe() {
        return "embedded store in " + dir;
    }

    /** The config file this store reads: {@code --net-config-path}, else {@code <dir>/net-conf.json}. */
    public Path netConfigFile() {
        return netConfigPath.orElse(dir.resolve("net-conf.json"));
    }

    @Override
    public String networkConfigLocation() {
        return netConfigFile().toString();
    }

    /**
     * {@code --net-config-path} when given (missing file: no config yet), else
     * {@code <dir>/net-conf.json}, else {@link #DEFAULT_NETWORK_CONFIG}.
     */
    @Override
    public Optional<String> readNetworkConfig() {
        try {
            return Optional.of(Files.readString(netConfigFile(), UTF_8));
        } catch (NoSuchFileException e) {
            return netConfigPath.isPresent() ? Optional.empty() : Optional.of(DEFAULT_NETWORK_CONFIG);
        } catch (IOException e) {
            throw new LeaseException.StoreUnavailableException("cannot read the network config " + netConfigFile() + ": " + e, e);
        }
    }

    @Override
    public void writeNetworkConfig(String json) {
        locked(() -> {
            AtomicFiles.writeString(netConfigFile(), json);
            return null;
        });
    }

    @Override
    public LeaseSnapshot list() {
        return locked(() -> {
            List<Lease> leases = new ArrayList<>(readAll().values());
            return new LeaseSnapshot(leases, readRevision());
        });
    }

    @Override
    public Optional<Lease> get(Ip4Net subnet) {
        return locked(() -> readOne(subnet));
    }

    @Override
    public Lease create(Ip4Net subnet, LeaseAttrs attrs, Duration ttl) {
        return create(subnet, Optional.empty(), attrs, ttl);
    }

    @Override
    public Lease create(Ip4Net subnet, Optional<Ip6Net> ipv6Subnet, LeaseAttrs attrs, Duration ttl) {
        return locked(() -> {
            if (readOne(subnet).isPresent()) {
                throw new LeaseException.SubnetTakenException(subnet.toString());
            }
            return write(subnet, ipv6Subnet, attrs, Optional.of(clock.instant().plus(ttl)));
        });
    }

    @Override
    public Lease update(Lease existing, LeaseAttrs attrs, Duration ttl) {
        return locked(() -> write(existing.subnet(), existing.ipv6Subnet(), attrs,
                existing.reservation() ? Optional.empty() : Optional.of(clock.instant().plus(ttl))));
    }

    @Override
    public Lease renew(Lease own, Duration ttl) {
        return locked(() -> {
            Lease current = readOne(own.subnet()).orElseThrow(() -> new LeaseException.LeaseLostException(
                    "lease " + own.subnet() + " is no longer in " + subnets + " (it was deleted or expired)"));
            if (current.reservation()) {
                return current;
            }
            return write(current.subnet(), current.ipv6Subnet(), current.attrs(), Optional.of(clock.instant().plus(ttl)));
        });
    }

    @Override
    public void delete(Ip4Net subnet) {
        locked(() -> {
            boolean deleted = false;
            for (Path f : files(subnet)) {
                deleted |= Files.deleteIfExists(f);
            }
            if (deleted) {
                bumpRevision();
            }
            return null;
        });
    }

    @Override
    public AutoCloseable watch(LeaseSnapshot start, Listener listener) {
        return new Poller(start, listener);
    }

    @Override
    public void close() {
        // nothing held between calls
    }

    /** Writes a reservation: a lease that never expires (what an operator does with etcdctl put without a lease). */
    public Lease reserve(Ip4Net subnet, LeaseAttrs attrs) {
        return locked(() -> write(subnet, Optional.empty(), attrs, Optional.empty()));
    }

    // ---- under the lock ----

    private Map<Ip4Net, Lease> readAll() throws IOException {
        Map<Ip4Net, Lease> out = new HashMap<>();
        boolean expired = false;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(subnets, "*.json")) {
            for (Path f : files) {
                Optional<Lease> l = readFile(f);
                if (l.isEmpty()) {
                    continue;
                }
                if (isExpired(l.get())) {
                    Files.deleteIfExists(f);
                    expired = true;
                    LOG.info("lease {} ({}) expired", l.get().subnet(), l.get().attrs().publicIp());
                    continue;
                }
                out.put(l.get().subnet(), l.get());
            }
        }
        if (expired) {
            bumpRevision();
        }
        return out;
    }

    private Optional<Lease> readOne(Ip4Net subnet) throws IOException {
        for (Path f : files(subnet)) {
            Optional<Lease> l = readFile(f);
            if (l.isPresent() && isExpired(l.get())) {
                Files.deleteIfExists(f);
                bumpRevision();
                continue;
            }
            if (l.isPresent()) {
                return l;
            }
        }
        return Optional.empty();
    }

    private Optional<Lease> readFile(Path f) throws IOException {
        String name = f.getFileName().toString();
        Optional<Lease.ParsedKey> key = Lease.parseKeyName(name.substring(0, name.length() - ".json".length()));
        if (key.isEmpty()) {
            return Optional.empty();
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(f);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        try {
            JsonNode n = JSON.readTree(bytes);
            LeaseAttrs attrs = LeaseAttrs.parse(n.path("Value").asText());
            JsonNode exp = n.path("Expiration");
            Optional<Instant> expiration = exp.isTextual() ? Optional.of(Instant.parse(exp.textValue())) : Optional.empty();
            return Optional.of(new Lease(key.get().subnet(), key.get().ipv6Subnet(), attrs, expiration.isEmpty(), expiration,
                    n.path("Revision").asLong()));
        } catch (IOException | RuntimeException e) {
            LOG.warn("ignoring unreadable lease file {}: {}", f, e.getMessage());
            return Optional.empty();
        }
    }

    private Lease write(Ip4Net subnet, Optional<Ip6Net> ipv6Subnet, LeaseAttrs attrs, Optional<Instant> expiration) throws IOException {
        long revision = bumpRevision();
        ObjectNode n = JSON.createObjectNode();
        n.put("Value", attrs.toJson());
        if (expiration.isPresent()) {
            n.put("Expiration", expiration.get().toString());
        } else {
            n.putNull("Expiration");
        }
        n.put("Revision", revision);
        AtomicFiles.writeString(subnets.resolve(Lease.keyName(subnet, ipv6Subnet) + ".json"), JSON.writeValueAsString(n));
        return new Lease(subnet, ipv6Subnet, attrs, expiration.isEmpty(), expiration, revision);
    }

    private boolean isExpired(Lease l) {
        return l.expiration().map(e -> !e.isAfter(clock.instant())).orElse(false);
    }

    private long readRevision() throws IOException {
        try {
            return Long.parseLong(Files.readString(dir.resolve("revision"), UTF_8).strip());
        } catch (NoSuchFileException e) {
            return 0;
        } catch (NumberFormatException e) {
            throw new IOException("corrupt revision file in " + dir + ": " + e.getMessage());
        }
    }

    private long bumpRevision() throws IOException {
        long next = readRevision() + 1;
        AtomicFiles.writeString(dir.resolve("revision"), Long.toString(next));
        return next;
    }

    /** The files of {@code subnet}: {@code 10.5.1.0-24.json} and {@code 10.5.1.0-24&<ipv6>.json}, plain one first. */
    private List<Path> files(Ip4Net subnet) throws IOException {
        List<Path> out = new ArrayList<>(1);
        Path plain = subnets.resolve(subnet.toKey() + ".json");
        if (Files.exists(plain)) {
            out.add(plain);
        }
        try (DirectoryStream<Path> dual = Files.newDirectoryStream(subnets, subnet.toKey() + "&*.json")) {
            dual.forEach(out::add);
        }
        return out;
    }

    private interface IoSupplier<T> {
        T get() throws IOException;
    }

    private <T> T locked(IoSupplier<T> body) {
        try (LockFile.Held held = LockFile.acquire(lockFile(), lockWait)) {
            return body.get();
        } catch (LockFile.BusyException e) {
            throw new LeaseException.StoreBusyException("the embedded lease store in " + dir + " is locked: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new LeaseException.StoreUnavailableException("the embedded lease store in " + dir + " failed: " + e, e);
        }
    }

    /** Polls for changes and turns them into key events by comparing per-lease revisions. */
    private final class Poller implements AutoCloseable {
        private final Listener listener;
        private final ScheduledExecutorService thread;
        private Map<Ip4Net, Lease> known = new HashMap<>();
        private long revision;

        Poller(LeaseSnapshot start, Listener listener) {
            this.listener = listener;
            start.leases().forEach(l -> known.put(l.subnet(), l));
            this.revision = start.revision();
            this.thread = DaemonThreads.scheduler("lease-poll");
            thread.scheduleWithFixedDelay(this::poll, 0, pollInterval.toMillis(), TimeUnit.MILLISECONDS);
        }

        private void poll() {
            try {
                Instant now = clock.instant();
                boolean due = known.values().stream().anyMatch(l -> l.expiration().map(e -> !e.isAfter(now)).orElse(false));
                long current;
                try {
                    current = readRevision();
                } catch (IOException e) {
                    current = -1;
                }
                if (current == revision && !due) {
                    return;
                }
                LeaseSnapshot snap = list();
                Map<Ip4Net, Lease> next = new HashMap<>();
                snap.leases().forEach(l -> next.put(l.subnet(), l));
                List<KeyEvent> events = new ArrayList<>();
                for (Lease l : snap.leases()) {
                    Lease old = known.get(l.subnet());
                    if (old == null || old.revision() != l.revision()) {
                        events.add(new KeyEvent.Put(l));
                    }
                }
                for (Ip4Net gone : known.keySet()) {
                    if (!next.containsKey(gone)) {
                        events.add(new KeyEvent.Deleted(gone));
                    }
                }
                known = next;
                revision = snap.revision();
                if (!events.isEmpty()) {
                    listener.onEvents(events);
                }
            } catch (RuntimeException e) {
                LOG.warn("polling the embedded lease store failed: {}", e.getMessage());
            }
        }

        @Override
        public void close() {
            DaemonThreads.stop(thread, Duration.ofSeconds(5));
        }
    }

}
