package io.javaoverlay.core.metrics;

import java.util.Map;

/**
 * A backend's traffic so far, as monotonic counters: packets and bytes it sent to and received
 * from peers, and packets it dropped by reason (udp: {@code no-route}, {@code not-a-peer},
 * {@code spoofed-source}, ...).
 */
public record BackendStats(long txPackets, long txBytes, long rxPackets, long rxBytes, Map<String, Long> drops) {

    public BackendStats {
        drops = drops == null ? Map.of() : Map.copyOf(drops);
    }

    public static BackendStats of(long txPackets, long txBytes, long rxPackets, long rxBytes) {
        return new BackendStats(txPackets, txBytes, rxPackets, rxBytes, Map.of());
    }
}
