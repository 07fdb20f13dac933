package io.javaoverlay.core.metrics;

import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * Every metric javaoverlay exports, and one method per event that moves it. Safe from any
 * thread; every method is cheap (no allocation beyond the first use of a label value).
 *
 * <p>An instance, with a registry of its own: a process's entry point makes one (the agent's
 * command, the Docker plugin's, which runs the agent too) and hands it to what reports into it,
 * through their constructors and the context objects ({@code AgentHost}, {@code BackendContext},
 * the lease stores' openers, the faces' servers), as the agent is handed its store and firewall.
 * Nothing here is static, so two agents in one JVM (a test's) each count their own, and a test
 * reads exact values from a fresh instance rather than how much a shared one moved. There is no
 * static default: the short-lived processes need none. The CNI plugin's own JVM counts nothing
 * (nobody could scrape it; the agent's CNI socket counts the calls it serves), and the one-shot
 * commands that open a lease store ({@code leases}, {@code config}) give it a fresh instance
 * nobody reads.
 *
 * <p>Hooks by caller:
 * <ul>
 *   <li>agent: {@link #leaseAcquired}, {@link #leaseRenewed}, {@link #leaseRenewFailed},
 *       {@link #leaseLost}, {@link #peers}, {@link #ready}, {@link #backendFailure};</li>
 *   <li>lease stores: {@link #etcdReconnected}, {@link #watchResynced}, {@link #kubeNodeSkipped};</li>
 *   <li>backends: {@link #registerBackend} once the data path is up (close the returned handle
 *       in {@code close()}), {@link #netlinkError} where a failed kernel request is handled
 *       and retried rather than thrown;</li>
 *   <li>faces: {@link #operation} around each request (the Docker plugin's, the agent's CNI
 *       socket's); the Docker plugin's name service: {@link #containerNames}, {@link #dnsQuery}.</li>
 * </ul>
 */
public final class OverlayMetrics {

    private final PrometheusRegistry registry = new PrometheusRegistry();

    private final Gauge ready = gauge("javaoverlay_ready",
            "1 once the lease is held, the data path is programmed and subnet.env is written, else 0");
    private final Gauge lease = gauge("javaoverlay_lease_info",
            "the lease this host holds (value 1), by subnet, public IP and backend", "subnet", "public_ip", "backend");
    private final Gauge leaseIpv6 = gauge("javaoverlay_lease_ipv6_info",
            "the IPv6 half of this host's dual-stack lease (value 1), by IPv6 subnet and public IPv6 address;"
                    + " no series without one",
            "subnet", "public_ip");
    private final Gauge leaseExpiry = gauge("javaoverlay_lease_expiry_timestamp_seconds",
            "when this host's lease expires unless renewed (Unix time); 0 for a reservation that never expires");
    private final Counter leaseAcquired = counter("javaoverlay_lease_acquisitions_total",
            "leases acquired (at start, or after a loss)");
    private final Counter renewals = counter("javaoverlay_lease_renewals_total", "successful lease renewals");
    private final Counter renewalFailures = counter("javaoverlay_lease_renewal_failures_total",
            "lease renewals that failed and were retried");
    private final Counter leaseLost = counter("javaoverlay_lease_lost_total", "times this host's lease was revoked or expired");
    private final Gauge peers = gauge("javaoverlay_peers", "other hosts' leases the agent knows and routes to");
    private final Counter leaseReasserted = counter("javaoverlay_lease_reasserted_total",
            "times this host's lease was missing from the store, or held old attributes, and was put back");
    private final Counter leaseConflicts = counter("javaoverlay_lease_conflicts_total",
            "times another host was found holding this host's subnet (never overwritten: this host gives it up)");
    private final Counter vtepMacCollisions = counter("javaoverlay_vtep_mac_collisions_total",
            "times another host published this host's VTEP MAC and this host chose a new one");
    private final Counter leasesRejected = counter("javaoverlay_leases_rejected_total",
            "other hosts' leases refused before they reached the kernel, by reason (counted once per change of the lease)",
            "reason");
    private final Counter etcdReconnects = counter("javaoverlay_etcd_reconnects_total",
            "times the lease watch got its connection to etcd back after losing it");
    private final Counter watchResyncs = counter("javaoverlay_lease_watch_resyncs_total",
            "full re-lists of the leases, by reason (compacted: the watch fell behind etcd's compaction)", "reason");
    private final Counter nodesSkipped = counter("javaoverlay_kube_nodes_skipped_total",
            "Kubernetes nodes whose flannel annotations or podCIDR could not be read as a lease, by reason "
                    + "(counted once per change of the node's annotations)",
            "reason");
    private final Counter netlinkErrors = counter("javaoverlay_netlink_errors_total",
            "kernel requests (netlink, TUN, sysctl) that failed, by component and errno", "component", "errno");
    private final Counter backendFailures = counter("javaoverlay_backend_failures_total",
            "peer batches or periodic checks the backend failed to apply, by backend", "backend");
    private final Counter operations = counter("javaoverlay_operations_total",
            "requests served by a face (docker, cni), by operation and result (ok, error)", "face", "operation", "result");
    private final Histogram operationSeconds = Histogram.builder().name("javaoverlay_operation_duration_seconds")
            .help("time to serve a face's request, by operation").labelNames("face", "operation")
            .classicUpperBounds(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
            .register(registry);
    // container names across hosts (Docker plugin, --container-dns)
    private final Gauge containerNames = gauge("javaoverlay_container_names",
            "container names the plugin's DNS server answers for, from every host");
    private final Counter containerNamesRejected = counter("javaoverlay_container_names_rejected_total",
            "container-name entries in the store skipped, by reason (counted once per change of the entry)", "reason");
    private final Counter dnsQueries = counter("javaoverlay_dns_queries_total",
            "DNS queries on the gateway, by result (local, forwarded, servfail, refused, dropped)", "result");

    private final BackendReadings<BackendStats> traffic = new BackendReadings<>();
    private final BackendReadings<java.util.List<TunnelPeerStats>> tunnelPeers = new BackendReadings<>();

    /** When the JVM's and the process's metrics joined this registry ({@link RuntimeMetrics}): at most once. */
    private final AtomicBoolean runtimeRegistered = new AtomicBoolean();

    /** A counter on this registry; with {@code labels}, one series per combination of their values. */
    private Counter counter(String name, String help, String... labels) {
        return Counter.builder().name(name).help(help).labelNames(labels).register(registry);
    }

    /** A gauge on this registry; with {@code labels}, one series per combination of their values. */
    private Gauge gauge(String name, String help, String... labels) {
        return Gauge.builder().name(name).help(help).labelNames(labels).register(registry);
    }

    /**
     * A registry of its own with every metric at its start value. A process makes one, in its
     * entry point, and hands it to what reports into it (see the class comment); a test makes a
     * fresh one and reads exact values.
     */
    public OverlayMetrics() {
        registry.register(new BackendTraffic(traffic));
        registry.register(new TunnelPeers(tunnelPeers));
        ready.set(0);
        peers.set(0);
        watchResyncs.labelValues("compacted"); // a series at 0 from the start, so rate() sees the first one
    }

    /** This instance's registry, for exposition ({@link MetricsExposition}) and the JVM's metrics ({@link RuntimeMetrics}). */
    PrometheusRegistry registry() {
        return registry;
    }

    /** True the first time only: {@link RuntimeMetrics} registers the JVM's metrics here once. */
    boolean claimRuntimeRegistration() {
        return runtimeRegistered.compareAndSet(false, true);
    }

    // --- agent ---

    public void ready(boolean ready) {
        this.ready.set(ready ? 1 : 0);
    }

    public void leaseAcquired(String subnet, String publicIp, String backend, Optional<Instant> expiry) {
        lease.clear();
        leaseIpv6.clear();
        lease.labelValues(subnet, publicIp, backend).set(1);
        leaseAcquired.inc();
        expiry(expiry);
    }

    /** The IPv6 half of the lease just acquired ({@link #leaseAcquired}), when it is dual-stack. */
    public void leaseIpv6(Optional<String> subnet, Optional<String> publicIp) {
        leaseIpv6.clear();
        if (subnet.isPresent() && publicIp.isPresent()) {
            leaseIpv6.labelValues(subnet.get(), publicIp.get()).set(1);
        }
    }

    public void leaseRenewed(Optional<Instant> expiry) {
        renewals.inc();
        expiry(expiry);
    }

    public void leaseRenewFailed() {
        renewalFailures.inc();
    }

    public void leaseLost() {
        leaseLost.inc();
        lease.clear();
        leaseIpv6.clear();
        ready.set(0);
    }

    public void peers(int count) {
        peers.set(count);
    }

    public void leaseReasserted() {
        leaseReasserted.inc();
    }

    public void vtepMacCollision() {
        vtepMacCollisions.inc();
    }

    public void leaseConflict() {
        leaseConflicts.inc();
    }

    /** Another host's lease was refused; {@code reason} is a {@code PeerRejection.Reason} label. */
    public void leaseRejected(String reason) {
        leasesRejected.labelValues(reason).inc();
    }

    public void containerNames(int count) {
        containerNames.set(count);
    }

    public void containerNameRejected(String reason) {
        containerNamesRejected.labelValues(reason).inc();
    }

    public void dnsQuery(String result) {
        dnsQueries.labelValues(result).inc();
    }

    public void backendFailure(String backend) {
        backendFailures.labelValues(backend).inc();
    }

    private void expiry(Optional<Instant> expiry) {
        leaseExpiry.set(expiry.map(e -> e.toEpochMilli() / 1000.0).orElse(0.0));
    }

    // --- lease store ---

    public void etcdReconnected() {
        etcdReconnects.inc();
    }

    /** A full re-list of the leases; {@code reason} is a short constant such as {@code compacted}. */
    public void watchResynced(String reason) {
        watchResyncs.labelValues(reason).inc();
    }

    /** A node's flannel annotations or podCIDR were malformed (Kubernetes subnet manager); {@code reason} is a short constant. */
    public void kubeNodeSkipped(String reason) {
        nodesSkipped.labelValues(reason).inc();
    }

    // --- backends ---

    /**
     * A kernel request failed and the caller handled it (logged, retried at the next check).
     *
     * @param component who asked: {@code vxlan}, {@code udp}, {@code host-gw}, {@code agent}, ...
     * @param errno     the symbolic errno, e.g. {@code EEXIST} ({@code Errno.name(e.errno())})
     */
    public void netlinkError(String component, String errno) {
        netlinkErrors.labelValues(component, errno).inc();
    }

    /**
     * Makes a backend's traffic counters visible, read once at every scrape ({@link BackendTraffic}).
     * Returns a handle that removes them again (close it when the backend closes); registering the
     * same name again replaces the earlier supplier. The supplier may return null when it has
     * nothing to show now (its device is gone).
     */
    public BackendRegistration registerBackend(String backend, Supplier<BackendStats> stats) {
        return traffic.register(backend, stats);
    }

    /**
     * Makes an encrypted backend's per-peer handshake and traffic visible ({@link TunnelPeers}),
     * read once at every scrape; close the handle when the backend closes.
     */
    public BackendRegistration registerTunnelPeers(String backend, Supplier<java.util.List<TunnelPeerStats>> peers) {
        return tunnelPeers.register(backend, peers);
    }

    /** A backend's counters on /metrics; {@link #close()} removes them and cannot fail. */
    public interface BackendRegistration extends AutoCloseable {
        @Override
        void close();
    }

    // --- faces ---

    /** Starts timing one request of a face; call {@link Operation#ok()} or {@link Operation#failed()} when done. */
    public Operation operation(String face, String operation) {
        return new Operation(face, operation, System.nanoTime());
    }

    /** One request being served, counted on the {@link OverlayMetrics} that started it. */
    public final class Operation {
        private final String face;
        private final String operation;
        private final long startNanos;

        private Operation(String face, String operation, long startNanos) {
            this.face = face;
            this.operation = operation;
            this.startNanos = startNanos;
        }

        /** When it started ({@link System#nanoTime()}). */
        public long startNanos() {
            return startNanos;
        }

        public void ok() {
            finish("ok");
        }

        public void failed() {
            finish("error");
        }

        private void finish(String result) {
            operations.labelValues(face, operation, result).inc();
            operationSeconds.labelValues(face, operation).observe((System.nanoTime() - startNanos) / 1e9);
        }
    }
}
