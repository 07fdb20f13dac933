package io.javaoverlay.core.metrics;

import java.time.Instant;
import java.util.Optional;
import java.util.function.Supplier;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * Every metric javaoverlay exports, and one method per event that moves it. Safe from any
 * thread; every method is cheap (no allocation beyond the first use of a label value).
 *
 * <p>Hooks by caller:
 * <ul>
 *   <li>agent: {@link #leaseAcquired}, {@link #leaseRenewed}, {@link #leaseRenewFailed},
 *       {@link #leaseLost}, {@link #peers}, {@link #ready}, {@link #backendFailure};</li>
 *   <li>etcd lease store: {@link #etcdReconnected}, {@link #watchResynced};</li>
 *   <li>backends: {@link #registerBackend} once the data path is up (close the returned handle
 *       in {@code close()}), {@link #netlinkError} where a failed kernel request is handled
 *       and retried rather than thrown;</li>
 *   <li>faces (Docker plugin, long-running): {@link #operation} around each request.</li>
 * </ul>
 */
public final class OverlayMetrics {

    private static final PrometheusRegistry REGISTRY = new PrometheusRegistry();

    private static final Gauge READY = Gauge.builder().name("javaoverlay_ready")
            .help("1 once the lease is held, the data path is programmed and subnet.env is written, else 0")
            .register(REGISTRY);
    private static final Gauge LEASE = Gauge.builder().name("javaoverlay_lease_info")
            .help("the lease this host holds (value 1), by subnet, public IP and backend")
            .labelNames("subnet", "public_ip", "backend").register(REGISTRY);
    private static final Gauge LEASE_IPV6 = Gauge.builder().name("javaoverlay_lease_ipv6_info")
            .help("the IPv6 half of this host's dual-stack lease (value 1), by IPv6 subnet and public IPv6 address;"
                    + " no series without one")
            .labelNames("subnet", "public_ip").register(REGISTRY);
    private static final Gauge LEASE_EXPIRY = Gauge.builder().name("javaoverlay_lease_expiry_timestamp_seconds")
            .help("when this host's lease expires unless renewed (Unix time); 0 for a reservation that never expires")
            .register(REGISTRY);
    private static final Counter LEASE_ACQUIRED = Counter.builder().name("javaoverlay_lease_acquisitions_total")
            .help("leases acquired (at start, or after a loss)").register(REGISTRY);
    private static final Counter RENEWALS = Counter.builder().name("javaoverlay_lease_renewals_total")
            .help("successful lease renewals").register(REGISTRY);
    private static final Counter RENEWAL_FAILURES = Counter.builder().name("javaoverlay_lease_renewal_failures_total")
            .help("lease renewals that failed and were retried").register(REGISTRY);
    private static final Counter LEASE_LOST = Counter.builder().name("javaoverlay_lease_lost_total")
            .help("times this host's lease was revoked or expired").register(REGISTRY);
    private static final Gauge PEERS = Gauge.builder().name("javaoverlay_peers")
            .help("other hosts' leases the agent knows and routes to").register(REGISTRY);
    private static final Counter LEASE_REASSERTED = Counter.builder().name("javaoverlay_lease_reasserted_total")
            .help("times this host's lease was missing from the store, or held old attributes, and was put back").register(REGISTRY);
    private static final Counter LEASE_CONFLICTS = Counter.builder().name("javaoverlay_lease_conflicts_total")
            .help("times another host was found holding this host's subnet (never overwritten: this host gives it up)")
            .register(REGISTRY);
    private static final Counter VTEP_MAC_COLLISIONS = Counter.builder().name("javaoverlay_vtep_mac_collisions_total")
            .help("times another host published this host's VTEP MAC and this host chose a new one").register(REGISTRY);
    private static final Counter LEASES_REJECTED = Counter.builder().name("javaoverlay_leases_rejected_total")
            .help("other hosts' leases refused before they reached the kernel, by reason (counted once per change of the lease)")
            .labelNames("reason").register(REGISTRY);
    private static final Counter ETCD_RECONNECTS = Counter.builder().name("javaoverlay_etcd_reconnects_total")
            .help("times the lease watch got its connection to etcd back after losing it").register(REGISTRY);
    private static final Counter WATCH_RESYNCS = Counter.builder().name("javaoverlay_lease_watch_resyncs_total")
            .help("full re-lists of the leases, by reason (compacted: the watch fell behind etcd's compaction)")
            .labelNames("reason").register(REGISTRY);
    private static final Counter NODES_SKIPPED = Counter.builder().name("javaoverlay_kube_nodes_skipped_total")
            .help("Kubernetes nodes whose flannel annotations or podCIDR could not be read as a lease, by reason "
                    + "(counted once per change of the node's annotations)")
            .labelNames("reason").register(REGISTRY);
    private static final Counter NETLINK_ERRORS = Counter.builder().name("javaoverlay_netlink_errors_total")
            .help("kernel requests (netlink, TUN, sysctl) that failed, by component and errno")
            .labelNames("component", "errno").register(REGISTRY);
    private static final Counter BACKEND_FAILURES = Counter.builder().name("javaoverlay_backend_failures_total")
            .help("peer batches or periodic checks the backend failed to apply, by backend").labelNames("backend")
            .register(REGISTRY);
    private static final Counter OPERATIONS = Counter.builder().name("javaoverlay_operations_total")
            .help("requests served by a face (docker, cni), by operation and result (ok, error)")
            .labelNames("face", "operation", "result").register(REGISTRY);
    private static final Histogram OPERATION_SECONDS = Histogram.builder().name("javaoverlay_operation_duration_seconds")
            .help("time to serve a face's request, by operation").labelNames("face", "operation")
            .classicUpperBounds(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
            .register(REGISTRY);
    // container names across hosts (Docker plugin, --container-dns)
    private static final Gauge CONTAINER_NAMES = Gauge.builder().name("javaoverlay_container_names")
            .help("container names the plugin's DNS server answers for, from every host").register(REGISTRY);
    private static final Counter CONTAINER_NAMES_REJECTED = Counter.builder().name("javaoverlay_container_names_rejected_total")
            .help("container-name entries in the store skipped, by reason (counted once per change of the entry)")
            .labelNames("reason").register(REGISTRY);
    private static final Counter DNS_QUERIES = Counter.builder().name("javaoverlay_dns_queries_total")
            .help("DNS queries on the gateway, by result (local, forwarded, servfail, refused, dropped)")
            .labelNames("result").register(REGISTRY);

    private static final BackendTraffic TRAFFIC = new BackendTraffic();
    private static final TunnelPeers TUNNEL_PEERS = new TunnelPeers();

    static {
        REGISTRY.register(TRAFFIC);
        REGISTRY.register(TUNNEL_PEERS);
        READY.set(0);
        PEERS.set(0);
        WATCH_RESYNCS.labelValues("compacted"); // a series at 0 from the start, so rate() sees the first one
    }

    private OverlayMetrics() {}

    /** The process's registry, for exposition. */
    public static PrometheusRegistry registry() {
        return REGISTRY;
    }

    // --- agent ---

    public static void ready(boolean ready) {
        READY.set(ready ? 1 : 0);
    }

    public static void leaseAcquired(String subnet, String publicIp, String backend, Optional<Instant> expiry) {
        LEASE.clear();
        LEASE_IPV6.clear();
        LEASE.labelValues(subnet, publicIp, backend).set(1);
        LEASE_ACQUIRED.inc();
        expiry(expiry);
    }

    /** The IPv6 half of the lease just acquired ({@link #leaseAcquired}), when it is dual-stack. */
    public static void leaseIpv6(Optional<String> subnet, Optional<String> publicIp) {
        LEASE_IPV6.clear();
        if (subnet.isPresent() && publicIp.isPresent()) {
            LEASE_IPV6.labelValues(subnet.get(), publicIp.get()).set(1);
        }
    }

    public static void leaseRenewed(Optional<Instant> expiry) {
        RENEWALS.inc();
        expiry(expiry);
    }

    public static void leaseRenewFailed() {
        RENEWAL_FAILURES.inc();
    }

    public static void leaseLost() {
        LEASE_LOST.inc();
        LEASE.clear();
        LEASE_IPV6.clear();
        READY.set(0);
    }

    public static void peers(int count) {
        PEERS.set(count);
    }

    public static void leaseReasserted() {
        LEASE_REASSERTED.inc();
    }

    public static void vtepMacCollision() {
        VTEP_MAC_COLLISIONS.inc();
    }

    public static void leaseConflict() {
        LEASE_CONFLICTS.inc();
    }

    /** Another host's lease was refused; {@code reason} is a {@code PeerRejection.Reason} label. */
    public static void leaseRejected(String reason) {
        LEASES_REJECTED.labelValues(reason).inc();
    }

    public static void containerNames(int count) {
        CONTAINER_NAMES.set(count);
    }

    public static void containerNameRejected(String reason) {
        CONTAINER_NAMES_REJECTED.labelValues(reason).inc();
    }

    public static void dnsQuery(String result) {
        DNS_QUERIES.labelValues(result).inc();
    }

    public static void backendFailure(String backend) {
        BACKEND_FAILURES.labelValues(backend).inc();
    }

    private static void expiry(Optional<Instant> expiry) {
        LEASE_EXPIRY.set(expiry.map(e -> e.toEpochMilli() / 1000.0).orElse(0.0));
    }

    // --- lease store ---

    public static void etcdReconnected() {
        ETCD_RECONNECTS.inc();
    }

    /** A full re-list of the leases; {@code reason} is a short constant such as {@code compacted}. */
    public static void watchResynced(String reason) {
        WATCH_RESYNCS.labelValues(reason).inc();
    }

    /** A node's flannel annotations or podCIDR were malformed (Kubernetes subnet manager); {@code reason} is a short constant. */
    public static void kubeNodeSkipped(String reason) {
        NODES_SKIPPED.labelValues(reason).inc();
    }

    // --- backends ---

    /**
     * A kernel request failed and the caller handled it (logged, retried at the next check).
     *
     * @param component who asked: {@code vxlan}, {@code udp}, {@code host-gw}, {@code agent}, ...
     * @param errno     the symbolic errno, e.g. {@code EEXIST} ({@code Errno.name(e.errno())})
     */
    public static void netlinkError(String component, String errno) {
        NETLINK_ERRORS.labelValues(component, errno).inc();
    }

    /**
     * Makes a backend's traffic counters visible, read once at every scrape ({@link BackendTraffic}).
     * Returns a handle that removes them again (close it when the backend closes); registering the
     * same name again replaces the earlier supplier. The supplier may return null when it has
     * nothing to show now (its device is gone).
     */
    public static BackendRegistration registerBackend(String backend, Supplier<BackendStats> stats) {
        return TRAFFIC.register(backend, stats);
    }

    /**
     * Makes an encrypted backend's per-peer handshake and traffic visible ({@link TunnelPeers}),
     * read once at every scrape; close the handle when the backend closes.
     */
    public static BackendRegistration registerTunnelPeers(String backend, Supplier<java.util.List<TunnelPeerStats>> peers) {
        return TUNNEL_PEERS.register(backend, peers);
    }

    /** A backend's counters on /metrics; {@link #close()} removes them and cannot fail. */
    public interface BackendRegistration extends AutoCloseable {
        @Override
        void close();
    }

    // --- faces ---

    /** Starts timing one request of a face; call {@link Operation#ok()} or {@link Operation#failed()} when done. */
    public static Operation operation(String face, String operation) {
        return new Operation(face, operation, System.nanoTime());
    }

    /** One request being served. */
    public record Operation(String face, String operation, long startNanos) {
        public void ok() {
            finish("ok");
        }

        public void failed() {
            finish("error");
        }

        private void finish(String result) {
            OPERATIONS.labelValues(face, operation, result).inc();
            OPERATION_SECONDS.labelValues(face, operation).observe((System.nanoTime() - startNanos) / 1e9);
        }
    }
}
