package io.javaoverlay.cli.status;

import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.Optional;

import io.javaoverlay.core.net.Ip6Net;

/**
 * Whether an address answers, and how fast: an ICMP echo when run as root (as {@code ping}),
 * else a TCP connection attempt to port 7, where a refusal also proves the host is there
 * ({@link InetAddress#isReachable}).
 */
record Reachability(String address, boolean reachable, Optional<Duration> rtt) {

    static Reachability probe(InetAddress a, Duration timeout) {
        try {
            long start = System.nanoTime();
            boolean ok = a.isReachable((int) timeout.toMillis());
            Duration rtt = Duration.ofNanos(System.nanoTime() - start);
            return new Reachability(text(a), ok, ok ? Optional.of(rtt) : Optional.empty());
        } catch (IOException e) {
            return new Reachability(text(a), false, Optional.empty());
        }
    }

    /** An address as people write it: dotted IPv4, RFC 5952 IPv6. */
    static String text(InetAddress a) {
        return a instanceof java.net.Inet6Address ? Ip6Net.format(new java.math.BigInteger(1, a.getAddress())) : a.getHostAddress();
    }

    String render() {
        return reachable ? rtt.map(d -> String.format("ok %.2f ms", d.toNanos() / 1e6)).orElse("ok") : "NO";
    }
}
