package io.javaoverlay.core.lease;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.GetOption;
import io.javaoverlay.core.config.NetworkConfig;
import io.javaoverlay.core.metrics.OverlayMetrics;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.testkit.EtcdExtension;

/** The lease contract on a real etcd, plus flannel's exact layout, outages and compaction. */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class EtcdSubnetManagerIT extends SubnetManagerContract {

    @RegisterExtension
    static final EtcdExtension etcd = EtcdExtension.builder().build();

    static final String PREFIX = "/coreos.com/network";

    @Override
    LeaseStore newStore() {
        return EtcdLeaseStore.connect(EtcdOptions.of(etcd.endpoints(), PREFIX), new OverlayMetrics());
    }

    @Override
    void reserve(Ip4Net subnet, LeaseAttrs attrs) {
        put(PREFIX + "/subnets/" + subnet.toKey(), attrs.toJson());
    }

    static void put(String key, String value) {
        try {
            etcd.client().getKVClient().put(bytes(key), bytes(value)).get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    static ByteSequence bytes(String s) {
        return ByteSequence.from(s, UTF_8);
    }

    static List<KeyValue> subnetKvs() throws Exception {
        return etcd.client().getKVClient().get(bytes(PREFIX + "/subnets/"), GetOption.builder().isPrefix(true).build())
                .get(10, TimeUnit.SECONDS).getKvs();
    }

    @Test
    void keysAndValuesAreFlannelsByteForByte() throws Exception {
        SubnetManager m = manager(Duration.ofHours(24));
        Lease l = m.acquire(m.networkConfig(), attrs("10.42.1.171"), Optional.of(Ip4Net.parse("10.9.42.0/24")));

        List<KeyValue> kvs = subnetKvs();
        assertThat(kvs).hasSize(1);
        KeyValue kv = kvs.get(0);
        assertThat(kv.getKey().toString(UTF_8)).isEqualTo("/coreos.com/network/subnets/10.9.42.0-24");
        assertThat(kv.getValue().toString(UTF_8)).isEqualTo(
                "{\"PublicIP\":\"10.42.1.171\",\"PublicIPv6\":null,\"BackendType\":\"vxlan\","
                        + "\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"0a:58:0a:09:00:01\"}}");
        assertThat(kv.getLease()).as("bound to an etcd lease").isNotZero();
        long ttl = etcd.client().getLeaseClient().timeToLive(kv.getLease(), io.etcd.jetcd.options.LeaseOption.DEFAULT)
                .get(10, TimeUnit.SECONDS).getGrantedTTL();
        assertThat(ttl).isEqualTo(24 * 3600);
        assertThat(l.expiration()).isPresent();

        // flannel's udp backend publishes no BackendType and no BackendData
        LeaseAttrs udp = LeaseAttrs.of(Ip4.parse("10.42.1.172"), Optional.empty(), Optional.empty());
        assertThat(udp.toJson()).isEqualTo("{\"PublicIP\":\"10.42.1.172\",\"PublicIPv6\":null}");
    }

    @Test
    void readsLeasesWrittenByFlannelIncludingDualStackKeysAndSkipsJunk() throws Exception {
        put(PREFIX + "/subnets/10.9.5.0-24", "{\"PublicIP\":\"10.0.0.5\",\"PublicIPv6\":null,\"BackendType\":\"host-gw\"}");
        put(PREFIX + "/subnets/10.9.6.0-24&fc00:0:0:6::-64",
                "{\"PublicIP\":\"10.0.0.6\",\"PublicIPv6\":\"fd00::6\",\"BackendType\":\"vxlan\",\"BackendData\":{\"VNI\":1,"
                        + "\"VtepMAC\":\"aa:bb:cc:dd:ee:06\"},\"BackendV6Data\":{\"VNI\":1,\"VtepMAC\":\"aa:bb:cc:dd:ee:66\"}}");
        put(PREFIX + "/subnets/not-a-subnet", "{}");
        put(PREFIX + "/subnets/10.9.7.0-24", "not json");

        List<Lease> leases = store().list().leases();

        assertThat(leases).extracting(l -> l.subnet().toString()).containsExactlyInAnyOrder("10.9.5.0/24", "10.9.6.0/24");
        Lease dual = leases.stream().filter(l -> l.subnet().toString().equals("10.9.6.0/24")).findFirst().orElseThrow();
        assertThat(dual.ipv6Subnet()).hasValue(io.javaoverlay.core.net.Ip6Net.parse("fc00:0:0:6::/64"));
        assertThat(dual.attrs().publicIpv6()).hasValue("fd00::6");
        assertThat(dual.reservation()).as("written without a lease").isTrue();
    }

    @Test
    void aWatchBehindACompactionResyncsAndReportsTheDifference() throws Exception {
        SubnetManager m = manager(Duration.ofMinutes(5));
        Lease own = acquire(m, "192.0.2.80");
        Lease gone = acquire(m, "192.0.2.81");
        LeaseSnapshot old = m.leases();

        // what the watcher misses: one peer leaves, one arrives, then history is compacted away
        m.store().delete(gone.subnet());
        Lease arrived = acquire(m, "192.0.2.82");
        long rev = etcd.client().getKVClient().get(bytes("/")).get(10, TimeUnit.SECONDS).getHeader().getRevision();
        etcd.client().getKVClient().compact(rev).get(10, TimeUnit.SECONDS);

        ConcurrentLinkedQueue<LeaseEvent> events = new ConcurrentLinkedQueue<>();
        closeables(m.watchPeers(own.subnet(), old, SubnetManager.listener(events::addAll, s -> { })));

        await().atMost(Duration.ofSeconds(15)).until(() -> events.size() >= 3);
        List<LeaseEvent> list = new ArrayList<>(events);
        assertThat(list.get(0)).isInstanceOf(LeaseEvent.Added.class); // the initial view: `gone`
        assertRemovedAndAdded(list.subList(1, list.size()), gone.subnet(), arrived.subnet());
    }

    @Test
    void aWatchSurvivesEtcdRestartingAndACompactionDuringTheOutage() throws Exception {
        SubnetManager m = manager(Duration.ofMinutes(5));
        Lease own = acquire(m, "192.0.2.90");
        Lease leaving = acquire(m, "192.0.2.91");
        ConcurrentLinkedQueue<LeaseEvent> events = new ConcurrentLinkedQueue<>();
        closeables(m.watchPeers(own.subnet(), m.leases(), SubnetManager.listener(events::addAll, s -> { })));
        await().atMost(Duration.ofSeconds(10)).until(() -> events.size() == 1);

        etcd.stop();
        Ip4Net joined;
        try (Client side = etcd.startIsolated()) {
            {
                side.getKVClient().delete(bytes(PREFIX + "/subnets/" + leaving.subnet().toKey())).get(10, TimeUnit.SECONDS);
                joined = Ip4Net.parse("10.9.200.0/24");
                side.getKVClient().put(bytes(PREFIX + "/subnets/" + joined.toKey()), bytes(attrs("192.0.2.92").toJson()))
                        .get(10, TimeUnit.SECONDS);
                long rev = side.getKVClient().get(bytes("/")).get(10, TimeUnit.SECONDS).getHeader().getRevision();
                side.getKVClient().compact(rev).get(10, TimeUnit.SECONDS);
            }
        }
        etcd.stop();
        etcd.start();

        await().atMost(Duration.ofSeconds(30)).until(() -> events.size() >= 3);
        assertRemovedAndAdded(new ArrayList<>(events).subList(1, 3), leaving.subnet(), joined);
        // and the lease is still ours to renew
        assertThat(m.renew(own).expiration()).isPresent();
    }

    @Test
    void unreachableEtcdIsAStoreUnavailableErrorNamingTheEndpoint() {
        EtcdOptions nowhere = new EtcdOptions(List.of("http://127.0.0.1:1"), PREFIX, Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty(), Duration.ofSeconds(2));
        try (EtcdLeaseStore s = EtcdLeaseStore.connect(nowhere, new OverlayMetrics())) {
            assertThatThrownBy(s::list).isInstanceOf(LeaseException.StoreUnavailableException.class)
                    .hasMessageContaining("http://127.0.0.1:1");
        }
    }

    @Test
    void measuresAcquisitionAndPropagation() throws Exception {
        SubnetManager watcherSide = manager(Duration.ofMinutes(5));
        NetworkConfig config = watcherSide.networkConfig();
        Lease own = watcherSide.acquire(config, attrs("192.0.2.100"), Optional.empty());
        ConcurrentLinkedQueue<long[]> seen = new ConcurrentLinkedQueue<>();
        closeables(watcherSide.watchPeers(own.subnet(), watcherSide.leases(),
                SubnetManager.listener(b -> b.forEach(e -> seen.add(new long[] {System.nanoTime()})), s -> { })));

        SubnetManager joiner = manager(Duration.ofMinutes(5));
        int n = 20;
        long[] acquire = new long[n];
        long[] propagate = new long[n];
        for (int i = 0; i < n; i++) {
            int before = seen.size();
            long t0 = System.nanoTime();
            joiner.acquire(config, attrs("192.0.2." + (110 + i)), Optional.empty());
            long t1 = System.nanoTime();
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(1)).until(() -> seen.size() > before);
            acquire[i] = t1 - t0;
            propagate[i] = new ArrayList<>(seen).get(before)[0] - t1;
        }
        java.util.Arrays.sort(acquire);
        java.util.Arrays.sort(propagate);
        System.out.printf("MEASURE lease acquisition (etcd, %d leases): median %.1f ms, max %.1f ms%n", n,
                acquire[n / 2] / 1e6, acquire[n - 1] / 1e6);
        System.out.printf("MEASURE new lease to a peer's watch (etcd): median %.1f ms, max %.1f ms%n",
                Math.max(0, propagate[n / 2]) / 1e6, Math.max(0, propagate[n - 1]) / 1e6);
        assertThat(acquire[n / 2]).isLessThan(Duration.ofSeconds(1).toNanos());
    }

    /** A lease for the host with {@code publicIp}, under the network config in etcd. */
    private static Lease acquire(SubnetManager m, String publicIp) {
        return m.acquire(m.networkConfig(), attrs(publicIp), Optional.empty());
    }

    /** The two events a watcher got after its first batch: {@code removed} went away and {@code added} came. */
    private static void assertRemovedAndAdded(List<LeaseEvent> later, Ip4Net removed, Ip4Net added) {
        assertThat(later).hasSize(2)
                .anySatisfy(e -> assertThat(e).isInstanceOfSatisfying(LeaseEvent.Removed.class,
                        r -> assertThat(r.lease().subnet()).isEqualTo(removed)))
                .anySatisfy(e -> assertThat(e).isInstanceOfSatisfying(LeaseEvent.Added.class,
                        a -> assertThat(a.lease().subnet()).isEqualTo(added)));
    }

    private void closeables(AutoCloseable c) {
        closeLater(c);
    }
}
