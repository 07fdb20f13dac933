package io.javaoverlay.core.netlink;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A device's traffic counters as the kernel keeps them ({@code struct rtnl_link_stats64}, what
 * {@code ip -s link} prints): packets and bytes received and sent, and the packets the device
 * dropped or failed on, per direction. Monotonic while the device exists; they start again at 0
 * when it is made anew.
 */
public record LinkStats(long rxPackets, long txPackets, long rxBytes, long txBytes, long rxErrors, long txErrors,
        long rxDropped, long txDropped) {

    /** The first eight fields of {@code rtnl_link_stats64}, every one a u64 in host byte order. */
    private static final int FIELDS = 8;

    /** Decodes the payload of {@code IFLA_STATS64}; null when it is too short to hold the counters. */
    static LinkStats decode(byte[] payload) {
        if (payload == null || payload.length < FIELDS * Long.BYTES) {
            return null;
        }
        ByteBuffer b = ByteBuffer.wrap(payload).order(ByteOrder.nativeOrder());
        // field order of the struct: rx_packets, tx_packets, rx_bytes, tx_bytes, rx_errors, tx_errors, rx_dropped, tx_dropped
        return new LinkStats(b.getLong(0), b.getLong(8), b.getLong(16), b.getLong(24), b.getLong(32), b.getLong(40),
                b.getLong(48), b.getLong(56));
    }
}
