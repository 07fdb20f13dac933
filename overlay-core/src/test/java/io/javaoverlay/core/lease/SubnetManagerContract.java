package io.javaoverlay.core.lease;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.javaoverlay.core.config.NetworkConfig;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;

/**
 * What every lease store must do under the {@link SubnetManager}, run against the real etcd and
 * against the embedded store. Each subclass supplies fresh clients to one shared backing store.
 */
abstract class SubnetManagerContract {

    static final String CONFIG = "{\"Network\":\"10.9.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}";
    static final ObjectMapper JSON = new ObjectMapper();

    private final List<AutoCloseable> closeables = new ArrayList<>();

    /** A new client of the shared store (closed after the test). */
    abstract LeaseStore newStore();

    /** Writes a key without any TTL, as an operator does to reserve a subnet. */
    abstract void reserve(Ip4Net subnet, LeaseAttrs attrs);

    LeaseStore store() {
        LeaseStore s = newStore();
        closeables.add(s);
        return s;
    }

    /** Closed after the test, with the clients. */
    void closeLater(AutoCloseable c) {
        closeables.add(c);
    }

    SubnetManager manager(Duration ttl) {
        return new SubnetManager(store(), ttl);
    }

    static LeaseAttrs attrs(String publicIp) {
        try {
            return LeaseAttrs.of(Ip4.parse(publicIp), Optional.of("vxlan"),
                    Optional.of(JSON.readTree("{\"VNI\":1,\"VtepMAC\":\"0a:58:0a:09:00:01\"}")));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @BeforeEach
    void cleanStore() {
        LeaseStore s = store();
        for (Lease l : s.list().leases()) {
            s.delete(l.subnet());
        }
        s.writeNetworkConfig(CONFIG);
    }

    @AfterEach
    void closeClients() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
        closeables.clear();
    }

    @Test
    void twoHostsGetDifferentSubnetsInsideTheRange() {
        SubnetManager a = manager(Duration.ofMinutes(5));
        SubnetManager b = manager(Duration.ofMinutes(5));
        NetworkConfig config = a.networkConfig();

        Lease la = a.acquire(config, attrs("192.0.2.1"), Optional.empty());
        Lease lb = b.acquire(config, attrs("192.0.2.2"), Optional.empty());

        assertThat(la.subnet()).isNotEqualTo(lb.subnet());
        assertThat(List.of(la.subnet(), lb.subnet())).allSatisfy(s -> assertThat(config.isCompatible(s)).isTrue());
        assertThat(la.expiration()).isPresent();
        assertThat(a.leases().leases()).extracting(Lease::subnet).containsExactlyInAnyOrder(la.subnet(), lb.subnet());
    }

    @Test
    void aRestartedHostGetsItsSubnetBackByPublicIp() {
        SubnetManager first = manager(Duration.ofMinutes(5));
        NetworkConfig config = first.networkConfig();
        Lease before = first.acquire(config, attrs("192.0.2.7"), Optional.empty());

        Lease after = manager(Duration.ofMinutes(5)).acquire(config, attrs("192.0.2.7"), Optional.empty());

        assertThat(after.subnet()).isEqualTo(before.subnet());
        assertThat(store().list().leases()).hasSize(1);
    }

    @Test
    void aHostWithANewIpGetsTheSubnetOfItsSubnetFileIfFree() {
        SubnetManager m = manager(Duration.ofMinutes(5));
        NetworkConfig config = m.networkConfig();
        Ip4Net previous = Ip4Net.parse("10.9.77.0/24");

        assertThat(m.acquire(config, attrs("192.0.2.8"), Optional.of(previous)).subnet()).isEqualTo(previous);

        // taken by someone else: a different one, no error
        Lease other = manager(Duration.ofMinutes(5)).acquire(config, attrs("192.0.2.9"), Optional.of(previous));
        assertThat(other.subnet()).isNotEqualTo(previous);
    }

    @Test
    void anOldLeaseThatNoLongerFitsTheConfigIsReplaced() {
        SubnetManager m = manager(Duration.ofMinutes(5));
        Lease old = m.acquire(m.networkConfig(), attrs("192.0.2.10"), Optional.of(Ip4Net.parse("10.9.3.0/24")));
        NetworkConfig narrowed = NetworkConfig.parse("{\"Network\":\"10.9.0.0/16\",\"SubnetMin\":\"10.9.100.0\",\"SubnetMax\":\"10.9.110.0\"}");

        Lease now = m.acquire(narrowed, attrs("192.0.2.10"), Optional.of(old.subnet()));

        assertThat(narrowed.isCompatible(now.subnet())).isTrue();
        assertThat(store().get(old.subnet())).isEmpty();
    }

    @Test
    void manyHostsRacingOnASmallRangeAllGetDistinctSubnetsAndTheRestAreToldItIsFull() throws Exception {
        // 10.9.0.0/24 in /28s: 16 subnets, the first skipped as in flannel -> 15 leasable
        NetworkConfig small = NetworkConfig.parse("{\"Network\":\"10.9.0.0/24\",\"SubnetLen\":28}");
        int hosts = 50;
        List<SubnetManager> clients = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            clients.add(manager(Duration.ofMinutes(5)));
        }
        ExecutorService pool = Executors.newFixedThreadPool(hosts);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Lease>> results = new ArrayList<>();
        try {
            for (int i = 0; i < hosts; i++) {
                SubnetManager m = clients.get(i % clients.size());
                LeaseAttrs a = attrs("198.51.100." + (i + 1));
                results.add(pool.submit(() -> {
                    go.await();
                    return m.acquire(small, a, Optional.empty());
                }));
            }
            go.countDown();
            List<Ip4Net> won = new ArrayList<>();
            List<Throwable> lost = new ArrayList<>();
            for (Future<Lease> f : results) {
                try {
                    won.add(f.get().subnet());
                } catch (java.util.concurrent.ExecutionException e) {
                    lost.add(e.getCause());
                }
            }
            assertThat(won).hasSize(15).doesNotHaveDuplicates();
            assertThat(lost).hasSize(35).allSatisfy(t -> assertThat(t)
                    .isInstanceOf(LeaseException.SubnetsExhaustedException.class)
                    .hasMessageContaining("all 15 subnets from 10.9.0.16/28 to 10.9.0.240/28 are taken (15 leases, 0 reservations)"));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void reservationsAreNeverGivenAwayAndStayReservations() {
        NetworkConfig tiny = NetworkConfig.parse("{\"Network\":\"10.9.0.0/24\",\"SubnetLen\":26}"); // 3 leasable /26s
        reserve(Ip4Net.parse("10.9.0.64/26"), attrs("192.0.2.50"));
        SubnetManager m = manager(Duration.ofMinutes(5));

        Lease a = m.acquire(tiny, attrs("192.0.2.51"), Optional.of(Ip4Net.parse("10.9.0.64/26")));
        Lease b = m.acquire(tiny, attrs("192.0.2.52"), Optional.empty());
        assertThat(List.of(a.subnet(), b.subnet())).doesNotContain(Ip4Net.parse("10.9.0.64/26"));
        assertThatThrownBy(() -> m.acquire(tiny, attrs("192.0.2.53"), Optional.empty()))
                .isInstanceOf(LeaseException.SubnetsExhaustedException.class)
                .hasMessageContaining("(2 leases, 1 reservations)");

        // the reserved host itself gets its reservation, still without a TTL
        Lease mine = m.acquire(tiny, attrs("192.0.2.50"), Optional.empty());
        assertThat(mine.subnet()).isEqualTo(Ip4Net.parse("10.9.0.64/26"));
        assertThat(mine.reservation()).isTrue();
        assertThat(store().get(mine.subnet())).hasValueSatisfying(l -> assertThat(l.reservation()).isTrue());
    }

    @Test
    void anUnrenewedLeaseExpiresOutOfAPeersViewAndARenewedOneStays() {
        SubnetManager watcherSide = manager(Duration.ofMinutes(5));
        NetworkConfig config = watcherSide.networkConfig();
        Lease own = watcherSide.acquire(config, attrs("192.0.2.20"), Optional.empty());
        SubnetManager shortLived = manager(Duration.ofSeconds(3));
        Lease dying = shortLived.acquire(config, attrs("192.0.2.21"), Optional.empty());
        Lease living = shortLived.acquire(config, attrs("192.0.2.22"), Optional.empty());

        ConcurrentLinkedQueue<LeaseEvent> events = new ConcurrentLinkedQueue<>();
        closeables.add(watcherSide.watchPeers(own.subnet(), watcherSide.leases(), SubnetManager.listener(events::addAll, s -> { })));
        assertThat(events).extracting(LeaseEvent::lease).extracting(Lease::subnet)
                .containsExactlyInAnyOrder(dying.subnet(), living.subnet());

        AtomicReference<Lease> renewed = new AtomicReference<>(living);
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(500)).until(() -> {
            renewed.set(shortLived.renew(renewed.get()));
            return events.stream().anyMatch(e -> e instanceof LeaseEvent.Removed r && r.lease().subnet().equals(dying.subnet()));
        });
        LeaseEvent.Removed removed = events.stream().filter(e -> e instanceof LeaseEvent.Removed).map(e -> (LeaseEvent.Removed) e)
                .findFirst().orElseThrow();
        assertThat(removed.lease().attrs().publicIp()).as("removed with its last attributes").isEqualTo(Ip4.parse("192.0.2.21"));
        assertThat(events).noneMatch(e -> e instanceof LeaseEvent.Removed r && r.lease().subnet().equals(living.subnet()));
        assertThat(store().get(living.subnet())).isPresent();
    }

    @Test
    void watchReportsAddedChangedAndRemovedInOrder() {
        SubnetManager m = manager(Duration.ofMinutes(5));
        NetworkConfig config = m.networkConfig();
        Lease own = m.acquire(config, attrs("192.0.2.30"), Optional.empty());
        ConcurrentLinkedQueue<LeaseEvent> events = new ConcurrentLinkedQueue<>();
        AtomicReference<Ip4Net> ownRemoved = new AtomicReference<>();
        closeables.add(m.watchPeers(own.subnet(), m.leases(), SubnetManager.listener(events::addAll, ownRemoved::set)));

        SubnetManager peer = manager(Duration.ofMinutes(5));
        Lease p = peer.acquire(config, attrs("192.0.2.31"), Optional.empty());
        await().atMost(Duration.ofSeconds(10)).until(() -> events.size() == 1);
        assertThat(events.peek()).isInstanceOf(LeaseEvent.Added.class);

        // renewing is not news; new attributes are
        peer.renew(p);
        LeaseAttrs moved = LeaseAttrs.of(Ip4.parse("192.0.2.31"), Optional.of("vxlan"), Optional.of(JSON.createObjectNode().put("VNI", 2)));
        peer.store().update(p, moved, Duration.ofMinutes(5));
        await().atMost(Duration.ofSeconds(10)).until(() -> events.size() == 2);
        LeaseEvent changed = new ArrayList<>(events).get(1);
        assertThat(changed).isInstanceOfSatisfying(LeaseEvent.Changed.class, c -> {
            assertThat(c.previous().attrs().backendData().orElseThrow().get("VNI").intValue()).isEqualTo(1);
            assertThat(c.lease().attrs().backendData().orElseThrow().get("VNI").intValue()).isEqualTo(2);
        });

        peer.store().delete(p.subnet());
        await().atMost(Duration.ofSeconds(10)).until(() -> events.size() == 3);
        assertThat(new ArrayList<>(events).get(2)).isInstanceOfSatisfying(LeaseEvent.Removed.class,
                r -> assertThat(r.lease().attrs()).isEqualTo(moved));

        // and this host's own key going away is reported apart from peers
        m.store().delete(own.subnet());
        await().atMost(Duration.ofSeconds(10)).until(() -> own.subnet().equals(ownRemoved.get()));
        assertThat(events).hasSize(3);
    }

    @Test
    void renewingADeletedLeaseSaysItIsLost() {
        SubnetManager m = manager(Duration.ofMinutes(5));
        Lease own = m.acquire(m.networkConfig(), attrs("192.0.2.40"), Optional.empty());
        m.store().delete(own.subnet());
        assertThatThrownBy(() -> m.renew(own)).isInstanceOf(LeaseException.LeaseLostException.class)
                .hasMessageContaining(own.subnet().toString());
    }

    @Test
    void missingAndInvalidConfigsAreTypedErrors() {
        SubnetManager m = manager(Duration.ofMinutes(5));
        m.store().writeNetworkConfig("{\"Network\":\"10.9.0.0/16\",\"SubnetMin\":\"10.9.9.0\",\"SubnetMax\":\"10.9.1.0\"}");
        assertThatThrownBy(m::networkConfig).isInstanceOf(io.javaoverlay.core.config.NetworkConfigException.class)
                .hasMessageContaining("is invalid: SubnetMin 10.9.9.0 is above SubnetMax 10.9.1.0");
    }

    static final String DUAL = "{\"Network\":\"10.9.0.0/16\",\"EnableIPv6\":true,\"IPv6Network\":\"fc00:9::/48\","
            + "\"Backend\":{\"Type\":\"vxlan\"}}";

    static LeaseAttrs dualAttrs(String publicIp, String publicIpv6) {
        try {
            return attrs(publicIp).withIpv6(publicIpv6, Optional.of(JSON.readTree("{\"VNI\":1,\"VtepMAC\":\"0a:58:0a:09:00:06\"}")));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void dualStackLeasesAreKeyedAsFlannelKeysThemAndFoundByTheirIpv4Subnet() {
        SubnetManager a = manager(Duration.ofMinutes(5));
        SubnetManager b = manager(Duration.ofMinutes(5));
        a.store().writeNetworkConfig(DUAL);
        NetworkConfig config = a.networkConfig();

        Lease la = a.acquire(config, dualAttrs("192.0.2.60", "fd00::60"), Optional.empty(), Optional.empty(), List.of());
        Lease lb = b.acquire(config, dualAttrs("192.0.2.61", "fd00::61"), Optional.empty(), Optional.empty(), List.of());

        for (Lease l : List.of(la, lb)) {
            assertThat(l.ipv6Subnet()).hasValueSatisfying(s -> {
                assertThat(s.prefixLength()).as("flannel's IPv6SubnetLen default").isEqualTo(64);
                assertThat(config.isCompatible(Optional.of(s))).isTrue();
            });
            assertThat(l.keyName()).isEqualTo(l.subnet().toKey() + "&" + l.ipv6Subnet().get().toKey());
        }
        assertThat(la.ipv6Subnet().get().overlaps(lb.ipv6Subnet().get())).isFalse();

        // another client sees both halves and the IPv6 attributes, found by the IPv4 subnet alone
        LeaseStore other = store();
        assertThat(other.list().leases()).extracting(Lease::keyName).containsExactlyInAnyOrder(la.keyName(), lb.keyName());
        Lease read = other.get(la.subnet()).orElseThrow();
        assertThat(read.ipv6Subnet()).isEqualTo(la.ipv6Subnet());
        assertThat(read.attrs().publicIpv6()).hasValue("fd00::60");
        assertThat(read.attrs().toJson()).isEqualTo("{\"PublicIP\":\"192.0.2.60\",\"PublicIPv6\":\"fd00::60\",\"BackendType\":\"vxlan\","
                + "\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"0a:58:0a:09:00:01\"},\"BackendV6Data\":{\"VNI\":1,\"VtepMAC\":\"0a:58:0a:09:00:06\"}}");
        assertThat(other.read(la.subnet()).lease()).map(Lease::keyName).hasValue(la.keyName());

        // renewed and restarted under its key; taken subnets stay taken
        assertThat(a.renew(la).keyName()).isEqualTo(la.keyName());
        Lease again = manager(Duration.ofMinutes(5)).acquire(config, dualAttrs("192.0.2.60", "fd00::60"), Optional.empty(),
                Optional.empty(), List.of());
        assertThat(again.keyName()).isEqualTo(la.keyName());
        assertThatThrownBy(() -> other.create(la.subnet(), Optional.of(lb.ipv6Subnet().get().next()), dualAttrs("192.0.2.62", "fd00::62"),
                Duration.ofMinutes(5))).isInstanceOf(LeaseException.SubnetTakenException.class);

        // deleting by the IPv4 subnet removes the dual-stack key
        other.delete(lb.subnet());
        assertThat(other.get(lb.subnet())).isEmpty();
        assertThat(other.list().leases()).extracting(Lease::keyName).containsExactly(la.keyName());
        other.delete(la.subnet());
        assertThatThrownBy(() -> a.renew(la)).isInstanceOf(LeaseException.LeaseLostException.class);
    }

    @Test
    void enablingIpv6ReplacesAnIpv4OnlyLeaseAndTheSubnetFilePairIsReused() {
        SubnetManager m = manager(Duration.ofMinutes(5));
        Lease v4 = m.acquire(m.networkConfig(), attrs("192.0.2.63"), Optional.empty());
        assertThat(v4.ipv6Subnet()).isEmpty();

        m.store().writeNetworkConfig(DUAL);
        NetworkConfig dual = m.networkConfig();
        Lease upgraded = m.acquire(dual, dualAttrs("192.0.2.63", "fd00::63"), Optional.empty(), Optional.empty(), List.of());
        assertThat(upgraded.ipv6Subnet()).as("flannel deletes a lease without the IPv6 half and allocates anew").isPresent();
        assertThat(m.leases().leases()).extracting(Lease::keyName).containsExactly(upgraded.keyName());

        // a host with a new public IP gets the pair of its subnet file back
        m.store().delete(upgraded.subnet());
        Lease back = m.acquire(dual, dualAttrs("192.0.2.64", "fd00::64"), Optional.of(upgraded.subnet()), upgraded.ipv6Subnet(), List.of());
        assertThat(back.keyName()).isEqualTo(upgraded.keyName());

        // and with IPv6 disabled again, the dual-stack lease gives way to an IPv4-only one
        m.store().writeNetworkConfig(CONFIG);
        Lease plain = m.acquire(m.networkConfig(), attrs("192.0.2.64"), Optional.empty());
        assertThat(plain.ipv6Subnet()).isEmpty();
        assertThat(m.leases().leases()).extracting(Lease::keyName).containsExactly(plain.keyName());
    }

    @Test
    void ipv6SubnetsRunOutWithAClearError() {
        SubnetManager m = manager(Duration.ofMinutes(5));
        // fc00:9::/124 in /126s: four subnets, the first skipped -> three leasable
        m.store().writeNetworkConfig("{\"Network\":\"10.9.0.0/16\",\"EnableIPv6\":true,\"IPv6Network\":\"fc00:9::/124\"}");
        NetworkConfig config = m.networkConfig();
        for (int i = 0; i < 3; i++) {
            m.acquire(config, dualAttrs("192.0.2." + (70 + i), "fd00::" + (70 + i)), Optional.empty(), Optional.empty(), List.of());
        }
        assertThat(m.leases().leases()).extracting(l -> l.ipv6Subnet().orElseThrow().toString())
                .containsExactlyInAnyOrder("fc00:9::4/126", "fc00:9::8/126", "fc00:9::c/126");
        assertThatThrownBy(() -> m.acquire(config, dualAttrs("192.0.2.79", "fd00::79"), Optional.empty(), Optional.empty(), List.of()))
                .isInstanceOf(LeaseException.SubnetsExhaustedException.class).hasMessageContaining("no free IPv6 subnet");
    }
}
