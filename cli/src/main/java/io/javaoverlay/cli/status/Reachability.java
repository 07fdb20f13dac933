package io.javaoverlay.cli.status;

import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.Optional;

import io.javaoverlay.core.net.Ip4;

/**
 * Whether an address answers, and how fast: an ICMP echo when run as root (as {@code ping}),
 * else a TCP connection attempt to port 7, where a refusal also proves the host is there
 * ({@link InetAddress#isReachable}).
 */
record Reachability(Ip4 address, boolean reachable, Optional<Duration> rtt) {

    static Reachability probe(Ip4 address, Duration timeout) {
        try {
            InetAddress a = InetAddress.getByAddress(address.toBytes());
            long start = System.nanoTime();
            boolean ok = a.isReachable((int) timeout.toMillis());
            Duration rtt = Duration.ofNanos(System.nanoTime() - start);
            return new Reachability(address, ok, ok ? Optional.of(rtt) : Optional.empty());
        } catch (IOException e) {
            return new Reachability(address, false, Optional.empty());
        }
    }

    String render() {
        return reachable ? rtt.map(d -> String.format("ok %.2f ms", d.toNanos() / 1e6)).orElse("ok") : "NO";
    }
}
