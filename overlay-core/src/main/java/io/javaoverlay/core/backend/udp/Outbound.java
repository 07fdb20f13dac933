package io.javaoverlay.core.backend.udp;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.locks.ReentrantLock;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.javaoverlay.core.backend.udp.UdpCounters.Counter;
import io.javaoverlay.core.netlink.DatagramBatch;
import io.javaoverlay.core.netlink.NetlinkException;
import io.javaoverlay.core.netlink.TunDevice;
import io.javaoverlay.core.netlink.UdpSocket;

/**
 * TUN -> UDP: drains the TUN device into a batch of datagrams, one inner IP packet each,
 * addressed to the peer whose subnet holds the packet's destination, and sends the batch with
 * one {@code sendmmsg}. Packets for subnets no peer holds are answered with ICMP "net
 * unreachable" written back into the TUN device.
 *
 * <p>With offloads ({@code IFF_VNET_HDR}, TSO and checksum offload on the device, UDP GSO on the
 * socket) one read may return a TCP packet of up to 64 KiB: it is cut into MTU-sized packets
 * ({@link TcpSegments}) laid out back to back in one slot, which the kernel sends as that many
 * datagrams (UDP GSO). Per 64 KiB of TCP that is one read and a share of one send, instead of
 * ~45 reads and ~45 datagram sends.
 *
 * <p>Runs on its own thread until the device is closed, and is also run by the inbound loop
 * right after it wrote into the device ({@link #forwardQueued}): a packet written into the TUN
 * device is routed by the kernel in that same system call, so an answer from a local container
 * (a ping's echo reply, a TCP ACK) is already queued in the device when the write returns. The
 * inbound thread sends it on at once instead of waking this loop's thread for it: one thread
 * wake-up less per request and answer, which on an idle machine is most of a round trip's cost
 * (docs/benchmarks.md). One lock keeps the reads and sends of one drain together, so packets
 * leave in the order the device gave them. Allocates nothing per packet.
 */
final class Outbound implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(Outbound.class);
    static final int BATCH = 64;
    /** A GSO train: at most 64 KiB of UDP payload per send. */
    static final int SLOT = 65536;
    private static final int MAX_GSO_BYTES = 65507;
    private static final int MAX_GSO_SEGMENTS = 64;

    // virtio_net_hdr
    private static final int VIRTIO_NET_HDR_F_NEEDS_CSUM = 1;
    private static final int VIRTIO_NET_HDR_GSO_NONE = 0;
    private static final int VIRTIO_NET_HDR_GSO_TCPV4 = 1;

    private final TunDevice tun;
    private final UdpSocket socket;
    private final int port;
    private final PeerRoutes routes;
    private final UdpCounters.Local counters;
    private final DatagramBatch batch;
    private final int headroom;
    /** What one TUN read returns: [virtio_net_hdr] IPv4 packet. Two views: header fields in host order, packet in network order. */
    private final ByteBuffer readBuffer;
    private final ByteBuffer vnet;
    private final ByteBuffer packet;
    private final ByteBuffer icmp = ByteBuffer.allocateDirect(TunDevice.VNET_HDR_LEN + Ipv4Packets.MAX_ICMP_ERROR);
    private int slots;
    /** Held while draining the device: by this loop's thread, or by the inbound loop's. */
    private final ReentrantLock drain = new ReentrantLock();

    Outbound(TunDevice tun, UdpSocket socket, int port, PeerRoutes routes, UdpCounters counters) {
        this.tun = tun;
        this.socket = socket;
        this.port = port;
        this.routes = routes;
        this.counters = counters.outbound();
        this.batch = DatagramBatch.allocate(BATCH, SLOT);
        this.headroom = tun.hasVnetHeader() ? TunDevice.VNET_HDR_LEN : 0;
        this.readBuffer = ByteBuffer.allocateDirect(headroom + 65536);
        this.vnet = readBuffer.duplicate().order(ByteOrder.nativeOrder());
        this.packet = readBuffer.duplicate().order(ByteOrder.BIG_ENDIAN);
    }

    @Override
    public void run() {
        try {
            while (true) {
                int n;
                drain.lock();
                try {
                    n = forwardBatch();
                } finally {
                    drain.unlock();
                }
                if (n < 0) {
                    break;
                }
                if (n == 0) {
                    tun.awaitReadable(1000); // idle: sleep in poll; busy: straight back to reading
                }
            }
        } catch (NetlinkException | IllegalStateException e) {
            if (tun.isOpen()) {
                LOG.error("udp backend: the TUN -> UDP loop stopped: {}", e.getMessage(), e);
            }
        }
    }

    /**
     * Sends what the device holds now (up to a batch), unless this loop's thread is at it already
     * (it then sends this too). For the inbound loop, after it wrote packets into the device.
     */
    void forwardQueued() {
        if (drain.tryLock()) {
            try {
                forwardBatch();
            } finally {
                drain.unlock();
            }
        }
    }

    /**
     * Reads what the device has (up to a batch) and sends it. Returns how many packets were
     * read, -1 once the device is closed.
     */
    private int forwardBatch() {
        PeerTable table = routes.table();
        int read = 0;
        slots = 0;
        while (read < BATCH) {
            readBuffer.clear();
            int n = tun.readNow(readBuffer);
            if (n == 0) {
                break;
            }
            if (n < 0) {
                return -1;
            }
            read++;
            forward(table, n - headroom);
        }
        flush();
        if (read > 0) {
            counters.publish();
        }
        return read;
    }

    private void forward(PeerTable table, int length) {
        int at = headroom;
        if (!Ipv4Packets.isIpv4(packet, at, length)) {
            counters.increment(Counter.NOT_IPV4);
            return;
        }
        int peer = table.publicIpFor(Ipv4Packets.destination(packet, at));
        if (peer == PeerTable.NONE) {
            counters.increment(Counter.NO_ROUTE);
            if (Ipv4Packets.deservesIcmpError(packet, at, length)) {
                int len = Ipv4Packets.netUnreachable(packet, at, length, routes.ownAddress(), icmp, headroom);
                tun.tryWrite(icmp, 0, headroom + len); // the header in front, if any, is all zeros: a finished packet
            }
            return;
        }
        int gso = VIRTIO_NET_HDR_GSO_NONE;
        if (headroom > 0) {
            gso = vnet.get(1) & 0x7f; // the top bit is ECN
            if ((vnet.get(0) & VIRTIO_NET_HDR_F_NEEDS_CSUM) != 0 && gso == VIRTIO_NET_HDR_GSO_NONE) {
                TcpSegments.completeChecksum(packet, at, length, vnet.getShort(6) & 0xffff, vnet.getShort(8) & 0xffff);
            }
        }
        if (gso == VIRTIO_NET_HDR_GSO_NONE) {
            int slot = nextSlot();
            batch.slot(slot).put(0, packet, at, length);
            batch.setDatagram(slot, 0, length, peer, port, 0);
            counters.increment(Counter.SENT_PACKETS);
            counters.add(Counter.SENT_BYTES, length);
        } else if (gso == VIRTIO_NET_HDR_GSO_TCPV4 && Ipv4Packets.protocol(packet, at) == Ipv4Packets.PROTO_TCP) {
            segment(peer, at, length, vnet.getShort(4) & 0xffff);
        } else {
            counters.increment(Counter.NOT_IPV4); // an offload we never enabled
        }
    }

    /** Cuts a TSO packet into segments of {@code mss} payload bytes, in as many GSO trains as the limits need. */
    private void segment(int peer, int at, int length, int mss) {
        int segments = TcpSegments.count(packet, at, length, mss);
        int segmentSize = TcpSegments.headersLength(packet, at) + mss;
        int perTrain = Math.min(MAX_GSO_SEGMENTS, MAX_GSO_BYTES / segmentSize);
        for (int first = 0; first < segments; first += perTrain) {
            int slot = nextSlot();
            ByteBuffer out = batch.slot(slot);
            int bytes = 0;
            int end = Math.min(segments, first + perTrain);
            for (int k = first; k < end; k++) {
                bytes += TcpSegments.writeSegment(packet, at, length, mss, k, out, bytes);
            }
            batch.setDatagram(slot, 0, bytes, peer, port, segmentSize);
            counters.add(Counter.SENT_PACKETS, end - first);
            counters.add(Counter.SENT_BYTES, bytes);
        }
    }

    private int nextSlot() {
        if (slots == BATCH) {
            flush();
        }
        return slots++;
    }

    private void flush() {
        if (slots > 0) {
            socket.send(batch, slots);
            counters.values[Counter.SEND_FAILED.ordinal()] = socket.sendErrors();
            slots = 0;
        }
    }
}
