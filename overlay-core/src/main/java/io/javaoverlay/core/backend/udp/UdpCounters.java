package io.javaoverlay.core.backend.udp;

import java.util.EnumMap;
import java.util.Map;
import java.util.StringJoiner;
import java.util.concurrent.atomic.AtomicLongArray;

import io.javaoverlay.core.metrics.BackendStats;

/**
 * What the udp backend's two packet loops did: packets forwarded, and packets dropped by reason.
 *
 * <p>Each counter has one writer at a time, the loop of its direction, which counts in a plain
 * array of its own ({@link Local}) and publishes it once per batch; readers see values at most
 * one batch old. The outbound direction's array is also written by the inbound thread when it
 * drains the TUN device itself, always under the outbound loop's drain lock, which orders the
 * two writers. No allocation, no contended cache line per packet.
 */
public final class UdpCounters {

    /** What is counted, and which loop counts it. */
    public enum Counter {
        SENT_PACKETS(true, "packets sent to peers"),
        SENT_BYTES(true, "bytes sent to peers"),
        NO_ROUTE(true, "packets for a subnet no peer holds (answered with ICMP net unreachable)"),
        NOT_IPV4(true, "packets from the TUN device that are not IPv4 (the udp backend carries IPv4 only)"),
        SEND_FAILED(true, "datagrams the kernel refused to send"),
        RECEIVED_PACKETS(false, "packets received from peers"),
        RECEIVED_BYTES(false, "bytes received from peers"),
        NOT_A_PEER(false, "datagrams from an address that is not a peer's public IP"),
        SPOOFED_SOURCE(false, "datagrams whose inner source is outside the sending peer's subnet"),
        NOT_FOR_THIS_HOST(false, "datagrams whose inner destination is outside this host's subnet"),
        MALFORMED(false, "datagrams that do not hold one IPv4 packet"),
        TUN_WRITE_FAILED(false, "packets the TUN device refused");

        final boolean outbound;
        final String description;

        Counter(boolean outbound, String description) {
            this.outbound = outbound;
            this.description = description;
        }

        public String description() {
            return description;
        }

        /** Whether this counts a dropped packet (as opposed to traffic). */
        public boolean isDrop() {
            return this != SENT_PACKETS && this != SENT_BYTES && this != RECEIVED_PACKETS && this != RECEIVED_BYTES;
        }
    }

    private static final Counter[] ALL = Counter.values();

    private final AtomicLongArray published = new AtomicLongArray(ALL.length);

    /** One loop's own counts. */
    final class Local {
        final long[] values = new long[ALL.length];
        private final boolean outbound;

        private Local(boolean outbound) {
            this.outbound = outbound;
        }

        void add(Counter c, long n) {
            values[c.ordinal()] += n;
        }

        void increment(Counter c) {
            values[c.ordinal()]++;
        }

        /** Makes this loop's counts visible to readers; called once per batch. */
        void publish() {
            for (Counter c : ALL) {
                if (c.outbound == outbound) {
                    published.lazySet(c.ordinal(), values[c.ordinal()]);
                }
            }
        }
    }

    Local outbound() {
        return new Local(true);
    }

    Local inbound() {
        return new Local(false);
    }

    public long get(Counter c) {
        return published.get(c.ordinal());
    }

    public Map<Counter, Long> snapshot() {
        Map<Counter, Long> m = new EnumMap<>(Counter.class);
        for (Counter c : ALL) {
            m.put(c, get(c));
        }
        return m;
    }

    /** The drops so far, e.g. {@code "2 not-a-peer, 1 spoofed-source"}; empty when none. */
    /**
     * This snapshot as the agent's {@code /metrics} shows it: traffic counters, and every drop
     * counter under its reason ({@code NOT_A_PEER} is {@code not-a-peer}).
     */
    public static BackendStats toBackendStats(Map<Counter, Long> snapshot) {
        Map<String, Long> drops = new java.util.TreeMap<>();
        for (Counter c : Counter.values()) {
            if (c.isDrop()) {
                drops.put(c.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'), snapshot.getOrDefault(c, 0L));
            }
        }
        return new BackendStats(snapshot.getOrDefault(Counter.SENT_PACKETS, 0L), snapshot.getOrDefault(Counter.SENT_BYTES, 0L),
                snapshot.getOrDefault(Counter.RECEIVED_PACKETS, 0L), snapshot.getOrDefault(Counter.RECEIVED_BYTES, 0L), drops);
    }

    public static String describeDrops(Map<Counter, Long> snapshot) {
        StringJoiner j = new StringJoiner(", ");
        snapshot.forEach((c, v) -> {
            if (c.isDrop() && v > 0) {
                j.add(v + " " + c.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'));
            }
        });
        return j.toString();
    }
}
