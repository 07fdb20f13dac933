package io.javaoverlay.core.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.javaoverlay.core.backend.Backend;
import io.javaoverlay.core.backend.BackendRegistry;
import io.javaoverlay.core.backend.ExternalInterface;
import io.javaoverlay.core.backend.HostView;
import io.javaoverlay.core.backend.Registration;
import io.javaoverlay.core.config.BackendType;
import io.javaoverlay.core.config.NetworkConfig;
import io.javaoverlay.core.config.SubnetEnv;
import io.javaoverlay.core.firewall.RuleScope;
import io.javaoverlay.core.firewall.TrafficManager;
import io.javaoverlay.core.lease.DiskLeaseStore;
import io.javaoverlay.core.lease.Lease;
import io.javaoverlay.core.lease.LeaseAttrs;
import io.javaoverlay.core.lease.LeaseEvent;
import io.javaoverlay.core.lease.LeaseId;
import io.javaoverlay.core.lease.LeaseStore;
import io.javaoverlay.core.metrics.MetricsExposition;
import io.javaoverlay.core.metrics.OverlayMetrics;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.netlink.KernelChanges;

/**
 * The whole agent in this JVM: the embedded store in a temporary directory, a host with a fixed
 * interface and a recording firewall, and a backend that records what it is asked to program.
 * What a user sees of it: subnet.env written, the lease in the store, other hosts' leases handed
 * to the data path (and a hostile one not), a stop that keeps the lease.
 */
@Timeout(60)
class AgentInProcessTest {

    private static final Ip4 PUBLIC_IP = Ip4.parse("192.0.2.10");
    private static final String CONFIG = "{\"Network\": \"10.5.0.0/16\", \"SubnetLen\": 24, \"Backend\": {\"Type\": \"vxlan\"}}";

    @TempDir
    Path dir;

    private final RecordingBackend backend = new RecordingBackend();
    private final RecordingFirewall firewall = new RecordingFirewall();
    private final ExecutorService thread = Executors.newSingleThreadExecutor();
    private Agent agent;
    private FakeHost host;
    private Future<Integer> run;
    private LeaseStore otherHosts;

    @BeforeEach
    void start() {
        Path leases = dir.resolve("leases");
        otherHosts = store(leases);
        otherHosts.writeNetworkConfig(CONFIG);
        AgentOptions options = new AgentOptions(Optional.empty(), leases, Optional.empty(), List.of(), List.of(),
                Optional.empty(), dir.resolve("subnet.env"), null, null, true, "127.0.0.1", 0, dir.resolve("data"),
                Duration.ofMillis(100), true, null, true, true);
        host = new FakeHost(store(leases), firewall);
        BackendRegistry backends = BackendRegistry.controlPlaneOnly().with(BackendType.VXLAN, (type, context) -> backend);
        agent = new Agent(options, backends, host);
        run = thread.submit(agent::run);
    }

    @AfterEach
    void stop() throws Exception {
        agent.requestStop("test over");
        thread.shutdown();
        thread.awaitTermination(20, TimeUnit.SECONDS);
        otherHosts.close();
    }

    private static LeaseStore store(Path leases) {
        return new DiskLeaseStore(leases, Optional.empty(), Clock.systemUTC(), Duration.ofMillis(50));
    }

    private SubnetEnv awaitSubnetEnv() {
        Path file = dir.resolve("subnet.env");
        await().atMost(Duration.ofSeconds(20)).until(() -> Files.exists(file));
        return await().atMost(Duration.ofSeconds(5)).ignoreExceptions().until(() -> SubnetEnv.read(file), e -> e != null);
    }

    @Test
    void leasesASubnetWritesSubnetEnvAndInstallsTheRulesForIt() throws Exception {
        SubnetEnv env = awaitSubnetEnv();
        assertThat(env.network()).hasToString("10.5.0.0/16");
        assertThat(env.lease().prefixLength()).isEqualTo(24);
        assertThat(env.mtu()).isEqualTo(1450);

        Lease own = otherHosts.get(env.lease()).orElseThrow();
        assertThat(own.attrs().publicIp()).isEqualTo(PUBLIC_IP);
        assertThat(own.attrs().backendType()).contains("vxlan");
        assertThat(own.attrs().backendData().orElseThrow().get("VtepMAC").asText()).isEqualTo("0a:58:0a:05:00:01");
        assertThat(backend.acquired).containsExactly(env.lease());
        assertThat(firewall.ensured).contains(env.network() + " " + env.lease());
    }

    @Test
    void otherHostsLeasesReachTheBackendAndAHostileOneDoesNot() throws Exception {
        SubnetEnv env = awaitSubnetEnv();
        // subnets of other hosts: never the one this agent happened to pick
        List<Ip4Net> others = IntStream.range(200, 210).mapToObj(i -> Ip4Net.parse("10.5." + i + ".0/24"))
                .filter(s -> !s.equals(env.lease())).toList();
        Ip4Net peer = others.get(0);
        otherHosts.create(peer, vxlanLease("192.0.2.20", "0a:58:0a:05:00:02"), Duration.ofHours(1));
        await().atMost(Duration.ofSeconds(10)).until(() -> backend.added().contains(peer));
        assertThat(agent.peers()).containsKey(LeaseId.of(peer));

        // a lease whose public IP is this host's own address never reaches the data path
        Ip4Net hostile = others.get(1);
        otherHosts.create(hostile, vxlanLease(PUBLIC_IP.toString(), "0a:58:0a:05:00:03"), Duration.ofHours(1));
        Ip4Net late = others.get(2);
        otherHosts.create(late, vxlanLease("192.0.2.30", "0a:58:0a:05:00:04"), Duration.ofHours(1));
        await().atMost(Duration.ofSeconds(10)).until(() -> backend.added().contains(late));
        assertThat(backend.added()).doesNotContain(hostile);

        otherHosts.delete(peer);
        await().atMost(Duration.ofSeconds(10)).until(() -> backend.removed().contains(peer));
        assertThat(agent.peers()).doesNotContainKey(LeaseId.of(peer));
    }

    @Test
    void theAgentReportsIntoTheMetricsItIsGiven() throws Exception {
        SubnetEnv env = awaitSubnetEnv();
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(scrape()).contains("javaoverlay_ready 1.0"));
        assertThat(scrape()).contains("javaoverlay_lease_acquisitions_total 1.0")
                .contains("javaoverlay_lease_info{backend=\"vxlan\",public_ip=\"" + PUBLIC_IP + "\",subnet=\"" + env.lease() + "\"} 1.0");
        agent.requestStop("test");
        assertThat(run.get(20, TimeUnit.SECONDS)).isEqualTo(Agent.EXIT_OK);
        assertThat(scrape()).contains("javaoverlay_ready 0.0");
    }

    private String scrape() {
        return new String(MetricsExposition.scrape(host.metrics()), java.nio.charset.StandardCharsets.UTF_8);
    }

    @Test
    void aStoppedAgentKeepsItsLeaseAndClosesTheBackend() throws Exception {
        SubnetEnv env = awaitSubnetEnv();
        agent.requestStop("test");
        assertThat(run.get(20, TimeUnit.SECONDS)).isEqualTo(Agent.EXIT_OK);
        assertThat(backend.closed).isTrue();
        assertThat(otherHosts.get(env.lease())).isPresent();
    }

    /**
     * A backend whose kernel state the host reports changes of is rechecked when a change comes
     * (within half a second, at most one a second), not every 5 s; and every 5 s again while a
     * failed peer waits to be retried.
     */
    @Test
    void aKernelChangeBringsTheBackendsRecheckForwardAndNothingElseDoes() throws Exception {
        awaitSubnetEnv();
        await().atMost(Duration.ofSeconds(5)).until(() -> host.onKernelChange != null);
        assertThat(host.watched).isEqualTo(backend.kernelInterest().orElseThrow());
        int before = backend.rechecks.get();
        Thread.sleep(Agent.BACKEND_RECHECK.toMillis() + 1500);
        assertThat(backend.rechecks.get()).as("no recheck without a change: the backstop is %s", Agent.BACKEND_BACKSTOP)
                .isEqualTo(before);

        long t0 = System.nanoTime();
        host.onKernelChange.run();
        await().atMost(Duration.ofMillis(500)).pollInterval(Duration.ofMillis(10)).until(() -> backend.rechecks.get() == before + 1);
        System.out.printf("a kernel change was rechecked after %d ms%n", (System.nanoTime() - t0) / 1_000_000);

        // a peer that failed to be programmed: retried every BACKEND_RECHECK, as without the kernel's reports
        backend.retryPending = true;
        Ip4Net peer = Ip4Net.parse("10.5.250.0/24");
        otherHosts.create(peer, vxlanLease("192.0.2.40", "0a:58:0a:05:00:05"), Duration.ofHours(1));
        await().atMost(Duration.ofSeconds(5)).until(() -> backend.added().contains(peer));
        int afterChange = backend.rechecks.get();
        await().atMost(Agent.BACKEND_RECHECK.plusSeconds(2)).until(() -> backend.rechecks.get() > afterChange);

        agent.requestStop("test");
        assertThat(run.get(20, TimeUnit.SECONDS)).isEqualTo(Agent.EXIT_OK);
        assertThat(host.watchClosed).as("the kernel watch is closed at stop").isTrue();
    }

    private static LeaseAttrs vxlanLease(String publicIp, String mac) {
        ObjectNode data = new ObjectMapper().createObjectNode().put("VNI", 1).put("VtepMAC", mac);
        return LeaseAttrs.of(Ip4.parse(publicIp), Optional.of("vxlan"), Optional.of(data));
    }

    /** A machine with one interface, no routes of its own in the Network, and a recording firewall. */
    private static final class FakeHost implements AgentHost {
        private final LeaseStore store;
        private final TrafficManager firewall;
        /** The agent's own: nothing it counts is shared with another test's agent. */
        private final OverlayMetrics metrics = new OverlayMetrics();

        FakeHost(LeaseStore store, TrafficManager firewall) {
            this.store = store;
            this.firewall = firewall;
        }

        @Override
        public Map<String, String> environment() {
            return Map.of();
        }

        @Override
        public OverlayMetrics metrics() {
            return metrics;
        }

        @Override
        public LeaseStore openStore() {
            return store;
        }

        @Override
        public ExternalInterface externalInterface() {
            return new ExternalInterface("eth0", 2, 1500, PUBLIC_IP, PUBLIC_IP);
        }

        @Override
        public boolean startupChecksPass(NetworkConfig config) {
            return true;
        }

        @Override
        public TrafficManager trafficManager(NetworkConfig config) {
            return firewall;
        }

        @Override
        public HostView hostView() {
            return new HostView(List.of(Ip4Net.parseHost("192.0.2.10/24")), List.of());
        }

        volatile KernelChanges.Interest watched;
        volatile Runnable onKernelChange;
        volatile boolean watchClosed;

        @Override
        public Optional<AutoCloseable> watchKernel(KernelChanges.Interest interest, Runnable onChange) {
            watched = interest;
            onKernelChange = onChange;
            return Optional.of(() -> watchClosed = true);
        }

        @Override
        public void close() {}
    }

    /** Records the rules it was asked for. */
    private static final class RecordingFirewall implements TrafficManager {
        final List<String> ensured = new CopyOnWriteArrayList<>();

        @Override
        public String tool() {
            return "recording";
        }

        @Override
        public boolean isEnabled() {
            return true;
        }

        @Override
        public boolean ensure(RuleScope scope) {
            ensured.add(scope.network() + " " + scope.lease());
            return true;
        }

        @Override
        public void recheck(RuleScope scope) {}

        @Override
        public void cleanUp() {}
    }

    /** Publishes a vxlan lease and records every call the agent makes. */
    private static final class RecordingBackend implements Backend {
        final List<Ip4Net> acquired = new CopyOnWriteArrayList<>();
        final List<LeaseEvent> events = new CopyOnWriteArrayList<>();
        final AtomicInteger rechecks = new AtomicInteger();
        volatile boolean retryPending;
        volatile boolean closed;

        @Override
        public Optional<KernelChanges.Interest> kernelInterest() {
            return Optional.of(new KernelChanges.Interest(Set.of("flannel.1"), Set.of(), List.of(Ip4Net.parse("10.5.0.0/16")), List.of()));
        }

        @Override
        public boolean retryPending() {
            return retryPending;
        }

        @Override
        public void recheck() {
            rechecks.incrementAndGet();
        }

        List<Ip4Net> added() {
            return subnetsOf(LeaseEvent.Added.class);
        }

        List<Ip4Net> removed() {
            return subnetsOf(LeaseEvent.Removed.class);
        }

        /** The subnets of the events of one kind, in the order they came. */
        private List<Ip4Net> subnetsOf(Class<? extends LeaseEvent> kind) {
            return events.stream().filter(kind::isInstance).map(e -> e.lease().subnet()).toList();
        }

        @Override
        public Registration register(NetworkConfig config) {
            ObjectNode data = new ObjectMapper().createObjectNode().put("VNI", 1).put("VtepMAC", "0a:58:0a:05:00:01");
            return new Registration(Optional.of("vxlan"), Optional.of(data), 1450);
        }

        @Override
        public void leaseAcquired(Lease own) {
            acquired.add(own.subnet());
        }

        @Override
        public void handle(List<LeaseEvent> batch) {
            events.addAll(batch);
        }

        @Override
        public void close() {
            closed = true;
        }
    }
}
