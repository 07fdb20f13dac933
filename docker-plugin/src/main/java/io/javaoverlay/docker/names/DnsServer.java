package io.javaoverlay.docker.names;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

import io.javaoverlay.core.metrics.OverlayMetrics;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.threads.DaemonThreads;

/**
 * A small DNS server for containers: single-label names in the {@link NameTable} (container
 * names and aliases of every host) get A records; every other question goes to the upstream
 * servers, and their answer comes back unchanged. UDP and TCP, on one address only (the bridge's
 * gateway, never the underlay: this must not be an open resolver). dnsjava does the wire format.
 *
 * <p>Bounds: a datagram or TCP message over 64 KiB is not read; UDP replies fit 512 bytes or the
 * client's EDNS size (at most 1232), truncated with TC set otherwise; work runs on a fixed pool
 * ({@value #WORKERS} threads, {@value #QUEUE} waiting queries, more are dropped and counted, as a
 * busy server drops and the client retries); a forwarded query waits at most the forward timeout
 * in all, trying up to {@value #MAX_UPSTREAMS} upstreams in turn within it; a TCP client gets 5 s per message
 * and at most {@value #TCP_CONNECTIONS} connections at once.
 */
public final class DnsServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DnsServer.class);

    /** Short: a removed container's name should not linger in caches (dockerd's embedded DNS caches nothing). */
    static final long TTL_SECONDS = 5;
    private static final int WORKERS = 4;
    private static final int QUEUE = 256;
    private static final int MAX_UPSTREAMS = 3;
    private static final int TCP_CONNECTIONS = 16;
    private static final int MAX_UDP_REPLY = 1232;

    private final NameTable table;
    private final List<InetSocketAddress> upstreams;
    private final Duration forwardTimeout;
    /** Where each query is counted by result. */
    private final OverlayMetrics metrics;
    private final AtomicLong dropped = new AtomicLong();
    private final ThreadPoolExecutor workers = pool("dns-query", WORKERS, QUEUE);
    private final ThreadPoolExecutor tcpClients = pool("dns-tcp", TCP_CONNECTIONS, 0);

    {
        tcpClients.setRejectedExecutionHandler(new ThreadPoolExecutor.AbortPolicy());
    }

    private volatile DatagramSocket udp;
    private volatile ServerSocket tcp;
    private volatile InetSocketAddress bound;

    public DnsServer(NameTable table, List<InetSocketAddress> upstreams, Duration forwardTimeout, OverlayMetrics metrics) {
        this.metrics = metrics;
        this.table = table;
        this.upstreams = List.copyOf(upstreams.subList(0, Math.min(upstreams.size(), MAX_UPSTREAMS)));
        this.forwardTimeout = forwardTimeout;
    }

    private ThreadPoolExecutor pool(String name, int threads, int queue) {
        ThreadPoolExecutor p = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS,
                queue > 0 ? new ArrayBlockingQueue<>(queue) : new java.util.concurrent.SynchronousQueue<>(), DaemonThreads.factory(name), (r, ex) -> {
                    dropped.incrementAndGet();
                    metrics.dnsQuery("dropped");
                });
        p.allowCoreThreadTimeOut(true);
        return p;
    }

    /** Where it listens now, if anywhere. */
    public Optional<InetSocketAddress> boundTo() {
        return Optional.ofNullable(bound);
    }

    /** Queries dropped because the server was busy. */
    public long dropped() {
        return dropped.get();
    }

    /** Listens on {@code at} (UDP and TCP), after closing what it listened on before. */
    public synchronized void bind(InetSocketAddress at) throws IOException {
        unbind();
        DatagramSocket u = new DatagramSocket(null);
        ServerSocket t = new ServerSocket();
        try {
            u.bind(at);
            t.setReuseAddress(true);
            t.bind(at, 64);
        } catch (IOException e) {
            u.close();
            t.close();
            throw e;
        }
        udp = u;
        tcp = t;
        bound = at;
        DaemonThreads.thread("dns-udp " + at, () -> serveUdp(u)).start();
        DaemonThreads.thread("dns-tcp-accept " + at, () -> acceptTcp(t)).start();
        LOG.info("answering DNS for container names on {} (UDP and TCP), forwarding other names to {}", at,
                upstreams.isEmpty() ? "nobody (no upstream: SERVFAIL)" : upstreams);
    }

    public synchronized void unbind() {
        if (udp != null) {
            udp.close();
        }
        if (tcp != null) {
            try {
                tcp.close();
            } catch (IOException e) {
                LOG.debug("closing the DNS TCP socket: {}", e.toString());
            }
        }
        udp = null;
        tcp = null;
        bound = null;
    }

    private void serveUdp(DatagramSocket socket) {
        DatagramPacket p = new DatagramPacket(new byte[65535], 65535);
        while (!socket.isClosed()) {
            p.setLength(65535);
            try {
                socket.receive(p);
            } catch (IOException e) {
                if (!socket.isClosed()) {
                    LOG.warn("DNS on UDP stopped: {}", e.toString());
                }
                return;
            }
            byte[] query = java.util.Arrays.copyOf(p.getData(), p.getLength());
            var from = p.getSocketAddress();
            workers.execute(() -> {
                byte[] reply = answer(query, true);
                if (reply != null) {
                    try {
                        socket.send(new DatagramPacket(reply, reply.length, from));
                    } catch (IOException e) {
                        LOG.debug("DNS reply to {}: {}", from, e.toString());
                    }
                }
            });
        }
    }

    private void acceptTcp(ServerSocket server) {
        while (!server.isClosed()) {
            Socket s;
            try {
                s = server.accept();
            } catch (IOException e) {
                if (!server.isClosed()) {
                    LOG.warn("DNS on TCP stopped: {}", e.toString());
                }
                return;
            }
            try {
                tcpClients.execute(() -> serveTcp(s));
            } catch (java.util.concurrent.RejectedExecutionException busy) {
                dropped.incrementAndGet();
                metrics.dnsQuery("dropped");
                closeQuietly(s);
            }
        }
    }

    private void serveTcp(Socket s) {
        try (s) {
            s.setSoTimeout(5000);
            DataInputStream in = new DataInputStream(s.getInputStream());
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            while (true) {
                int length;
                try {
                    length = in.readUnsignedShort();
                } catch (IOException eofOrIdle) {
                    return;
                }
                byte[] query = in.readNBytes(length);
                if (query.length != length) {
                    return;
                }
                byte[] reply = answer(query, false);
                if (reply == null) {
                    return;
                }
                out.writeShort(reply.length);
                out.write(reply);
                out.flush();
            }
        } catch (IOException e) {
            LOG.debug("DNS over TCP: {}", e.toString());
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // gone either way
        }
    }

    /** The reply to {@code wire}, or null for something that is not a DNS query at all (dropped). */
    byte[] answer(byte[] wire, boolean udpReply) {
        Message query;
        try {
            query = new Message(wire);
        } catch (IOException e) {
            return null;
        }
        if (query.getHeader().getFlag(Flags.QR)) {
            return null; // a reply sent to us: never answer one (no loops, no reflection)
        }
        int max = udpReply ? udpLimit(query) : 65535;
        Record question = query.getQuestion();
        if (query.getHeader().getOpcode() != Opcode.QUERY || question == null) {
            metrics.dnsQuery("refused");
            return reply(query, Rcode.NOTIMP).toWire(max);
        }
        Name name = question.getName();
        if (name.labels() == 2 && question.getDClass() == DClass.IN) {
            List<Ip4> addresses = table.lookup(name.getLabelString(0));
            if (!addresses.isEmpty()) {
                Message r = reply(query, Rcode.NOERROR);
                r.getHeader().setFlag(Flags.AA);
                if (question.getType() == Type.A || question.getType() == Type.ANY) {
                    for (Ip4 a : addresses) {
                        r.addRecord(new ARecord(name, DClass.IN, TTL_SECONDS, a.toInetAddress()), Section.ANSWER);
                    }
                }
                metrics.dnsQuery("local");
                return r.toWire(max);
            }
        }
        return forward(query).toWire(max);
    }

    private Message forward(Message query) {
        // one budget for all upstreams: the client (dockerd's embedded DNS waits 4 s) must get an answer first
        long deadline = System.nanoTime() + forwardTimeout.toNanos();
        for (InetSocketAddress upstream : upstreams) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                break;
            }
            try {
                SimpleResolver r = new SimpleResolver(upstream);
                r.setTimeout(Duration.ofNanos(left));
                Message answer = r.send(query);
                answer.getHeader().setID(query.getHeader().getID());
                metrics.dnsQuery("forwarded");
                return answer;
            } catch (IOException | RuntimeException e) {
                LOG.debug("upstream {} did not answer {}: {}", upstream, query.getQuestion(), e.toString());
            }
        }
        metrics.dnsQuery("servfail");
        return reply(query, Rcode.SERVFAIL);
    }

    private static Message reply(Message query, int rcode) {
        Message r = new Message(query.getHeader().getID());
        r.getHeader().setFlag(Flags.QR);
        r.getHeader().setOpcode(query.getHeader().getOpcode());
        if (query.getHeader().getFlag(Flags.RD)) {
            r.getHeader().setFlag(Flags.RD);
        }
        r.getHeader().setFlag(Flags.RA);
        r.getHeader().setRcode(rcode);
        if (query.getQuestion() != null) {
            r.addRecord(query.getQuestion(), Section.QUESTION);
        }
        return r;
    }

    private static int udpLimit(Message query) {
        OPTRecord opt = query.getOPT();
        return opt == null ? 512 : Math.max(512, Math.min(opt.getPayloadSize(), MAX_UDP_REPLY));
    }

    @Override
    public void close() {
        unbind();
        workers.shutdownNow();
        tcpClients.shutdownNow();
    }
}
