package io.javaoverlay.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.javaoverlay.testkit.EtcdExtension;

/**
 * {@code bin/javaoverlay agent} as real processes on loopback (each with its own --public-ip,
 * subnet file and health port) against a real etcd.
 */
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class AgentProcessIT {

    @RegisterExtension
    static final EtcdExtension etcd = EtcdExtension.builder().build();

    /**
     * The agents lease below 10.50.200.0: the tests write other hosts' leases at 10.50.200.0 and above, which a
     * randomly chosen lease of their own must not collide with.
     */
    static final String CONFIG = "{\"Network\":\"10.50.0.0/16\",\"SubnetMax\":\"10.50.199.0\",\"Backend\":{\"Type\":\"vxlan\"}}";

    @RegisterExtension
    final AgentProcesses agents = new AgentProcesses("jo-agent-");
    private String prefix;

    @BeforeEach
    void setUp() {
        prefix = agents.prefix();
    }

    AgentProcess agent(String name, String publicIp, String... extra) {
        return agent(name, Map.of(), withEtcd(publicIp, extra));
    }

    AgentProcess agent(String name, Map<String, String> env, List<String> args) {
        return agents.agent(name, env, args);
    }

    List<String> withEtcd(String publicIp, String... extra) {
        List<String> args = new ArrayList<>(List.of("--etcd-endpoints", etcd.endpointsFlag(), "--etcd-prefix", prefix,
                "--public-ip", publicIp));
        args.addAll(List.of(extra));
        return args;
    }

    static ByteSequence bytes(String s) {
        return AgentProcesses.bytes(s);
    }

    void putConfig(String json) throws Exception {
        agents.putConfig(etcd, json);
    }

    List<KeyValue> subnetKvs() throws Exception {
        return agents.subnetKvs(etcd);
    }

    @Test
    void twoAgentsGetDifferentSubnetsPublishFlannelsLeasesAndSeeEachOther() throws Exception {
        putConfig(CONFIG);
        AgentProcess a = agent("a", "127.0.0.11").start();
        AgentProcess b = agent("b", "127.0.0.12").start();
        a.awaitReady();
        b.awaitReady();

        assertThat(a.subnet()).isNotEqualTo(b.subnet());
        assertThat(a.subnetEnv()).matches("FLANNEL_NETWORK=10\\.50\\.0\\.0/16\nFLANNEL_SUBNET=10\\.50\\.\\d+\\.1/24\n"
                + "FLANNEL_MTU=\\d+\nFLANNEL_IPMASQ=false\n");

        String macA = Files.readString(a.dir.resolve("data/vxlan-1.mac")).strip();
        List<KeyValue> kvs = subnetKvs();
        assertThat(kvs).hasSize(2);
        KeyValue kvA = kvs.stream().filter(kv -> kv.getKey().toString(UTF_8).endsWith("/" + a.subnet().replace('/', '-')))
                .findFirst().orElseThrow();
        assertThat(kvA.getKey().toString(UTF_8)).isEqualTo(prefix + "/subnets/" + a.subnet().replace('/', '-'));
        assertThat(kvA.getValue().toString(UTF_8)).isEqualTo("{\"PublicIP\":\"127.0.0.11\",\"PublicIPv6\":null,"
                + "\"BackendType\":\"vxlan\",\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"" + macA + "\"}}");

        await().atMost(Duration.ofSeconds(10)).until(() -> a.peerSubnets().equals(List.of(b.subnet()))
                && b.peerSubnets().equals(List.of(a.subnet())));
        assertThat(a.log()).contains("WARN PeerLogBackend - no data path for backend type vxlan (--no-data-path)");
    }

    @Test
    void aRestartedAgentKeepsItsSubnetByPublicIpAndBySubnetFile() throws Exception {
        putConfig(CONFIG);
        AgentProcess first = agent("h", "127.0.0.21").start().awaitReady();
        String subnet = first.subnet();
        assertThat(first.stop()).as("SIGTERM is a clean exit").isZero();
        assertThat(first.log()).contains("stopping (SIGTERM); the lease on " + subnet + " is kept");
        assertThat(subnetKvs()).hasSize(1);

        AgentProcess again = agent("h", "127.0.0.21").start().awaitReady();
        assertThat(again.subnet()).isEqualTo(subnet);
        again.stop();

        // the host's address changed and its old lease is gone, but its subnet file remembers
        etcd.client().getKVClient().delete(bytes(prefix + "/subnets/"), io.etcd.jetcd.options.DeleteOption.builder().isPrefix(true).build())
                .get(10, TimeUnit.SECONDS);
        AgentProcess moved = agent("h", "127.0.0.22").start().awaitReady();
        assertThat(moved.subnet()).isEqualTo(subnet);
        assertThat(moved.log()).contains("found subnet " + subnet + " in");
    }

    @Test
    void aMissingOrInvalidConfigIsReportedOnceAndWaitedFor() throws Exception {
        AgentProcess a = agent("a", "127.0.0.31").start();
        await().atMost(Duration.ofSeconds(30)).until(() -> a.log().contains("waiting for a valid network config"));
        assertThat(a.readyz()).isEqualTo(503);
        assertThat(a.healthz()).as("alive while waiting").isEqualTo(200);

        putConfig("{\"Network\":\"10.50.0.0/16\",\"SubnetMin\":\"10.50.9.0\",\"SubnetMax\":\"10.50.2.0\"}");
        await().atMost(Duration.ofSeconds(10)).until(() -> a.log().contains("SubnetMin 10.50.9.0 is above SubnetMax 10.50.2.0"));
        Thread.sleep(2500); // several poll rounds: the agent must not repeat itself or exit
        assertThat(a.isAlive()).isTrue();
        assertThat(occurrences(a.log(), "no network config at " + prefix + "/config")).isEqualTo(1);
        assertThat(occurrences(a.log(), "is above SubnetMax")).isEqualTo(1);

        int rc = Main.run("config", "set", "--etcd-endpoints", etcd.endpointsFlag(), "--etcd-prefix", prefix, CONFIG);
        assertThat(rc).isZero();
        a.awaitReady();
    }

    String leaseValue(String subnet) throws Exception {
        List<KeyValue> kvs = etcd.client().getKVClient().get(bytes(prefix + "/subnets/" + subnet.replace('/', '-')))
                .get(10, TimeUnit.SECONDS).getKvs();
        return kvs.isEmpty() ? null : kvs.get(0).getValue().toString(UTF_8);
    }

    @Test
    void aDeletedLeaseIsPutBackWithinSeconds() throws Exception {
        putConfig(CONFIG);
        AgentProcess a = agent("a", "127.0.0.41").start().awaitReady();
        String value = leaseValue(a.subnet());
        etcd.client().getKVClient().delete(bytes(prefix + "/subnets/" + a.subnet().replace('/', '-'))).get(10, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).until(() -> value.equals(leaseValue(a.subnet())));
        assertThat(a.isAlive()).isTrue();
        assertThat(a.log()).contains("lease " + a.subnet() + " was gone from etcd at").contains("put it back");
        // bound to a live etcd lease again: renewals work (a 2 s TTL would have let it lapse otherwise)
        assertThat(subnetKvs()).singleElement().satisfies(kv -> assertThat(kv.getLease()).isNotZero());
    }

    @Test
    void anotherHostHoldingTheSubnetIsNeverOverwrittenAndTheAgentGivesItUp() throws Exception {
        putConfig(CONFIG);
        AgentProcess a = agent("a", "127.0.0.43").start().awaitReady();
        String other = "{\"PublicIP\":\"127.0.0.44\",\"PublicIPv6\":null,\"BackendType\":\"vxlan\","
                + "\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"0a:00:00:00:00:44\"}}";
        etcd.client().getKVClient().put(bytes(prefix + "/subnets/" + a.subnet().replace('/', '-')), bytes(other)).get(10, TimeUnit.SECONDS);
        assertThat(a.awaitExit(Duration.ofSeconds(20))).isNotZero();
        assertThat(a.log()).contains("lease " + a.subnet() + " is held by another host now (PublicIP 127.0.0.44)");
        assertThat(leaseValue(a.subnet())).as("the other host's lease, untouched").isEqualTo(other);
    }

    @Test
    void aStoreRebuiltEmptyGetsEveryHostsLeaseBackAndThePeersAgain() throws Exception {
        putConfig(CONFIG);
        AgentProcess a = agent("a", "127.0.0.45").start().awaitReady();
        AgentProcess b = agent("b", "127.0.0.46").start().awaitReady();
        await().atMost(Duration.ofSeconds(10)).until(() -> a.peerSubnets().equals(List.of(b.subnet())));
        String valueA = leaseValue(a.subnet());
        String valueB = leaseValue(b.subnet());

        etcd.wipe();
        putConfig(CONFIG);
        long start = System.nanoTime();
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                .until(() -> valueA.equals(leaseValue(a.subnet())) && valueB.equals(leaseValue(b.subnet())));
        System.out.printf("[AgentProcessIT] etcd rebuilt empty: both leases back %d ms after the config was%n",
                (System.nanoTime() - start) / 1_000_000);
        // a host joining now gets a subnet of its own, not one of theirs
        AgentProcess c = agent("c", "127.0.0.47").start().awaitReady();
        assertThat(c.subnet()).isNotIn(a.subnet(), b.subnet());
        await().atMost(Duration.ofSeconds(10)).until(() -> a.peerSubnets().containsAll(List.of(b.subnet(), c.subnet())));
        assertThat(a.isAlive()).isTrue();
        assertThat(b.isAlive()).isTrue();
        assertThat(a.log()).contains("history changed under this agent");
    }

    @Test
    void aDeadPeerExpiresFromTheViewWhileALiveOneIsRenewed() throws Exception {
        putConfig(CONFIG);
        // 4 s leases renewed 3 s before expiry: a live agent renews every second
        AgentProcess live = agent("live", "127.0.0.51", "--subnet-lease-ttl", "4s", "--subnet-lease-renew-margin", "3s").start();
        AgentProcess dead = agent("dead", "127.0.0.52", "--subnet-lease-ttl", "4s", "--subnet-lease-renew-margin", "3s").start();
        live.awaitReady();
        dead.awaitReady();
        String deadSubnet = dead.subnet();
        await().atMost(Duration.ofSeconds(10)).until(() -> live.peerSubnets().contains(deadSubnet));

        dead.kill();
        await().atMost(Duration.ofSeconds(15)).until(() -> live.peerSubnets().isEmpty());
        assertThat(live.log()).contains("peer removed: " + deadSubnet + " at 127.0.0.52");
        // past more than a TTL, the live agent still holds its lease
        Thread.sleep(5000);
        assertThat(live.isAlive()).isTrue();
        assertThat(subnetKvs()).extracting(kv -> kv.getKey().toString(UTF_8)).containsExactly(prefix + "/subnets/" + live.subnet().replace('/', '-'));
        assertThat(live.log()).contains("lease " + live.subnet() + " renewed");
    }

    @Test
    void anAgentRidesOutAnEtcdRestartWithACompactionDuringTheOutage() throws Exception {
        putConfig(CONFIG);
        String[] ttl = {"--subnet-lease-ttl", "20s", "--subnet-lease-renew-margin", "16s"};
        AgentProcess a = agent("a", "127.0.0.61", ttl).start().awaitReady();
        AgentProcess b = agent("b", "127.0.0.62", ttl).start().awaitReady();
        String subnetA = a.subnet();
        String envBefore = a.subnetEnv();
        await().atMost(Duration.ofSeconds(10)).until(() -> a.peerSubnets().equals(List.of(b.subnet())));
        b.stop();

        etcd.stop();
        String joined = "10.50.250.0/24";
        try (Client side = etcd.startIsolated()) {
            // while the agent cannot see etcd: b's lease goes, a new host arrives, history is compacted
            side.getKVClient().delete(bytes(prefix + "/subnets/" + b.subnet().replace('/', '-'))).get(10, TimeUnit.SECONDS);
            side.getKVClient().put(bytes(prefix + "/subnets/10.50.250.0-24"),
                    bytes("{\"PublicIP\":\"127.0.0.63\",\"PublicIPv6\":null,\"BackendType\":\"vxlan\","
                            + "\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"0a:00:00:00:00:63\"}}")).get(10, TimeUnit.SECONDS);
            long rev = side.getKVClient().get(bytes("/")).get(10, TimeUnit.SECONDS).getHeader().getRevision();
            side.getKVClient().compact(rev).get(10, TimeUnit.SECONDS);
        }
        etcd.stop();
        assertThat(a.isAlive()).isTrue();
        assertThat(a.subnetEnv()).isEqualTo(envBefore);
        etcd.start();

        await().atMost(Duration.ofSeconds(30)).until(() -> a.peerSubnets().equals(List.of(joined)));
        assertThat(a.log()).contains("lease watch fell behind etcd's compaction");
        int renewalsBefore = occurrences(a.log(), "lease " + subnetA + " renewed");
        await().atMost(Duration.ofSeconds(20)).until(() -> occurrences(a.log(), "lease " + subnetA + " renewed") > renewalsBefore);
        assertThat(a.subnet()).isEqualTo(subnetA);
        assertThat(a.isAlive()).isTrue();
    }

    @Test
    void everyFlagCanComeFromFlanneldEnvironmentVariables() throws Exception {
        putConfig(CONFIG);
        AgentProcess a = agent("env", Map.of(
                "FLANNELD_ETCD_ENDPOINTS", etcd.endpointsFlag(),
                "FLANNELD_ETCD_PREFIX", prefix,
                "FLANNELD_PUBLIC_IP", "127.0.0.71",
                "FLANNELD_IP_MASQ", "true",
                "FLANNELD_SUBNET_LEASE_TTL", "1h"), List.of()).start().awaitReady();
        assertThat(a.subnetEnv()).contains("FLANNEL_IPMASQ=true");
        KeyValue kv = subnetKvs().get(0);
        assertThat(kv.getValue().toString(UTF_8)).contains("\"PublicIP\":\"127.0.0.71\"");
        long grantedTtl = etcd.client().getLeaseClient().timeToLive(kv.getLease(), io.etcd.jetcd.options.LeaseOption.DEFAULT)
                .get(10, TimeUnit.SECONDS).getGrantedTTL();
        assertThat(grantedTtl).as("FLANNELD_SUBNET_LEASE_TTL=1h").isEqualTo(3600);
    }

    @Test
    void leasesAndConfigCommandsShowWhatIsInEtcd() throws Exception {
        java.io.StringWriter out = new java.io.StringWriter();
        var cl = Main.commandLine();
        cl.setOut(new java.io.PrintWriter(out));
        assertThat(cl.execute("config", "set", "--etcd-endpoints", etcd.endpointsFlag(), "--etcd-prefix", prefix, CONFIG)).isZero();
        assertThat(cl.execute("config", "set", "--etcd-endpoints", etcd.endpointsFlag(), "--etcd-prefix", prefix,
                "{\"Network\":\"10.50.0.0/30\"}")).as("an invalid config is refused").isEqualTo(1);
        AgentProcess a = agent("a", "127.0.0.81").start().awaitReady();

        assertThat(cl.execute("config", "get", "--etcd-endpoints", etcd.endpointsFlag(), "--etcd-prefix", prefix)).isZero();
        assertThat(cl.execute("leases", "--etcd-endpoints", etcd.endpointsFlag(), "--etcd-prefix", prefix)).isZero();
        assertThat(out.toString()).contains(CONFIG).containsPattern(a.subnet().replace(".", "\\.") + "\\s+127\\.0\\.0\\.81\\s+vxlan\\s+20\\d\\d-");
    }

    @Test
    void measuresHowFastANewLeaseReachesARunningAgent() throws Exception {
        putConfig(CONFIG);
        AgentProcess watcher = agent("w", "127.0.0.91").start().awaitReady();
        int n = 10;
        long[] took = new long[n];
        long[] logged = new long[n];
        for (int i = 0; i < n; i++) {
            String subnet = "10.50." + (200 + i) + ".0/24";
            String key = prefix + "/subnets/" + subnet.replace('/', '-');
            String value = "{\"PublicIP\":\"127.0.1." + i + "\",\"PublicIPv6\":null,\"BackendType\":\"vxlan\","
                    + "\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"0a:00:00:00:01:0" + i + "\"}}";
            int expected = i + 1;
            long wall0 = System.currentTimeMillis();
            long t0 = System.nanoTime();
            etcd.client().getKVClient().put(bytes(key), bytes(value)).get(10, TimeUnit.SECONDS);
            try {
                // a poll that cannot connect (the test JVM or the agent starved on a loaded machine)
                // is tried again; an agent that stopped answering still fails the wait, with its log
                await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(1))
                        .failFast("the agent exited", () -> !watcher.isAlive())
                        .ignoreException(java.io.UncheckedIOException.class)
                        .until(() -> watcher.peerSubnets().size() == expected);
            } catch (RuntimeException e) {
                throw new AssertionError("lease " + subnet + " (#" + expected + ") did not reach the agent within 10 s ("
                        + e + "); agent alive: " + watcher.isAlive() + "; its log:\n" + watcher.logTail(), e);
            }
            took[i] = System.nanoTime() - t0;
            // the agent logs each peer as its event loop hands it to the backend: that instant, without our HTTP polling
            // (the line may reach the log file a moment after /peers shows the peer)
            String line = await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(10))
                    .until(() -> watcher.log().lines().filter(l -> l.contains("peer added: " + subnet)).findFirst(),
                            java.util.Optional::isPresent)
                    .orElseThrow();
            logged[i] = java.time.OffsetDateTime.parse(line.substring(0, line.indexOf(' '))).toInstant().toEpochMilli() - wall0;
        }
        java.util.Arrays.sort(took);
        java.util.Arrays.sort(logged);
        System.out.printf("MEASURE new lease put in etcd -> handed to a running agent's backend (agent log): median %d ms, max %d ms (%d leases)%n",
                logged[n / 2], logged[n - 1], n);
        System.out.printf("MEASURE new lease put in etcd -> visible in the agent's /peers (HTTP polling): median %.1f ms, max %.1f ms%n",
                took[n / 2] / 1e6, took[n - 1] / 1e6);
        assertThat(took[n / 2]).isLessThan(Duration.ofSeconds(1).toNanos());
    }

    static int occurrences(String text, String needle) {
        int n = 0;
        for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) {
            n++;
        }
        return n;
    }
}
