package io.javaoverlay.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.javaoverlay.cni.testing.CniJson;
import io.javaoverlay.testkit.Requirements;
import io.javaoverlay.testkit.TestNamespace;

/**
 * Pods made by the real CNI executable on two hosts with real agents (vxlan, etcd on the
 * underlay) reach each other across hosts, and DEL leaves nothing behind. The same hosts check
 * the launcher's two ways of running a call: handed to the host's agent over its CNI socket, and
 * in a JVM of its own (no socket, a stale socket, or an agent in another network namespace),
 * with results of the same shape.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CniAcrossHostsIT {

    @RegisterExtension
    static final OverlayCluster cluster = OverlayCluster.agentsOnly("{\"Type\":\"vxlan\"}", 2);


    /** Pods added so far, by container ID: host number and namespace. */
    private static final Map<String, Integer> podHost = new LinkedHashMap<>();
    private static final Map<String, TestNamespace> pods = new HashMap<>();
    private static final Map<String, Map<String, Object>> results = new HashMap<>();

    @BeforeAll
    static void clientPresent() {
        // the launcher hands calls to the agent with socat; without it every call would take the JVM path
        Requirements.check().command("socat", "socat").orAbort();
    }

    private static String conf(int host) {
        return cluster.cniConf(host);
    }

    private static OverlayCluster.CniRun cni(int host, String socket, Map<String, String> env, String stdin) {
        return cluster.cni(host, socket, env, stdin);
    }

    private static Map<String, String> env(String command, String id, TestNamespace pod) {
        return OverlayCluster.cniEnv(command, id, pod);
    }

    private static String agentSocket(int host) {
        return cluster.cniSocket(host).toString();
    }

    /** ADD of a new pod on {@code host} through {@code socket}; checks the result's shape and address. */
    private static Map<String, Object> addPod(int host, String id, String socket) {
        OverlayCluster.Pod pod = cluster.cniPod(host, id, socket);
        synchronized (podHost) {
            podHost.put(id, host);
            pods.put(id, pod.ns());
            results.put(id, pod.result());
        }
        return pod.result();
    }

    @SuppressWarnings("unchecked")
    private static String address(Map<String, Object> result) {
        return (String) ((List<Map<String, Object>>) result.get("ips")).get(0).get("address");
    }

    private static String ip(String id) {
        return address(results.get(id)).split("/")[0];
    }

    /** The call left a line in the agent's log: the agent served it. */
    private static boolean servedBy(int host, String id) {
        return cluster.agent(host).log().contains("CNI ADD " + id + " ");
    }

    @Test
    @Order(1)
    void podsAddedThroughTheAgentsPingAcrossHosts() throws IOException {
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(cluster.cniSocket(1))))
                .as("only root may ask the agent to wire containers").isEqualTo("rw-------");
        addPod(1, "a1", agentSocket(1));
        addPod(2, "b1", agentSocket(2));

        assertThat(servedBy(1, "a1")).as("host 1's agent served a1; its log:\n%s", cluster.agent(1).log()).isTrue();
        assertThat(servedBy(2, "b1")).as("host 2's agent served b1").isTrue();
        assertThat(pods.get("a1").ping(ip("b1"), 10)).as("a1 -> b1 across hosts").isTrue();
        assertThat(pods.get("b1").ping(ip("a1"), 10)).as("b1 -> a1 across hosts").isTrue();
        // what the agent served shows on its /metrics
        assertThat(cluster.agentHttp(1, "/metrics"))
                .containsPattern("javaoverlay_operations_total\\{face=\"cni\",operation=\"ADD\",result=\"ok\"} [1-9]")
                .contains("javaoverlay_operation_duration_seconds_count{face=\"cni\",operation=\"ADD\"}");
    }

    @Test
    @Order(2)
    void theJvmPathGivesAResultOfTheSameShape() {
        Map<String, Object> standalone = addPod(1, "a2", "");

        assertThat(servedBy(1, "a2")).as("no socket: the agent is not asked").isFalse();
        assertThat(shape(standalone)).isEqualTo(shape(results.get("a1")));
        assertThat(pods.get("a2").ping(ip("b1"), 10)).as("a2 (JVM path) -> b1").isTrue();
    }

    @Test
    @Order(3)
    void aStaleSocketFallsBackToTheJvm() throws IOException {
        Path stale = cluster.hostDir(1).resolve("stale.sock");
        // bound and closed: the file stays, nothing listens (an agent killed with SIGKILL leaves this)
        try (ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            s.bind(UnixDomainSocketAddress.of(stale));
        }
        assertThat(stale).exists();

        Map<String, Object> result = addPod(1, "a3", stale.toString());

        assertThat(servedBy(1, "a3")).isFalse();
        assertThat(shape(result)).isEqualTo(shape(results.get("a1")));
        assertThat(pods.get("a3").ping(ip("b1"), 10)).as("a3 (stale socket) -> b1").isTrue();
    }

    @Test
    @Order(4)
    void anAgentInAnotherNetworkNamespaceDoesNotServeTheCall() {
        // host 2 runs the plugin with host 1's socket (the hosts share this machine's file system)
        addPod(2, "b2", agentSocket(1));

        await().atMost(Duration.ofSeconds(5)).until(() -> cluster.agent(1).log().contains("not serving ADD for b2"));
        assertThat(servedBy(1, "b2")).as("host 1's agent must not wire a pod of host 2").isFalse();
        assertThat(cluster.host(1).ip("link", "show")).doesNotContain(veth(results.get("b2")));
        assertThat(cluster.host(2).ip("link", "show")).contains(veth(results.get("b2")));
        assertThat(pods.get("b2").ping(ip("a1"), 10)).as("b2 -> a1").isTrue();
    }

    @Test
    @Order(5)
    void errorsThroughTheAgentAreTheJvmPathsErrors() {
        Map<String, String> noId = env("ADD", "", pods.get("a1"));
        OverlayCluster.CniRun agent = cni(1, agentSocket(1), noId, conf(1));
        OverlayCluster.CniRun jvm = cni(1, "", noId, conf(1));
        assertThat(agent.exit()).as("%s", agent).isEqualTo(1);
        CniJson.assertError(agent.stdout(), 4);
        assertThat(agent.stdout()).isEqualTo(jvm.stdout());

        OverlayCluster.CniRun again = cni(1, agentSocket(1), env("ADD", "a1-again", pods.get("a1")), conf(1));
        assertThat(again.exit()).isEqualTo(1);
        CniJson.assertError(again.stdout(), 104);
        assertThat(reservations(1)).as("the refused ADD reserved nothing").hasSize(3);

        OverlayCluster.CniRun malformed = cni(1, agentSocket(1), env("ADD", "bad", pods.get("a1")), "{not json");
        assertThat(malformed.exit()).isEqualTo(1);
        CniJson.assertError(malformed.stdout(), 6);
    }

    @Test
    @Order(6)
    void concurrentAddsThroughTheAgentGetDistinctAddresses() {
        List<CompletableFuture<Map<String, Object>>> adds = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            String id = "c" + i;
            adds.add(CompletableFuture.supplyAsync(() -> addPod(1, id, agentSocket(1))));
        }
        List<String> addresses = adds.stream().map(CompletableFuture::join).map(CniAcrossHostsIT::address).toList();

        assertThat(addresses).doesNotHaveDuplicates().doesNotContain(address(results.get("a1")), address(results.get("a2")));
        for (int i = 0; i < 6; i++) {
            assertThat(servedBy(1, "c" + i)).isTrue();
        }
        assertThat(pods.get("c5").ping(ip("b1"), 10)).isTrue();
    }

    @Test
    @Order(7)
    void delThroughTheAgentCleansUpAndRepeats() {
        for (Map.Entry<String, Integer> p : podHost.entrySet()) {
            int host = p.getValue();
            TestNamespace pod = pods.get(p.getKey());
            OverlayCluster.CniRun del = cni(host, agentSocket(host), env("DEL", p.getKey(), pod), conf(host));
            assertThat(del.exit()).as("DEL %s: %s", p.getKey(), del).isZero();
            assertThat(del.stdout()).as("DEL prints nothing").isEmpty();
            assertThat(pod.ip("link", "show")).doesNotContain("eth0");
            assertThat(cluster.host(host).ip("link", "show")).doesNotContain(veth(results.get(p.getKey())));
        }
        assertThat(reservations(1)).isEmpty();
        assertThat(reservations(2)).isEmpty();
        assertThat(cluster.agent(1).log()).contains("CNI DEL a1 eth0: ok");

        OverlayCluster.CniRun again = cni(1, agentSocket(1), env("DEL", "a1", pods.get("a1")), conf(1));
        assertThat(again.exit()).as("repeated DEL: %s", again).isZero();
        OverlayCluster.CniRun noNetns = cni(2, agentSocket(2), env("DEL", "b1", null), conf(2));
        assertThat(noNetns.exit()).as("DEL without CNI_NETNS: %s", noNetns).isZero();
    }

    /** Keys and list sizes of a result, with the values that differ per pod (names, MACs, addresses) left out. */
    @SuppressWarnings("unchecked")
    private static Object shape(Object v) {
        if (v instanceof Map<?, ?> m) {
            Map<String, Object> out = new TreeMap<>();
            m.forEach((k, x) -> out.put((String) k, shape(x)));
            return out;
        }
        if (v instanceof List<?> l) {
            return l.stream().map(CniAcrossHostsIT::shape).toList();
        }
        return v == null ? "null" : v.getClass().getSimpleName();
    }

    @SuppressWarnings("unchecked")
    private static String veth(Map<String, Object> result) {
        return (String) ((List<Map<String, Object>>) result.get("interfaces")).get(1).get("name");
    }

    private static List<String> reservations(int host) {
        Path dir = cluster.hostDir(host).resolve("ipam");
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> Character.isDigit(n.charAt(0))).sorted().toList();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
