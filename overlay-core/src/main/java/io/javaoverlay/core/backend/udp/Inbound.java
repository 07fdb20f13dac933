package io.javaoverlay.core.backend.udp;

import java.nio.ByteBuffer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.javaoverlay.core.backend.udp.UdpCounters.Counter;
import io.javaoverlay.core.netlink.DatagramBatch;
import io.javaoverlay.core.netlink.NetlinkException;
import io.javaoverlay.core.netlink.TunDevice;
import io.javaoverlay.core.netlink.UdpSocket;

/**
 * UDP -> TUN: receives datagrams in batches ({@code recvmmsg}, with UDP GRO when the kernel
 * offers it, so one slot may hold a train of datagrams from one peer) and writes each inner
 * packet into the TUN device, after checking that it may enter:
 * <ul>
 *   <li>the datagram comes from a peer's public IP (else NOT_A_PEER);</li>
 *   <li>it holds one well-formed IPv4 packet (else MALFORMED);</li>
 *   <li>the inner source lies in that peer's subnet, so a peer cannot speak for another
 *       (else SPOOFED_SOURCE);</li>
 *   <li>the inner destination lies in this host's subnet, so nobody can use this host as a
 *       relay into the rest of the overlay (else NOT_FOR_THIS_HOST).</li>
 * </ul>
 * Dropped packets are counted by reason, never logged one by one. After each batch it sends on
 * whatever the writes made the kernel queue in the device (answers of local containers), so they
 * need no wake-up of the outbound loop ({@link Outbound#forwardQueued}).
 */
final class Inbound implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(Inbound.class);
    static final int BATCH = 64;
    /** Room for a GRO train: the kernel joins up to 64 KiB of datagrams into one slot. */
    static final int SLOT = 65536;

    private final TunDevice tun;
    private final UdpSocket socket;
    private final PeerRoutes routes;
    private final UdpCounters.Local counters;
    private final DatagramBatch batch;
    /** Joins TCP segments into GSO packets when the device takes a virtio_net_hdr, else null. */
    private final TcpCoalescer coalescer;
    private final TcpCoalescer.Sink sink;
    private final Outbound outbound;

    Inbound(TunDevice tun, UdpSocket socket, PeerRoutes routes, UdpCounters counters, Outbound outbound) {
        this.tun = tun;
        this.socket = socket;
        this.routes = routes;
        this.counters = counters.inbound();
        this.batch = DatagramBatch.allocate(BATCH, socket.groEnabled() ? SLOT : 2048);
        this.coalescer = tun.hasVnetHeader() ? new TcpCoalescer() : null;
        this.sink = tun::tryWrite;
        this.outbound = outbound;
    }

    @Override
    public void run() {
        try {
            while (true) {
                int n = socket.receive(batch, 0, 1000);
                if (n < 0) {
                    break;
                }
                if (n > 0) {
                    deliver(n);
                    counters.publish();
                    outbound.forwardQueued();
                }
            }
        } catch (NetlinkException | IllegalStateException e) {
            if (socket.isOpen()) {
                LOG.error("udp backend: the UDP -> TUN loop stopped: {}", e.getMessage(), e);
            }
        }
    }

    private void deliver(int n) {
        PeerTable table = routes.table();
        for (int i = 0; i < n; i++) {
            int length = batch.length(i);
            int segment = batch.segmentSize(i);
            if (segment == 0) {
                segment = length;
            }
            int peerSubnet = table.subnetOf(batch.sourceIp(i));
            if (peerSubnet == PeerTable.NONE) {
                counters.add(Counter.NOT_A_PEER, (length + segment - 1) / segment);
                continue;
            }
            if (batch.truncated(i)) {
                counters.increment(Counter.MALFORMED);
                continue;
            }
            ByteBuffer slot = batch.slot(i);
            for (int at = 0; at < length; at += segment) {
                int size = Math.min(segment, length - at);
                if (!Ipv4Packets.isIpv4(slot, at, size) || Ipv4Packets.totalLength(slot, at) != size) {
                    counters.increment(Counter.MALFORMED);
                } else if (!table.isInSubnet(peerSubnet, Ipv4Packets.source(slot, at))) {
                    counters.increment(Counter.SPOOFED_SOURCE);
                } else if (!routes.isOwn(Ipv4Packets.destination(slot, at))) {
                    counters.increment(Counter.NOT_FOR_THIS_HOST);
                } else {
                    counters.increment(Counter.RECEIVED_PACKETS);
                    counters.add(Counter.RECEIVED_BYTES, size);
                    write(slot, i, at, size);
                }
            }
        }
        flush();
    }

    /** Into the TUN device, joined with its neighbours where they are one TCP flow's consecutive segments. */
    private void write(ByteBuffer slot, int i, int at, int size) {
        if (coalescer != null && TcpCoalescer.isCandidate(slot, at, size)) {
            if (!coalescer.add(slot, at, size)) {
                flush();
                coalescer.add(slot, at, size);
            }
            return;
        }
        flush(); // whatever was joined before this packet goes first: a flow keeps its order
        if (tun.tryWritePacket(batch, i, at, size) < 0) {
            counters.increment(Counter.TUN_WRITE_FAILED);
        }
    }

    private void flush() {
        if (coalescer != null && !coalescer.isEmpty() && coalescer.flushTo(sink) < 0) {
            counters.increment(Counter.TUN_WRITE_FAILED);
        }
    }
}
