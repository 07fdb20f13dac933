package io.javaoverlay.docker.host;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The UDP {@link PortRelay}: one receiving thread on the listening socket, and per client
 * address a flow, a socket connected to the target whose thread sends the container's replies
 * back to that client from the listening socket (so they come from the address the client
 * sent to). A flow without a datagram either way for {@link Limits#udpIdle} is closed, as
 * docker-proxy's connection tracking forgets one after 90 s; a port-unreachable from the
 * container (nothing listens there yet) does not end it.
 */
final class UdpRelay extends SocketRelay {

    private static final Logger LOG = LoggerFactory.getLogger(UdpRelay.class);
    /** The largest UDP payload over IPv4, as docker-proxy reads. */
    static final int MAX_DATAGRAM = 65507;

    private final DatagramSocket socket;
    private final Map<SocketAddress, Flow> flows = new ConcurrentHashMap<>();
    private final AtomicInteger dropped = new AtomicInteger();

    private UdpRelay(DatagramSocket socket, InetSocketAddress target, Limits limits) {
        super((InetSocketAddress) socket.getLocalSocketAddress(), target, limits);
        this.socket = socket;
    }

    static UdpRelay open(InetSocketAddress listen, InetSocketAddress target, Limits limits) throws IOException {
        DatagramSocket socket = bound(new DatagramSocket(null), s -> s.bind(listen));
        UdpRelay relay = new UdpRelay(socket, target, limits);
        relay.start("udp");
        return relay;
    }

    @Override
    public int active() {
        return flows.size();
    }

    /** Receives datagrams and hands each to its client's flow. */
    @Override
    void listenLoop() {
        byte[] buffer = new byte[MAX_DATAGRAM];
        DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
        while (!closed) {
            packet.setLength(buffer.length);
            try {
                socket.receive(packet);
            } catch (IOException e) {
                if (!closed) {
                    LOG.warn("relay udp {} -> {}: receive failed, relay stops ({})", PortRelay.text(listening), PortRelay.text(target),
                            e.toString());
                }
                return;
            }
            Flow flow = flowFor(packet.getSocketAddress());
            if (flow != null) {
                flow.send(packet);
            }
        }
    }

    /** The client's flow, opened when new; null when the limit is reached or the target cannot be addressed. */
    private Flow flowFor(SocketAddress client) {
        Flow flow = flows.get(client);
        if (flow != null) {
            return flow;
        }
        boolean room = flows.size() < limits.connections();
        if (!room || !limits.total().tryAcquire()) {
            if (dropped.getAndIncrement() % 100 == 0) {
                LOG.warn("relay udp {} -> {}: {}; dropping a datagram from new client {} ({} dropped so far)",
                        PortRelay.text(listening), PortRelay.text(target), room ? "the relays' flows are at their limit in all"
                                : limits.connections() + " flows open, the limit", client, dropped.get());
            }
            return null;
        }
        DatagramSocket out;
        try {
            out = new DatagramSocket();
            out.connect(target);
            out.setSoTimeout((int) Math.min(Integer.MAX_VALUE, limits.udpIdle().toMillis()));
        } catch (IOException e) {
            limits.total().release();
            LOG.warn("relay udp {} -> {}: cannot open a flow for {} ({})", PortRelay.text(listening), PortRelay.text(target), client,
                    e.getMessage());
            return null;
        }
        flow = new Flow(client, out);
        flows.put(client, flow);
        if (closed) { // close() ran between the check above and here
            flow.close();
            return null;
        }
        Flow started = flow;
        WORKERS.execute(started::replyLoop);
        LOG.debug("relay udp {}: new flow {} -> {}", PortRelay.text(listening), client, PortRelay.text(target));
        return flow;
    }

    @Override
    void closeSockets() {
        socket.close();
        for (Flow f : flows.values()) {
            f.close();
        }
    }

    /** One client's traffic to the container and back. */
    private final class Flow {
        private final SocketAddress client;
        private final DatagramSocket out;
        private volatile long lastActive = System.nanoTime();
        private final java.util.concurrent.atomic.AtomicBoolean released = new java.util.concurrent.atomic.AtomicBoolean();

        Flow(SocketAddress client, DatagramSocket out) {
            this.client = client;
            this.out = out;
        }

        void send(DatagramPacket from) {
            lastActive = System.nanoTime();
            try {
                out.send(new DatagramPacket(from.getData(), from.getOffset(), from.getLength()));
            } catch (PortUnreachableException e) {
                // an earlier datagram found nothing listening in the container; this one is sent again next time
            } catch (IOException e) {
                LOG.debug("relay udp {}: sending for {}: {}", PortRelay.text(listening), client, e.toString());
            }
        }

        void replyLoop() {
            byte[] buffer = new byte[MAX_DATAGRAM];
            DatagramPacket reply = new DatagramPacket(buffer, buffer.length);
            long idle = limits.udpIdle().toNanos();
            try {
                while (!closed) {
                    reply.setLength(buffer.length);
                    try {
                        out.receive(reply);
                    } catch (SocketTimeoutException e) {
                        if (System.nanoTime() - lastActive >= idle) {
                            LOG.debug("relay udp {}: flow {} idle, closed", PortRelay.text(listening), client);
                            return;
                        }
                        continue;
                    } catch (PortUnreachableException e) {
                        continue; // nothing listens in the container (yet): the flow lives on until it is idle
                    }
                    lastActive = System.nanoTime();
                    socket.send(new DatagramPacket(buffer, 0, reply.getLength(), client));
                }
            } catch (IOException e) {
                if (!closed) {
                    LOG.debug("relay udp {}: flow {} ends ({})", PortRelay.text(listening), client, e.toString());
                }
            } finally {
                close();
            }
        }

        void close() {
            flows.remove(client, this);
            out.close();
            if (released.compareAndSet(false, true)) {
                limits.total().release();
            }
        }
    }
}
