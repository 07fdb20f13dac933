package io.javaoverlay.core.metrics;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/**
 * The metrics as Prometheus scrapes them. Each test has an {@link OverlayMetrics} of its own, as
 * each process has, so every value is read as it is, not as how much an event moved it.
 */
class OverlayMetricsTest {

    private final OverlayMetrics metrics = new OverlayMetrics();

    private String scrape() {
        return new String(MetricsExposition.scrape(metrics), UTF_8);
    }

    /** The value of one series, e.g. {@code javaoverlay_peers} or {@code x{a="b"}}; -1 when absent. */
    private double value(String series) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(scrape());
        return m.find() ? Double.parseDouble(m.group(1)) : -1;
    }

    @Test
    void exposesTheTextFormatWithHelpAndTypes() {
        assertThat(MetricsExposition.contentType()).startsWith("text/plain").contains("version=0.0.4");
        assertThat(scrape())
                .contains("# HELP javaoverlay_lease_renewals_total successful lease renewals")
                .contains("# TYPE javaoverlay_lease_renewals_total counter")
                .contains("# TYPE javaoverlay_peers gauge")
                .contains("javaoverlay_lease_watch_resyncs_total{reason=\"compacted\"}");
    }

    @Test
    void aNewInstanceStartsNotReadyWithNoPeersAndEveryCounterAtZero() {
        assertThat(value("javaoverlay_ready")).isZero();
        assertThat(value("javaoverlay_peers")).isZero();
        assertThat(value("javaoverlay_lease_acquisitions_total")).isZero();
        assertThat(value("javaoverlay_lease_renewals_total")).isZero();
        assertThat(value("javaoverlay_lease_watch_resyncs_total{reason=\"compacted\"}")).isZero();
        assertThat(scrape()).doesNotContain("javaoverlay_lease_info{").doesNotContain("javaoverlay_backend_packets_total");
    }

    @Test
    void twoInstancesCountApart() {
        OverlayMetrics other = new OverlayMetrics();
        other.leaseRenewFailed();
        other.ready(true);
        other.operation("docker", "NetworkDriver.Join").ok();
        assertThat(value("javaoverlay_lease_renewal_failures_total")).isZero();
        assertThat(value("javaoverlay_ready")).isZero();
        assertThat(scrape()).doesNotContain("javaoverlay_operations_total{");
        assertThat(new String(MetricsExposition.scrape(other), UTF_8))
                .contains("javaoverlay_lease_renewal_failures_total 1.0")
                .contains("javaoverlay_ready 1.0")
                .contains("javaoverlay_operations_total{face=\"docker\",operation=\"NetworkDriver.Join\",result=\"ok\"} 1.0");
    }

    @Test
    void leaseLifecycleMovesStateExpiryAndCounters() {
        metrics.leaseAcquired("10.244.7.0/24", "192.0.2.7", "vxlan", Optional.of(Instant.ofEpochSecond(1_900_000_000L)));
        metrics.ready(true);
        assertThat(value("javaoverlay_lease_info{backend=\"vxlan\",public_ip=\"192.0.2.7\",subnet=\"10.244.7.0/24\"}")).isEqualTo(1);
        assertThat(value("javaoverlay_lease_expiry_timestamp_seconds")).isEqualTo(1.9e9);
        assertThat(value("javaoverlay_ready")).isEqualTo(1);
        assertThat(value("javaoverlay_lease_acquisitions_total")).isEqualTo(1);

        metrics.leaseRenewFailed();
        metrics.leaseRenewed(Optional.of(Instant.ofEpochSecond(1_900_086_400L)));
        assertThat(value("javaoverlay_lease_renewal_failures_total")).isEqualTo(1);
        assertThat(value("javaoverlay_lease_renewals_total")).isEqualTo(1);
        assertThat(value("javaoverlay_lease_expiry_timestamp_seconds")).isEqualTo(1.900086400e9);

        // a new lease replaces the old series instead of adding a second one
        metrics.leaseAcquired("10.244.9.0/24", "192.0.2.7", "vxlan", Optional.empty());
        assertThat(scrape()).doesNotContain("subnet=\"10.244.7.0/24\"");
        assertThat(value("javaoverlay_lease_expiry_timestamp_seconds")).isZero();

        // a dual-stack lease adds its IPv6 half as a series of its own; the IPv4 series keeps its labels
        metrics.leaseIpv6(Optional.of("fc00:5:0:3a::/64"), Optional.of("fd00:e2e::2"));
        assertThat(value("javaoverlay_lease_ipv6_info{public_ip=\"fd00:e2e::2\",subnet=\"fc00:5:0:3a::/64\"}")).isEqualTo(1);
        assertThat(value("javaoverlay_lease_info{backend=\"vxlan\",public_ip=\"192.0.2.7\",subnet=\"10.244.9.0/24\"}")).isEqualTo(1);
        metrics.leaseAcquired("10.244.9.0/24", "192.0.2.7", "vxlan", Optional.empty());
        metrics.leaseIpv6(Optional.empty(), Optional.empty());
        assertThat(scrape()).doesNotContain("javaoverlay_lease_ipv6_info{");
        metrics.leaseIpv6(Optional.of("fc00:5:0:3a::/64"), Optional.of("fd00:e2e::2"));

        metrics.leaseLost();
        assertThat(scrape()).doesNotContain("javaoverlay_lease_ipv6_info{");
        assertThat(value("javaoverlay_lease_lost_total")).isEqualTo(1);
        assertThat(value("javaoverlay_ready")).isZero();
        assertThat(scrape()).doesNotContain("javaoverlay_lease_info{");
    }

    @Test
    void peersStoreAndNetlinkEvents() {
        metrics.peers(41);
        metrics.etcdReconnected();
        metrics.watchResynced("compacted");
        metrics.netlinkError("test-vxlan", "EEXIST");
        metrics.netlinkError("test-vxlan", "EEXIST");

        assertThat(value("javaoverlay_peers")).isEqualTo(41);
        assertThat(value("javaoverlay_etcd_reconnects_total")).isEqualTo(1);
        assertThat(value("javaoverlay_lease_watch_resyncs_total{reason=\"compacted\"}")).isEqualTo(1);
        assertThat(value("javaoverlay_netlink_errors_total{component=\"test-vxlan\",errno=\"EEXIST\"}")).isEqualTo(2);
    }

    @Test
    void backendCountersAreReadAtScrapeTimeOncePerScrapeUntilUnregistered() throws Exception {
        long[] tx = {10};
        java.util.concurrent.atomic.AtomicInteger reads = new java.util.concurrent.atomic.AtomicInteger();
        AutoCloseable handle = metrics.registerBackend("test-udp", () -> {
            reads.incrementAndGet();
            return new BackendStats(tx[0], tx[0] * 100, 7, 700, Map.of("not-a-peer", 3L, "no-route", 1L),
                    Map.of("rx", 2L, "tx", 5L));
        });

        String one = scrape();
        assertThat(reads.get()).as("reads of the backend for one scrape of five families").isEqualTo(1);
        assertThat(one).contains("javaoverlay_backend_packets_total{backend=\"test-udp\",direction=\"tx\"} 10.0")
                .contains("javaoverlay_backend_bytes_total{backend=\"test-udp\",direction=\"rx\"} 700.0")
                .contains("javaoverlay_backend_drops_total{backend=\"test-udp\",reason=\"not-a-peer\"} 3.0")
                .contains("javaoverlay_backend_errors_total{backend=\"test-udp\",direction=\"tx\"} 5.0");
        tx[0] = 25;
        assertThat(value("javaoverlay_backend_packets_total{backend=\"test-udp\",direction=\"tx\"}")).isEqualTo(25);
        assertThat(reads.get()).as("reads after two scrapes").isEqualTo(2);

        handle.close();
        assertThat(scrape()).doesNotContain("backend=\"test-udp\"");
    }

    @Test
    void aBackendWithoutDropsOrErrorsHasNoSuchSeries() throws Exception {
        try (AutoCloseable plain = metrics.registerBackend("test-plain", () -> BackendStats.of(1, 2, 3, 4));
             AutoCloseable gone = metrics.registerBackend("test-gone", () -> null)) {
            String s = scrape();
            assertThat(s).contains("javaoverlay_backend_packets_total{backend=\"test-plain\",direction=\"rx\"} 3.0")
                    .doesNotContain("javaoverlay_backend_drops_total{backend=\"test-plain\"")
                    .doesNotContain("javaoverlay_backend_errors_total{backend=\"test-plain\"")
                    .doesNotContain("test-gone");
        }
    }

    @Test
    void aFailingBackendSupplierIsLeftOutOfTheScrape() throws Exception {
        try (AutoCloseable ok = metrics.registerBackend("test-ok", () -> BackendStats.of(1, 2, 3, 4));
             AutoCloseable broken = metrics.registerBackend("test-broken", () -> {
                 throw new IllegalStateException("closing");
             })) {
            assertThat(value("javaoverlay_backend_packets_total{backend=\"test-ok\",direction=\"rx\"}")).isEqualTo(3);
            assertThat(scrape()).doesNotContain("test-broken");
        }
    }

    @Test
    void operationsCountResultsAndTime() {
        metrics.operation("test-docker", "CreateEndpoint").ok();
        metrics.operation("test-docker", "CreateEndpoint").failed();
        assertThat(value("javaoverlay_operations_total{face=\"test-docker\",operation=\"CreateEndpoint\",result=\"ok\"}")).isEqualTo(1);
        assertThat(value("javaoverlay_operations_total{face=\"test-docker\",operation=\"CreateEndpoint\",result=\"error\"}")).isEqualTo(1);
        assertThat(value("javaoverlay_operation_duration_seconds_count{face=\"test-docker\",operation=\"CreateEndpoint\"}")).isEqualTo(2);
    }

    @Test
    void tunnelPeersShowTheirHandshakeAndBytesPerSubnetAndFailingReadsAreLeftOut() throws Exception {
        try (AutoCloseable peers = metrics.registerTunnelPeers("test-wg", () -> java.util.List.of(
                new TunnelPeerStats("KEY1=", "10.244.9.0/24", "192.168.1.9:51820", 1764850000L, 4868, 5204),
                new TunnelPeerStats("KEY2=", "10.244.3.0/24", "", 0, 0, 148)));
             AutoCloseable broken = metrics.registerTunnelPeers("test-wg-gone", () -> {
                 throw new IllegalStateException("device is being made again");
             })) {
            String s = scrape();
            assertThat(s).contains("javaoverlay_tunnel_peer_latest_handshake_seconds{backend=\"test-wg\",public_key=\"KEY1=\","
                    + "subnet=\"10.244.9.0/24\"} 1.76485E9")
                    .contains("javaoverlay_tunnel_peer_latest_handshake_seconds{backend=\"test-wg\",public_key=\"KEY2=\",subnet=\"10.244.3.0/24\"} 0.0")
                    .contains("javaoverlay_tunnel_peer_bytes_total{backend=\"test-wg\",direction=\"rx\",public_key=\"KEY1=\","
                            + "subnet=\"10.244.9.0/24\"} 4868.0")
                    .contains("javaoverlay_tunnel_peer_bytes_total{backend=\"test-wg\",direction=\"tx\",public_key=\"KEY2=\","
                            + "subnet=\"10.244.3.0/24\"} 148.0")
                    .doesNotContain("test-wg-gone");
        }
        assertThat(scrape()).doesNotContain("test-wg");
    }
}
