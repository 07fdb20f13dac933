package io.javaoverlay.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.Ip6Net;
import io.javaoverlay.testkit.TestNamespace;
import io.javaoverlay.testkit.TestProcess;

/**
 * The moment a lease appears, as an etcd client sees it: an {@code etcdctl watch} on the subnets
 * prefix, started in a namespace that reaches etcd before the lease is written, read as it prints.
 */
public final class LeaseWatch implements AutoCloseable {

    /** A put of a lease key: its subnets (the IPv6 one of a dual-stack key, else null) and when it was seen. */
    public record Put(Ip4Net subnet, Ip6Net subnet6, long seenNanos, Instant seenAt) {

        /**
         * When an agent logged {@code peer} as added, by its log's clock, after this put was seen:
         * {@code "<n> ms"}, or {@code "-"} when {@code agentLog} does not say.
         */
        public String loggedIn(String agentLog, Object peer) {
            Matcher m = Pattern.compile("(\\S+) INFO \\S+ - peer added: " + Pattern.quote(peer.toString())).matcher(agentLog);
            return m.find() ? Duration.between(seenAt, OffsetDateTime.parse(m.group(1)).toInstant()).toMillis() + " ms" : "-";
        }
    }

    private final TestProcess watch;

    private LeaseWatch(TestProcess watch) {
        this.watch = watch;
    }

    /** Watches {@code <prefix>/subnets/} of the etcd at {@code etcdUrl} from {@code where}; running when this returns. */
    public static LeaseWatch start(TestNamespace where, String etcdUrl, String prefix) throws InterruptedException {
        LeaseWatch w = new LeaseWatch(where.start("watch-subnets", "etcdctl", "--endpoints", etcdUrl, "watch", "--prefix", prefix + "/subnets/"));
        Thread.sleep(300); // let the watch start before the lease is written
        return w;
    }

    /**
     * Waits up to 90 s for the put of a lease key whose value holds {@code valueMarker} (e.g.
     * {@code "PublicIPv6":"fd00:e2e::3"}), polling what the watch printed every 2 ms.
     */
    public Put awaitPut(String valueMarker) throws IOException, InterruptedException {
        Pattern put = Pattern.compile("PUT\\s+\\S+/subnets/(\\d+\\.\\d+\\.\\d+\\.\\d+-\\d+)(?:&(\\S+-\\d+))?\\s+\\{[^\\n]*"
                + Pattern.quote(valueMarker));
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (System.nanoTime() < deadline) {
            Matcher m = put.matcher(Files.readString(watch.logFile()));
            if (m.find()) {
                return new Put(Ip4Net.parseKey(m.group(1)), m.group(2) == null ? null : Ip6Net.parseKey(m.group(2)), System.nanoTime(),
                        Instant.now());
            }
            Thread.sleep(2);
        }
        throw new AssertionError(String.format("no lease with %s in etcd within 90 s; watch log:%n%s", valueMarker, watch.log()));
    }

    @Override
    public void close() {
        watch.stop();
    }
}
