package io.javaoverlay.core.metrics;

import java.util.ArrayList;
import java.util.List;

import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;

/**
 * Per-peer series of an encrypted backend: {@code javaoverlay_tunnel_peer_latest_handshake_seconds}
 * and {@code javaoverlay_tunnel_peer_bytes_total{direction}}, labelled by backend, subnet and
 * public key. Read once per scrape from the backend's supplier.
 */
final class TunnelPeers implements MultiCollector {

    private final BackendReadings<List<TunnelPeerStats>> backends;

    TunnelPeers(BackendReadings<List<TunnelPeerStats>> backends) {
        this.backends = backends;
    }

    @Override
    public MetricSnapshots collect() {
        GaugeSnapshot.Builder handshake = GaugeSnapshot.builder().name("javaoverlay_tunnel_peer_latest_handshake_seconds")
                .help("Unix time of the latest completed handshake with the peer (0: none yet)");
        CounterSnapshot.Builder bytes = CounterSnapshot.builder().name("javaoverlay_tunnel_peer_bytes")
                .help("bytes of tunnel traffic to (tx) and from (rx) the peer, encrypted, as the device counts them");
        int[] n = new int[1];
        backends.readEach((name, peers) -> {
            for (TunnelPeerStats p : peers) {
                Labels l = Labels.of("backend", name, "subnet", p.subnet(), "public_key", p.publicKey());
                handshake.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().value(p.latestHandshakeSeconds()).labels(l).build());
                bytes.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder().value(p.txBytes())
                        .labels(l.add("direction", "tx")).build());
                bytes.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder().value(p.rxBytes())
                        .labels(l.add("direction", "rx")).build());
                n[0]++;
            }
        });
        List<MetricSnapshot> out = new ArrayList<>(2);
        if (n[0] > 0) {
            out.add(handshake.build());
            out.add(bytes.build());
        }
        return new MetricSnapshots(out);
    }
}
