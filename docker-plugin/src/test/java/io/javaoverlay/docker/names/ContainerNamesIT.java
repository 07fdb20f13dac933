package io.javaoverlay.docker.names;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.javaoverlay.core.config.SubnetEnv;
import io.javaoverlay.core.metrics.OverlayMetrics;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.MacAddress;
import io.javaoverlay.docker.state.EndpointState;
import io.javaoverlay.testkit.EtcdExtension;

/**
 * The store entries and the DNS answers between two plugins' name services on one real etcd:
 * what one host publishes the other resolves (dnsjava client against the real server), bad
 * entries are skipped and counted, and names go with the endpoint and with the host's lease.
 */
@Timeout(120)
class ContainerNamesIT {

    @RegisterExtension
    static final EtcdExtension etcd = EtcdExtension.builder().build();

    private static final String PREFIX = "/names-it/network";
    private static final Ip4Net NETWORK = Ip4Net.parse("10.244.0.0/16");
    private static final String NET_ID = "a".repeat(64);

    private final NameKeys keys = new NameKeys(PREFIX);
    private final List<ContainerNames> running = new ArrayList<>();
    /** What the hosts' name services count: this test's own. */
    private final OverlayMetrics metrics = new OverlayMetrics();

    /** One simulated host: its lease in etcd, its joined endpoints, what "dockerd" says their names are. */
    final class Host {
        final Ip4Net lease;
        long etcdLease;
        final List<EndpointState> endpoints = new CopyOnWriteArrayList<>();
        final Map<String, ContainerNameSource.Named> docker = new ConcurrentHashMap<>();
        final InetSocketAddress dnsAt;
        final DnsServer dns;
        final ContainerNames names;

        Host(String lease) throws Exception {
            this.lease = Ip4Net.parse(lease);
            this.etcdLease = grantLease(this.lease);
            this.dnsAt = new InetSocketAddress(InetAddress.getLoopbackAddress(), freePort());
            NameTable table = new NameTable();
            this.dns = new DnsServer(table, List.of(), Duration.ofMillis(300), metrics);
            this.names = new ContainerNames(etcd.newClient(etcd.endpoints()), keys,
                    () -> SubnetEnv.of(NETWORK, this.lease, 1450, true), () -> endpoints,
                    (net, ep) -> Optional.ofNullable(docker.get(ep)), table, dns, env -> dnsAt, Duration.ofMillis(200), metrics);
            running.add(names);
            names.start();
            // the DNS server is bound in the service's first round, on its own thread: a query sent
            // before that meets a closed port (PortUnreachableException, which no assertion retries)
            within(Duration.ofSeconds(10), () -> assertThat(dns.boundTo()).as("where the DNS server listens").contains(dnsAt));
        }

        void run(String endpointHex, String address, String... names) {
            String id = endpointHex.repeat(64 / endpointHex.length());
            docker.put(id, new ContainerNameSource.Named(id.substring(0, 12), List.of(names)));
            endpoints.add(EndpointState.create(id, NET_ID, Ip4Net.parseHost(address + "/" + lease.prefixLength()),
                    MacAddress.randomLocal()).joinedTo("/var/run/docker/netns/x"));
        }

        void remove(String endpointHex) {
            endpoints.removeIf(e -> e.id().startsWith(endpointHex));
        }

        List<String> resolve(String name) throws IOException {
            SimpleResolver r = new SimpleResolver(dnsAt);
            r.setTimeout(Duration.ofSeconds(2));
            Message m = r.send(Message.newQuery(Record.newRecord(Name.fromString(name + "."), Type.A, DClass.IN)));
            return m.getSection(Section.ANSWER).stream().map(x -> ((ARecord) x).getAddress().getHostAddress()).sorted().toList();
        }
    }

    private static Client client() {
        return etcd.client();
    }

    private static long grantLease(Ip4Net lease) throws Exception {
        long id = client().getLeaseClient().grant(60).get().getID();
        client().getKVClient().put(bytes(PREFIX + "/subnets/" + lease.toKey()), bytes("{\"PublicIP\":\"192.0.2.1\"}"),
                PutOption.builder().withLeaseId(id).build()).get();
        return id;
    }

    private static ByteSequence bytes(String s) {
        return ByteSequence.from(s, UTF_8);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static Map<String, Long> stored(String prefix) throws Exception {
        Map<String, Long> out = new java.util.TreeMap<>();
        client().getKVClient().get(bytes(prefix), GetOption.builder().isPrefix(true).build()).get().getKvs()
                .forEach(kv -> out.put(kv.getKey().toString(UTF_8), kv.getLease()));
        return out;
    }

    @AfterEach
    void stop() throws Exception {
        running.forEach(ContainerNames::close);
        client().getKVClient().delete(bytes("/names-it/"), io.etcd.jetcd.options.DeleteOption.builder().isPrefix(true).build()).get();
    }

    private static void within(Duration d, org.awaitility.core.ThrowingRunnable check) {
        Awaitility.await().atMost(d).pollInterval(Duration.ofMillis(100)).untilAsserted(check);
    }

    @Test
    void aNameOneHostPublishesResolvesOnTheOtherAndGoesWithItsContainer() throws Exception {
        Host one = new Host("10.244.3.0/24");
        Host two = new Host("10.244.7.0/24");
        one.run("1", "10.244.3.2", "/web", "www", "WebAlias");
        two.run("2", "10.244.7.2", "/client");

        within(Duration.ofSeconds(10), () -> assertThat(two.resolve("web")).containsExactly("10.244.3.2"));
        assertThat(two.resolve("www")).containsExactly("10.244.3.2");
        assertThat(two.resolve("webalias")).containsExactly("10.244.3.2");
        within(Duration.ofSeconds(10), () -> assertThat(one.resolve("client")).containsExactly("10.244.7.2"));
        // the entries: under host one's lease, bound to its etcd lease
        assertThat(stored(PREFIX + "/names/10.244.3.0-24/")).containsEntry(
                PREFIX + "/names/10.244.3.0-24/web/10.244.3.2", one.etcdLease);

        // the same alias on both hosts answers with both addresses
        two.run("3", "10.244.7.3", "/other", "www");
        within(Duration.ofSeconds(10), () -> assertThat(one.resolve("www")).containsExactly("10.244.3.2", "10.244.7.3"));

        long start = System.nanoTime();
        one.remove("1");
        within(Duration.ofSeconds(10), () -> assertThat(two.resolve("web")).isEmpty());
        System.out.printf("name gone from the other host's DNS %d ms after its endpoint left%n",
                Duration.ofNanos(System.nanoTime() - start).toMillis());
        assertThat(stored(PREFIX + "/names/10.244.3.0-24/")).isEmpty();
        within(Duration.ofSeconds(10), () -> assertThat(two.resolve("www")).containsExactly("10.244.7.3"));
    }

    @Test
    void entriesThatCannotBeTrustedAreSkippedAndCounted() throws Exception {
        Host one = new Host("10.244.3.0/24");
        Host two = new Host("10.244.7.0/24");
        long otherLease = client().getLeaseClient().grant(60).get().getID();
        String names = PREFIX + "/names/";
        client().getKVClient().put(bytes(names + "10.244.3.0-24/outside/10.244.9.9"), bytes(""),
                PutOption.builder().withLeaseId(one.etcdLease).build()).get();
        client().getKVClient().put(bytes(names + "10.244.3.0-24/forged/10.244.3.9"), bytes(""),
                PutOption.builder().withLeaseId(otherLease).build()).get();
        client().getKVClient().put(bytes(names + "10.244.3.0-24/unleased/10.244.3.9"), bytes("")).get();
        client().getKVClient().put(bytes(names + "10.244.200.0-24/orphan/10.244.200.9"), bytes(""),
                PutOption.builder().withLeaseId(one.etcdLease).build()).get();
        client().getKVClient().put(bytes(names + "10.244.3.0-24/Bad_Name/10.244.3.9"), bytes(""),
                PutOption.builder().withLeaseId(one.etcdLease).build()).get();
        client().getKVClient().put(bytes(names + "junk"), bytes("")).get();
        two.run("2", "10.244.7.2", "good");

        within(Duration.ofSeconds(10), () -> assertThat(one.resolve("good")).containsExactly("10.244.7.2"));
        within(Duration.ofSeconds(10), () -> assertThat(one.names.rejected()).isGreaterThanOrEqualTo(6));
        for (String n : List.of("outside", "forged", "unleased", "orphan", "bad_name")) {
            assertThat(one.resolve(n)).as(n).isEmpty();
        }
        assertThat(new String(io.javaoverlay.core.metrics.MetricsExposition.scrape(metrics), UTF_8))
                .contains("javaoverlay_container_names_rejected_total{reason=\"outside-lease\"}")
                .contains("javaoverlay_container_names_rejected_total{reason=\"not-lease-bound\"}")
                .contains("javaoverlay_container_names_rejected_total{reason=\"no-lease\"}")
                .contains("javaoverlay_container_names_rejected_total{reason=\"not-a-label\"}")
                .contains("javaoverlay_container_names_rejected_total{reason=\"malformed\"}");
        long skipped = one.names.rejected();
        Thread.sleep(1000); // five more rounds: the same bad entries are not counted again
        assertThat(one.names.rejected()).isEqualTo(skipped);
        // host one owns its prefix: what it did not publish there is withdrawn
        within(Duration.ofSeconds(10), () -> assertThat(stored(names + "10.244.3.0-24/")).isEmpty());
    }

    @Test
    void aDeadHostsNamesExpireWithItsLease() throws Exception {
        Host one = new Host("10.244.3.0/24");
        Host two = new Host("10.244.7.0/24");
        one.run("1", "10.244.3.2", "web");
        within(Duration.ofSeconds(10), () -> assertThat(two.resolve("web")).containsExactly("10.244.3.2"));
        one.names.close(); // the host dies: nothing withdraws its names, its lease expires
        client().getLeaseClient().revoke(one.etcdLease).get();
        within(Duration.ofSeconds(10), () -> assertThat(two.resolve("web")).isEmpty());
        assertThat(stored(PREFIX + "/names/")).isEmpty();
    }
}
