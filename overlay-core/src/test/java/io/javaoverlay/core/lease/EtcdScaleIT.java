package io.javaoverlay.core.lease;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.options.PutOption;
import io.javaoverlay.core.metrics.OverlayMetrics;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.testkit.EtcdExtension;

/**
 * 5,000 peer leases: listing them is one range read (no TTL lookup per lease), and both the
 * initial view reaches the watcher well within the 5 s the data path has to apply them; a burst
 * of new leases trails the last write by little.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class EtcdScaleIT {

    @RegisterExtension
    static final EtcdExtension etcd = EtcdExtension.builder().build();

    static final int N = 5000;

    static ByteSequence bytes(String s) {
        return ByteSequence.from(s, UTF_8);
    }

    static void putLeases(String prefix, int from, int count, long leaseId) throws Exception {
        List<CompletableFuture<?>> pending = new ArrayList<>();
        for (int i = from; i < from + count; i++) {
            Ip4Net sn = new Ip4Net(io.javaoverlay.core.net.Ip4.parse("10.0.0.0").plus((long) (i + 1) << 8), 24);
            String value = "{\"PublicIP\":\"192.168." + (i / 250) + "." + (i % 250 + 1) + "\",\"PublicIPv6\":null,\"BackendType\":\"vxlan\","
                    + "\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"0a:00:00:00:" + String.format("%02x:%02x", (i >> 8) & 0xff, i & 0xff) + "\"}}";
            pending.add(etcd.client().getKVClient().put(bytes(prefix + "/subnets/" + sn.toKey()), bytes(value),
                    PutOption.builder().withLeaseId(leaseId).build()));
            if (pending.size() == 500) {
                CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
                pending.clear();
            }
        }
        CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
    }

    @Test
    void fiveThousandLeasesListAndStreamQuickly() throws Exception {
        String prefix = "/scale/network";
        long leaseId = etcd.client().getLeaseClient().grant(600).get(10, TimeUnit.SECONDS).getID();
        putLeases(prefix, 0, N, leaseId);

        try (EtcdLeaseStore store = EtcdLeaseStore.connect(EtcdOptions.of(etcd.endpoints(), prefix), new OverlayMetrics())) {
            store.list(); // warm up the client
            long t0 = System.nanoTime();
            LeaseSnapshot snap = store.list();
            long listed = System.nanoTime() - t0;
            assertThat(snap.leases()).hasSize(N);

            SubnetManager m = new SubnetManager(store, Duration.ofMinutes(10));
            AtomicInteger added = new AtomicInteger();
            long t1 = System.nanoTime();
            AutoCloseable w = m.watchPeers(Ip4Net.parse("10.255.255.0/24"), snap,
                    SubnetManager.listener(b -> added.addAndGet(b.size()), s -> { }));
            try {
                long initial = System.nanoTime() - t1;
                assertThat(added.get()).isEqualTo(N);

                // a burst of 1,000 more hosts joining: how far the watcher trails the last write
                int burstSize = 1000;
                long t2 = System.nanoTime();
                putLeases(prefix, N, burstSize, leaseId);
                long written = System.nanoTime();
                await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(1)).until(() -> added.get() == N + burstSize);
                long lag = System.nanoTime() - written;

                System.out.printf("MEASURE list %d leases from etcd (one range read): %.0f ms%n", N, listed / 1e6);
                System.out.printf("MEASURE initial peer view of %d leases as events: %.0f ms%n", N, initial / 1e6);
                System.out.printf("MEASURE %d new leases written in %.0f ms; the watcher had them all %.0f ms after the last write%n",
                        burstSize, (written - t2) / 1e6, lag / 1e6);
                assertThat(listed).isLessThan(Duration.ofSeconds(5).toNanos());
                assertThat(initial).isLessThan(Duration.ofSeconds(5).toNanos());
            } finally {
                w.close();
            }
        }
    }
}
