package io.javaoverlay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntPredicate;

import io.javaoverlay.core.net.Ip6Host;
import io.javaoverlay.core.net.Ip6Net;
import io.javaoverlay.core.netlink.NetNs;
import io.javaoverlay.core.netlink.NetlinkSocket;
import io.javaoverlay.core.netlink.Route;
import io.javaoverlay.testkit.TestNamespace;

/**
 * A peer's path as the hosts have it, read fast enough to time how soon a late host is reached:
 * the late-host tests of every face and backend poll with it.
 */
public final class PeerPaths {

    /** The address family of IPv6 routes in a netlink dump. */
    private static final int AF_INET6 = 10;

    private PeerPaths() {}

    /**
     * Whether {@code host} has an IPv6 route to {@code subnet} in its main table, read straight through
     * netlink, so that polling it every few milliseconds costs no process. Every backend that routes per
     * peer adds the route last (vxlan after its neighbour and FDB entry), so the rest of the path is in
     * place by then. The first call in a JVM loads the native code: make one before a clock runs.
     */
    public static boolean routed6(TestNamespace host, Ip6Net subnet) {
        try (NetNs ns = host.open(); NetlinkSocket nl = NetlinkSocket.open(ns)) {
            return nl.routes().list(AF_INET6).stream().anyMatch(r -> r.table() == Route.TABLE_MAIN && r.destination() != null
                    && r.prefixLength() == subnet.prefixLength() && Ip6Host.of(r.destination()).equals(subnet.address()));
        }
    }

    /**
     * Polls each of {@code hosts} every 2 ms, each on a thread of its own (not the common pool, which
     * may have a single worker on a small machine), until {@code present} holds for it, for at most
     * 10 s; the milliseconds from {@code sinceNanos} ({@link System#nanoTime}) at which each did, in
     * the order of {@code hosts}, at least 1.
     */
    public static long[] millisUntil(List<Integer> hosts, long sinceNanos, IntPredicate present) throws InterruptedException {
        long[] after = new long[hosts.size()];
        long deadline = sinceNanos + Duration.ofSeconds(10).toNanos();
        ExecutorService pollers = Executors.newFixedThreadPool(hosts.size());
        try {
            List<Future<?>> polls = new ArrayList<>();
            for (int i = 0; i < hosts.size(); i++) {
                int k = i;
                polls.add(pollers.submit(() -> {
                    while (!present.test(hosts.get(k))) {
                        assertThat(System.nanoTime()).as("host %d has the path within 10 s", hosts.get(k)).isLessThan(deadline);
                        Thread.sleep(2);
                    }
                    after[k] = Math.max(1, (System.nanoTime() - sinceNanos) / 1_000_000);
                    return null;
                }));
            }
            for (Future<?> f : polls) {
                try {
                    f.get();
                } catch (ExecutionException e) {
                    throw e.getCause() instanceof AssertionError a ? a : new AssertionError(e.getCause());
                }
            }
        } finally {
            pollers.shutdownNow();
        }
        return after;
    }

    /** The largest of {@code millis}. */
    public static long slowest(long[] millis) {
        return java.util.Arrays.stream(millis).max().orElse(0);
    }
}
