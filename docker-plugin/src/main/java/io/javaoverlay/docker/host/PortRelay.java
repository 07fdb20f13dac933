package io.javaoverlay.docker.host;

import java.io.Closeable;
import java.io.IOException;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.Semaphore;

import io.javaoverlay.core.net.Ip6Net;
import io.javaoverlay.docker.state.PortMapping;

/**
 * A userland relay for one published port, what Docker's {@code docker-proxy} is to its bridge
 * driver: it listens on a host address the kernel cannot DNAT (IPv6 {@code ::1}, which has no
 * {@code route_localnet}) and opens a connection (TCP) or a flow (UDP) to the container for
 * each client. The container sees the relay's own address, as it sees docker-proxy's.
 *
 * <p>Bounded: at most {@link Limits#connections} TCP connections or UDP flows at once, and
 * {@link Limits#total} across all relays (a client past either is closed at once, or its
 * datagram dropped, and logged), and a UDP flow is forgotten
 * after {@link Limits#udpIdle} without a datagram either way. Closing it stops listening at once,
 * so the port is free again, and cuts every connection and flow.
 */
public interface PortRelay extends Closeable {

    /** Where it listens (the port the kernel bound when 0 was asked). */
    InetSocketAddress listening();

    /** Where it relays to. */
    InetSocketAddress target();

    /** Connections (TCP) or flows (UDP) open now. */
    int active();

    @Override
    void close();

    /**
     * Binds {@code listen} and starts relaying to {@code target}; a bind failure (the port is
     * taken there) throws before anything is left open.
     */
    static PortRelay open(PortMapping.Protocol protocol, InetSocketAddress listen, InetSocketAddress target, Limits limits)
            throws IOException {
        return switch (protocol) {
            case TCP -> TcpRelay.open(listen, target, limits);
            case UDP -> UdpRelay.open(listen, target, limits);
            case SCTP -> throw new IOException("SCTP cannot be relayed in userland by this JVM");
        };
    }

    /**
     * @param connections    TCP connections or UDP flows open at once, per relay
     * @param connectTimeout how long a TCP connection to the container may take
     * @param udpIdle        how long a UDP flow lives without a datagram (docker-proxy's 90 s)
     * @param total          connections and flows open at once across every relay sharing these
     *                       limits (each holds a thread or two), so many ports cannot add up to
     *                       an unbounded number of threads
     */
    record Limits(int connections, Duration connectTimeout, Duration udpIdle, Semaphore total) {
        /** 256 per port, 1024 in all, 5 s to connect, 90 s for an idle UDP flow. */
        public static Limits standard() {
            return of(256, 1024, Duration.ofSeconds(5), Duration.ofSeconds(90));
        }

        public static Limits of(int perRelay, int total, Duration connectTimeout, Duration udpIdle) {
            if (total < 1) {
                throw new IllegalArgumentException("relay limits must be positive: total " + total);
            }
            return new Limits(perRelay, connectTimeout, udpIdle, new Semaphore(total));
        }

        public Limits {
            if (connections < 1 || connectTimeout.isNegative() || connectTimeout.isZero() || udpIdle.isNegative() || udpIdle.isZero()
                    || total == null) {
                throw new IllegalArgumentException("relay limits must be positive: " + connections + ", " + connectTimeout + ", " + udpIdle);
            }
        }
    }

    /** {@code [::1]:8080}, {@code 10.5.1.2:80}. */
    static String text(InetSocketAddress a) {
        byte[] raw = a.getAddress().getAddress();
        if (raw.length == 16) {
            return "[" + Ip6Net.format(new BigInteger(1, raw)) + "]:" + a.getPort();
        }
        return a.getAddress().getHostAddress() + ":" + a.getPort();
    }
}
