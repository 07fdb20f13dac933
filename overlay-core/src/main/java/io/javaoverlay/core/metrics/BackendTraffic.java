package io.javaoverlay.core.metrics;

import java.util.ArrayList;
import java.util.List;

import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;

/**
 * The backends' traffic families ({@code javaoverlay_backend_packets_total}, {@code _bytes_total},
 * {@code _drops_total}, {@code _errors_total}), one family per quantity with a {@code backend}
 * label. Each registered backend is read once per scrape (a netlink request for vxlan, an
 * {@code iptables} run for host-gw), and all four families show that one reading.
 */
final class BackendTraffic implements MultiCollector {

    private final BackendReadings<BackendStats> backends;

    BackendTraffic(BackendReadings<BackendStats> backends) {
        this.backends = backends;
    }

    @Override
    public MetricSnapshots collect() {
        CounterSnapshot.Builder packets = CounterSnapshot.builder().name("javaoverlay_backend_packets")
                .help("packets the backend carried between this host and its peers, by direction (tx, rx)");
        CounterSnapshot.Builder bytes = CounterSnapshot.builder().name("javaoverlay_backend_bytes")
                .help("bytes the backend carried between this host and its peers, by direction (tx, rx)");
        CounterSnapshot.Builder drops = CounterSnapshot.builder().name("javaoverlay_backend_drops")
                .help("packets the backend dropped, by reason (udp: its own checks; vxlan: the device's rx-dropped, tx-dropped)");
        CounterSnapshot.Builder errors = CounterSnapshot.builder().name("javaoverlay_backend_errors")
                .help("packets the backend failed to send or receive with an error, by direction (tx, rx)");
        int[] counts = new int[3]; // series of: packets and bytes, drops, errors
        backends.readEach((name, s) -> {
            point(packets, s.txPackets(), "backend", name, "direction", "tx");
            point(packets, s.rxPackets(), "backend", name, "direction", "rx");
            point(bytes, s.txBytes(), "backend", name, "direction", "tx");
            point(bytes, s.rxBytes(), "backend", name, "direction", "rx");
            counts[0]++;
            s.drops().forEach((reason, n) -> {
                point(drops, n, "backend", name, "reason", reason);
                counts[1]++;
            });
            s.errors().forEach((direction, n) -> {
                point(errors, n, "backend", name, "direction", direction);
                counts[2]++;
            });
        });
        List<MetricSnapshot> out = new ArrayList<>(4);
        if (counts[0] > 0) {
            out.add(packets.build());
            out.add(bytes.build());
        }
        if (counts[1] > 0) {
            out.add(drops.build());
        }
        if (counts[2] > 0) {
            out.add(errors.build());
        }
        return new MetricSnapshots(out);
    }

    private static void point(CounterSnapshot.Builder family, long value, String... labels) {
        family.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder().value(value).labels(Labels.of(labels)).build());
    }
}
