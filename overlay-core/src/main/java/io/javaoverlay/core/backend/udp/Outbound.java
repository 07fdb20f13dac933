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
 * TUN -> UDP: drains the TUN device into a batch of datagrams, one inner IP packet each,
 * addressed to the peer whose subnet holds the packet's destination, and sends the batch with
 * one {@code sendmmsg}. Packets for subnets no peer holds are answered with ICMP "net
 * unreachable" written back into the TUN device, as flannel does.
 *
 * <p>Runs on its own thread until the device is closed. Allocates nothing per packet.
 */
final class Outbound implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(Outbound.class);
    static final int BATCH = 64;

    private final TunDevice tun;
    private final UdpSocket socket;
    private final int port;
    private final PeerRoutes routes;
    private final UdpCounters.Local counters;
    private final DatagramBatch batch;
    private final ByteBuffer icmp = ByteBuffer.allocateDirect(Ipv4Packets.MAX_ICMP_ERROR);

    /**
     * @param mtu the TUN device's MTU: no packet read from it is larger
     */
    Outbound(TunDevice tun, UdpSocket socket, int port, PeerRoutes routes, UdpCounters counters, int mtu) {
        this.tun = tun;
        this.socket = socket;
        this.port = port;
        this.routes = routes;
        this.counters = counters.outbound();
        this.batch = DatagramBatch.allocate(BATCH, mtu + 64);
    }

    @Override
    public void run() {
        try {
            while (true) {
                int n = forwardBatch();
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
     * Reads what the device has (up to a batch) and sends it. Returns how many packets were
     * read, -1 once the device is closed.
     */
    private int forwardBatch() {
        PeerTable table = routes.table();
        int ownNetwork = routes.ownAddress();
        int count = 0;
        int read = 0;
        while (count < BATCH) {
            int n = tun.readNow(batch, count, 0);
            if (n == 0) {
                break;
            }
            if (n < 0) {
                return -1;
            }
            read++;
            ByteBuffer pkt = batch.slot(count);
            if (!Ipv4Packets.isIpv4(pkt, 0, n)) {
                counters.increment(Counter.MALFORMED_FROM_TUN); // IPv6 router solicitations and the like
                continue;
            }
            int peer = table.publicIpFor(Ipv4Packets.destination(pkt, 0));
            if (peer == PeerTable.NONE) {
                counters.increment(Counter.NO_ROUTE);
                if (Ipv4Packets.deservesIcmpError(pkt, 0)) {
                    int len = Ipv4Packets.netUnreachable(pkt, 0, n, ownNetwork, icmp, 0);
                    tun.tryWrite(icmp, 0, len);
                }
                continue;
            }
            batch.setDatagram(count, 0, n, peer, port, 0);
            counters.add(Counter.SENT_BYTES, n);
            count++;
        }
        if (count > 0) {
            int sent = socket.send(batch, count);
            counters.add(Counter.SENT_PACKETS, sent);
            counters.values[Counter.SEND_FAILED.ordinal()] = socket.sendErrors();
        }
        if (read > 0) {
            counters.publish();
        }
        return read;
    }
}
