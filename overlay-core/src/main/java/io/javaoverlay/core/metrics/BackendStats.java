package io.javaoverlay.core.metrics;

import java.util.Map;

/**
 * A backend's traffic so far, as monotonic counters: packets and bytes it sent to and received
 * from peers, packets it dropped by reason (udp: {@code no-route}, {@code not-a-peer},
 * {@code spoofed-source}, ...; vxlan: the device's {@code rx-dropped}, {@code tx-dropped}), and
 * packets that failed with an error by direction ({@code rx}, {@code tx}; vxlan only). A backend
 * that cannot tell drops or errors leaves those maps empty, and its series are then absent rather
 * than a misleading 0.
 */
public record BackendStats(long txPackets, long txBytes, long rxPackets, long rxBytes, Map<String, Long> drops,
        Map<String, Long> errors) {

    public BackendStats {
        drops = drops == null ? Map.of() : Map.copyOf(drops);
        errors = errors == null ? Map.of() : Map.copyOf(errors);
    }

    public BackendStats(long txPackets, long txBytes, long rxPackets, long rxBytes, Map<String, Long> drops) {
        this(txPackets, txBytes, rxPackets, rxBytes, drops, Map.of());
    }

    public static BackendStats of(long txPackets, long txBytes, long rxPackets, long rxBytes) {
        return new BackendStats(txPackets, txBytes, rxPackets, rxBytes, Map.of(), Map.of());
    }
}
