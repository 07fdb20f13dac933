package io.javaoverlay.docker;

import static io.javaoverlay.docker.InProcessPlugin.id;
import static io.javaoverlay.docker.InProcessPlugin.obj;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The plugin started before the agent has a lease (no subnet.env yet), as {@code javaoverlay
 * docker-plugin} does: calls that need the lease wait for it, everything else answers at once.
 */
@Timeout(60)
class LeaseWaitTest {

    /** Longer than any of these tests' waits for a lease that comes: a call that answered early did not wait. */
    static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    InProcessPlugin p;

    @AfterEach
    void stop() {
        if (p != null) {
            p.close();
        }
    }

    @Test
    void aPoolRequestedBeforeTheLeaseIsHandedOutOnceTheAgentHasOne() throws Exception {
        p = startWithoutLease(WAIT);
        long start = System.nanoTime();
        CompletableFuture<JsonNode> pool = CompletableFuture.supplyAsync(() -> p.client.call("IpamDriver.RequestPool",
                obj("AddressSpace", "JavaOverlayLocal", "Pool", "", "SubPool", "", "Options", Map.of(), "V6", false)));
        Thread.sleep(700);
        assertThat(pool).as("still waiting for the lease").isNotDone();

        p.writeLease(InProcessPlugin.LEASE, InProcessPlugin.GATEWAY);
        JsonNode reply = pool.get(10, TimeUnit.SECONDS);
        assertThat(reply.has("Error")).as("%s", reply).isFalse();
        assertThat(reply.get("Data").get("com.docker.network.gateway").asText()).isEqualTo(InProcessPlugin.GATEWAY);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(WAIT);
    }

    @Test
    void aWholeNetworkAndContainerSetUpStartedBeforeTheLeaseCompletes() throws Exception {
        p = startWithoutLease(WAIT);
        String net = id("net"), ep = id("ep");
        CompletableFuture<JsonNode> created = CompletableFuture.supplyAsync(() -> {
            String poolId = p.requestPool();
            p.createNetwork(net, Map.of());
            p.requestAddress(poolId, "", "02:42:0a:05:48:02");
            p.client.call("NetworkDriver.CreateEndpoint", obj("NetworkID", net, "EndpointID", ep,
                    "Interface", obj("Address", "10.5.72.2/24", "MacAddress", "02:42:0a:05:48:02")));
            return p.client.call("NetworkDriver.Join", obj("NetworkID", net, "EndpointID", ep, "SandboxKey", "/var/run/x"));
        });
        Thread.sleep(500);
        p.writeLease(InProcessPlugin.LEASE, InProcessPlugin.GATEWAY);
        JsonNode join = created.get(20, TimeUnit.SECONDS);
        assertThat(join.get("Gateway").asText()).isEqualTo("10.5.72.1");
    }

    @Test
    void theHandshakeAndCallsThatNeedNoLeaseAnswerAtOnceWhileManyCallsWait() throws Exception {
        p = startWithoutLease(WAIT);
        // more waiting calls than the server has threads: none of them may hold one
        List<CompletableFuture<JsonNode>> waiting = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            waiting.add(CompletableFuture.supplyAsync(() -> p.client.call("IpamDriver.RequestPool",
                    obj("AddressSpace", "JavaOverlayLocal", "V6", false))));
        }
        Thread.sleep(500);
        for (String method : List.of("Plugin.Activate", "NetworkDriver.GetCapabilities", "IpamDriver.GetCapabilities",
                "IpamDriver.GetDefaultAddressSpaces")) {
            long start = System.nanoTime();
            PluginClient.Reply r = p.client.post(method, null);
            assertThat(r.status()).as(method).isEqualTo(200);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as(method).isLessThan(Duration.ofSeconds(1));
        }
        long start = System.nanoTime();
        JsonNode delete = p.client.call("NetworkDriver.DeleteNetwork", obj("NetworkID", id("gone")));
        assertThat(delete.has("Err")).isFalse();
        JsonNode release = p.client.call("IpamDriver.ReleasePool", obj("PoolID", "javaoverlay:10.5.72.0-24"));
        assertThat(release.has("Error")).isFalse();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("cleanup needs no lease").isLessThan(Duration.ofSeconds(1));
        assertThat(waiting).allSatisfy(f -> assertThat(f).isNotDone());

        p.writeLease(InProcessPlugin.LEASE, InProcessPlugin.GATEWAY);
        for (CompletableFuture<JsonNode> f : waiting) {
            // the lease for the first, 0.0.0.0/0 for the rest (held pools asked for again: see IpamDriver.ANY_POOL)
            assertThat(f.get(10, TimeUnit.SECONDS).get("PoolID").asText()).startsWith("javaoverlay:10.5.72.0-24");
        }
    }

    @Test
    void withoutALeaseTheWaitEndsInAnErrorThatSaysWhatIsMissing() {
        p = startWithoutLease(Duration.ofSeconds(2));
        long start = System.nanoTime();
        JsonNode pool = p.client.call("IpamDriver.RequestPool", obj("AddressSpace", "JavaOverlayLocal", "V6", false));
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(took).isBetween(Duration.ofMillis(1900), Duration.ofSeconds(10));
        assertThat(pool.get("Error").asText()).startsWith("after waiting 2 s, the agent has no lease yet")
                .contains(p.settings.subnetFile().toString()).contains("etcd");
        JsonNode network = p.client.call("NetworkDriver.CreateNetwork", NetworkLifecycleTest.createNetwork(id("n"), Map.of()));
        assertThat(network.get("Err").asText()).contains("the agent has no lease yet");
        assertThat(p.stateFileExists("networks", id("n"))).isFalse();
    }

    private InProcessPlugin startWithoutLease(Duration wait) {
        InProcessPlugin plugin = new InProcessPlugin(dir, wait);
        plugin.startPlugin();
        return plugin;
    }
}
