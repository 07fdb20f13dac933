package io.javaoverlay.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntPredicate;

import io.javaoverlay.core.net.Ip6Host;
import io.javaoverlay.core.net.Ip6Net;
import io.javaoverlay.core.netlink.NetNs;
import io.javaoverlay.core.netlink.NetlinkSocket;
import io.javaoverlay.core.netlink.Route;
import io.javaoverlay.testkit.TestNamespace;

/**
 * A peer's IPv6 path as the hosts have it, read fast enough to time how soon a late host is reached.
 */
public final class Ipv6Paths {

    /** The address family of IPv6 routes in a netlink dump. */
    private static final int AF_INET6 = 10;

    private Ipv6Paths() {}

    /**
     * Whether {@code host} has an IPv6 route to {@code subnet} in its main table, read straight through
     * netlink, so that polling it every few milliseconds costs no process. Every backend that routes per
     * peer adds the route last (vxlan after its neighbour and FDB entry), so the rest of the path is in
     * place by then.
     */
    public static boolean routed(TestNamespace host, Ip6Net subnet) {
        try (NetNs ns = host.open(); NetlinkSocket nl = NetlinkSocket.open(ns)) {
            return nl.routes().list(AF_INET6).stream().anyMatch(r -> r.table() == Route.TABLE_MAIN && r.destination() != null
                    && r.prefixLength() == subnet.prefixLength() && Ip6Host.of(r.destination()).equals(subnet.address()));
        }
    }

    /**
     * Polls each of {@code hosts} every 2 ms (side by side) until {@code present} holds for it, for
     * at most 10 s; the milliseconds from {@code sinceNanos} ({@link System#nanoTime}) at which each did,
     * in the order of {@code hosts}.
     */
    public static long[] millisUntil(List<Integer> hosts, long sinceNanos, IntPredicate present) {
        long[] after = new long[hosts.size()];
        List<CompletableFuture<Void>> polls = new ArrayList<>();
        for (int i = 0; i < hosts.size(); i++) {
            int k = i;
            polls.add(CompletableFuture.runAsync(() -> {
                await().atMost(Duration.ofSeconds(10)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(2))
                        .until(() -> present.test(hosts.get(k)));
                after[k] = (System.nanoTime() - sinceNanos) / 1_000_000;
            }));
        }
        polls.forEach(CompletableFuture::join);
        return after;
    }

    /** The largest of {@code millis}, asserted to be within the second; printed with all of them. */
    public static long assertWithinASecond(String what, long[] millis) {
        long slowest = 0;
        for (long m : millis) {
            slowest = Math.max(slowest, m);
        }
        System.out.printf("%s within %d ms (%s)%n", what, slowest, java.util.Arrays.toString(millis));
        assertThat(slowest).as("milliseconds: %s", what).isLessThanOrEqualTo(1000);
        return slowest;
    }
}
