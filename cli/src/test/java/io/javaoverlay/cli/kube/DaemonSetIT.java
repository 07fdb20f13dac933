package io.javaoverlay.cli.kube;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.fabric8.kubernetes.api.model.Container;

import io.javaoverlay.cli.docker.DockerHost;
import io.javaoverlay.core.config.SubnetEnv;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.testkit.UnderlayEtcd;
import io.javaoverlay.testkit.Exec;
import io.javaoverlay.testkit.ExecResult;
import io.javaoverlay.testkit.Requirements;
import io.javaoverlay.testkit.TestNetwork;

/**
 * dist/kubernetes/javaoverlay.yaml run as kubelets would run it, on two namespace nodes with a
 * dockerd each, against a real etcd (TLS with client certificates, as a cluster's etcd) on the
 * underlay: the image built by {@code scripts/kube-image} on the offline base
 * ({@code scripts/make-local-base-image --no-java}), saved from node 1's dockerd and loaded into
 * node 2's; the DaemonSet's pod started on each node by {@link TestKubelet} from the manifest's
 * own spec (the ConfigMap's etcd endpoint pointed at the test's etcd, the Secret holding the
 * test's client certificate). Then what a cluster user would see: the CNI wrapper and conflist on
 * each node, a lease per node in etcd and subnet.env, the probes answering; the node's runtime
 * (this test) running the installed conflist (our plugin through the wrapper, then the reference
 * portmap copied into /opt/cni/bin) to add a pod on each node; pods pinging across nodes, a
 * hostPort reaching its pod, the agents counting the calls they served through the node's
 * /run/javaoverlay socket; DEL; and a re-run of install-cni (an upgrade) leaving a working wrapper.
 */
@Timeout(value = 600, unit = TimeUnit.SECONDS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DaemonSetIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int NODES = 2;
    private static final int HOST_PORT = 18080;
    private static final int POD_PORT = 8080;

    @RegisterExtension
    static final TestNetwork NET = TestNetwork.withHosts(NODES);

    static final KubeManifest MANIFEST = KubeManifest.read(KubeManifest.file());
    static final List<TestKubelet> nodes = new ArrayList<>();
    static final Map<Integer, String> agentContainers = new HashMap<>();
    static String image;
    static String etcdUrl;
    static UnderlayEtcd etcd;
    static Path pki;
    static Instant started;

    @BeforeAll
    static void startNodesAndRunTheDaemonSet() throws Exception {
        started = Instant.now();
        Requirements.check().root()
                .executable("/usr/sbin/dockerd", "docker.io")
                .executable("/usr/bin/etcd", "etcd-server")
                .command("etcdctl", "etcd-client")
                .executable("/usr/bin/openssl", "openssl")
                .executable("/usr/bin/jlink", "default-jdk-headless")
                .executable("/bin/busybox", "busybox-static")
                .executable("/usr/lib/cni/portmap", "containernetworking-plugins")
                .command("socat", "socat")
                .command("curl", "curl")
                .orAbort();
        image = ManifestCheck.buildImage();
        pki = Files.createDirectories(NET.workDir().resolve("pki"));
        etcdUrl = startEtcd();

        for (int n = 1; n <= NODES; n++) {
            nodes.add(null);
        }
        // two dockerds start side by side
        List<Thread> starts = new ArrayList<>();
        List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
        Map<String, String> config = new LinkedHashMap<>(MANIFEST.configMap().getData());
        config.put("etcd-endpoints", etcdUrl);
        Map<String, Map<String, byte[]>> secrets = Map.of("javaoverlay-etcd-tls", Map.of(
                "ca.crt", Files.readAllBytes(pki.resolve("ca.pem")),
                "tls.crt", Files.readAllBytes(pki.resolve("client.pem")),
                "tls.key", Files.readAllBytes(pki.resolve("client.key"))));
        for (int n = 1; n <= NODES; n++) {
            int i = n;
            Thread t = new Thread(() -> {
                try {
                    DockerHost d = DockerHost.start(NET.host(i), NET.workDir());
                    synchronized (nodes) {
                        nodes.set(i - 1, new TestKubelet(d, NET.host(i), MANIFEST.podSpec(), config, secrets));
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            });
            t.start();
            starts.add(t);
        }
        for (Thread t : starts) {
            t.join();
        }
        if (!failures.isEmpty()) {
            throw new AssertionError("starting the nodes' dockerds", failures.get(0));
        }
        log("dockerds up");

        buildImageOnNode1AndLoadItIntoTheOthers();
        log("image " + image + " built and loaded");

        for (TestKubelet k : nodes) {
            k.prepareNode();
            // a node has the reference plugins in /opt/cni/bin (kubeadm's kubernetes-cni package)
            Path bin = Files.createDirectories(k.opt().resolve("cni/bin"));
            try (Stream<Path> plugins = Files.list(Path.of("/usr/lib/cni"))) {
                for (Path p : plugins.toList()) {
                    Files.copy(p, bin.resolve(p.getFileName()), java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
            // what the manifest asks of a node (kubeadm checks it): the agent cannot set it, /proc/sys is read-only
            k.host().execOk("sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
        }
        for (int n = 1; n <= NODES; n++) {
            TestKubelet k = nodes.get(n - 1);
            List<String> containers = k.runPod();
            agentContainers.put(n, containers.get(0));
        }
        Container agent = MANIFEST.container("agent");
        for (int n = 1; n <= NODES; n++) {
            nodes.get(n - 1).probe("agent", agent.getStartupProbe(), agentContainers.get(n));
        }
        for (int n = 1; n <= NODES; n++) {
            nodes.get(n - 1).awaitReady("agent", agent.getReadinessProbe(), agentContainers.get(n), Duration.ofSeconds(90));
        }
        log("the DaemonSet's pod runs on every node");
    }

    @AfterAll
    static void stopNodes() {
        for (TestKubelet k : nodes) {
            if (k != null) {
                k.docker().close();
            }
        }
        log("DaemonSetIT took " + Duration.between(started, Instant.now()).toSeconds() + " s in all");
    }

    static void log(String what) {
        System.err.printf("[DaemonSetIT %5.1fs] %s%n", Duration.between(started, Instant.now()).toMillis() / 1000.0, what);
    }

    /** etcd on the underlay bridge's address, https with client certificates, from a CA made here. */
    private static String startEtcd() throws IOException {
        String gw = NET.underlayGateway().toString();
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=javaoverlay k8s test CA",
                "-keyout", "ca.key", "-out", "ca.pem");
        // etcd 3.4 also dials itself (its gRPC gateway) with the server certificate: clientAuth too
        issue("server", "subjectAltName=IP:" + gw + "\nextendedKeyUsage=serverAuth,clientAuth");
        issue("client", "extendedKeyUsage=clientAuth");
        etcd = UnderlayEtcd.startTls(NET, "k8s", pki.resolve("server.pem"), pki.resolve("server.key"), pki.resolve("ca.pem"),
                pki.resolve("client.pem"), pki.resolve("client.key"));
        return etcd.url();
    }

    private static void issue(String name, String ext) throws IOException {
        Files.writeString(pki.resolve(name + ".ext"), ext + "\n");
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=" + name, "-keyout", name + ".key", "-out", name + ".csr");
        openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
                "-extfile", name + ".ext", "-out", name + ".pem");
    }

    private static void openssl(String... args) {
        List<String> cmd = new ArrayList<>(List.of("sh", "-c", "cd \"$0\" && exec /usr/bin/openssl \"$@\"", pki.toString()));
        cmd.addAll(List.of(args));
        Exec.run(cmd, Map.of(), null, Duration.ofSeconds(30)).orThrow();
    }


    /** scripts/make-local-base-image --no-java and scripts/kube-image on node 1's dockerd; docker save | docker load into the others. */
    private static void buildImageOnNode1AndLoadItIntoTheOthers() {
        DockerHost d1 = nodes.get(0).docker();
        Path home = Path.of(System.getProperty("javaoverlay.home", "..")).toAbsolutePath().normalize();
        Map<String, String> env = Map.of("DOCKER_HOST", "unix://" + d1.apiSocket(), "DOCKER_CONFIG", d1.dir().resolve("cli").toString());
        String base = "jo-kube-base:" + NET.prefix();
        Exec.run(List.of(home.resolve("scripts/make-local-base-image").toString(), "--no-java", base), env, null,
                Duration.ofMinutes(5)).orThrow();
        ExecResult built = Exec.run(List.of(home.resolve("scripts/kube-image").toString(), "--base", base), env, null,
                Duration.ofMinutes(5)).orThrow();
        assertThat(built.stdout().strip()).as("the tag kube-image makes by default").isEqualTo(image);
        long size = Long.parseLong(d1.dockerOk("image", "inspect", "--format", "{{.Size}}", image));
        log(String.format("image %s: %.1f MB (base %s: %.1f MB)", image, size / 1e6, base,
                Long.parseLong(d1.dockerOk("image", "inspect", "--format", "{{.Size}}", base)) / 1e6));
        for (int n = 2; n <= NODES; n++) {
            DockerHost dn = nodes.get(n - 1).docker();
            Exec.run(List.of("sh", "-c", "docker -H unix://\"$0\" save \"$2\" | docker -H unix://\"$1\" load -q",
                    d1.apiSocket().toString(), dn.apiSocket().toString(), image), env, null, Duration.ofMinutes(3)).orThrow();
        }
    }

    // --- what the user sees on the nodes ---

    @Test
    @Order(1)
    void everyNodeHasTheWrapperAndTheConflistInstalled() throws IOException {
        String conflist = MANIFEST.configValue("cni-conf.json");
        for (TestKubelet k : nodes) {
            Path wrapper = k.opt().resolve("cni/bin/javaoverlay");
            assertThat(Files.isExecutable(wrapper)).as("%s: %s", k.host().name(), wrapper).isTrue();
            assertThat(Files.readString(wrapper)).contains("exec /opt/javaoverlay/bin/javaoverlay");
            assertThat(k.opt().resolve("javaoverlay/jre/bin/java")).isExecutable();
            assertThat(k.opt().resolve("javaoverlay/cli/target/lib/javaoverlay-cli.jar")).exists();
            assertThat(k.nodeOk("cat", "/etc/cni/net.d/10-javaoverlay.conflist")).isEqualTo(conflist);
            assertThat(k.nodeOk("ls", "/opt")).doesNotContain("javaoverlay.new", "javaoverlay.old");
        }
    }

    @Test
    @Order(2)
    void everyNodeHasALeaseInEtcdAndSubnetEnvAndAnswersItsProbes() throws IOException {
        String prefix = MANIFEST.configValue("etcd-prefix");
        assertThat(JSON.readTree(etcd.etcdctl("get", prefix + "/config", "--print-value-only").orThrow().stdout()))
                .as("net-config put the ConfigMap's net-conf.json").isEqualTo(JSON.readTree(MANIFEST.configValue("net-conf.json")));
        List<String> subnets = new ArrayList<>();
        for (int n = 1; n <= NODES; n++) {
            TestKubelet k = nodes.get(n - 1);
            SubnetEnv env = SubnetEnv.read(k.docker().privateRun().resolve("flannel/subnet.env"));
            String key = prefix + "/subnets/" + env.lease().toString().replace('/', '-');
            JsonNode lease = JSON.readTree(etcd.etcdctl("get", key, "--print-value-only").orThrow().stdout());
            assertThat(lease.path("PublicIP").asText()).as("node %d's lease names the node's address (status.hostIP)", n)
                    .isEqualTo(k.host().underlayIp().toString());
            assertThat(lease.path("BackendType").asText()).isEqualTo("vxlan");
            subnets.add(env.lease().toString());
            Container agent = MANIFEST.container("agent");
            assertThat(k.probe("agent", agent.getLivenessProbe(), agentContainers.get(n))).isEqualTo(200);
            assertThat(k.probe("agent", agent.getReadinessProbe(), agentContainers.get(n))).isEqualTo(200);
        }
        assertThat(subnets).doesNotHaveDuplicates();
        String leases = etcd.etcdctl("get", "--prefix", "--keys-only", prefix + "/subnets/").orThrow().stdout();
        assertThat(leases.lines().filter(l -> !l.isBlank())).hasSize(NODES);
    }

    // --- the node's container runtime running the installed conflist ---

    /** A pod as the runtime made it: its network namespace on the node, and the chain's final result. */
    record Pod(TestKubelet node, String id, String netns, JsonNode result) {
        String ip() {
            return result.path("ips").get(0).path("address").asText().split("/")[0];
        }
    }

    static final Map<String, Pod> pods = new LinkedHashMap<>();

    /** The conflist as the runtime reads it from the node's /etc/cni/net.d. */
    private static JsonNode conflist(TestKubelet k) throws IOException {
        return JSON.readTree(k.nodeOk("cat", "/etc/cni/net.d/10-javaoverlay.conflist"));
    }

    /** One plugin of the list run as libcni runs it: /opt/cni/bin/TYPE on the node, its config derived from the list. */
    private static ExecResult plugin(TestKubelet k, JsonNode list, JsonNode plugin, String command, String id, String netns,
            JsonNode prevResult, Map<String, String> extraEnv) {
        ObjectNode conf = plugin.deepCopy();
        conf.put("cniVersion", list.path("cniVersion").asText());
        conf.put("name", list.path("name").asText());
        if (plugin.path("capabilities").path("portMappings").asBoolean()) {
            conf.remove("capabilities");
            ObjectNode pm = JSON.createObjectNode();
            pm.put("hostPort", HOST_PORT).put("containerPort", POD_PORT).put("protocol", "tcp");
            conf.putObject("runtimeConfig").putArray("portMappings").add(pm);
        }
        if (prevResult != null) {
            conf.set("prevResult", prevResult);
        }
        Map<String, String> env = new HashMap<>(Map.of("CNI_COMMAND", command, "CNI_CONTAINERID", id,
                "CNI_NETNS", netns, "CNI_IFNAME", "eth0", "CNI_PATH", "/opt/cni/bin"));
        env.putAll(extraEnv);
        return Exec.run(k.docker().inHost(List.of("/opt/cni/bin/" + plugin.path("type").asText())), env, conf.toString(),
                Duration.ofSeconds(60));
    }

    private static Pod addPod(TestKubelet k, String id) throws IOException {
        String netns = "/run/netns/" + id;
        k.nodeOk("ip", "netns", "add", id);
        JsonNode list = conflist(k);
        JsonNode result = null;
        for (JsonNode p : list.path("plugins")) {
            ExecResult r = plugin(k, list, p, "ADD", id, netns, result, Map.of());
            assertThat(r.ok()).as("ADD %s on %s, plugin %s: %s", id, k.host().name(), p.path("type"), r.describe()).isTrue();
            result = JSON.readTree(r.stdout());
        }
        Pod pod = new Pod(k, id, netns, result);
        pods.put(id, pod);
        return pod;
    }

    private static void delPod(Pod pod) throws IOException {
        JsonNode list = conflist(pod.node());
        List<JsonNode> plugins = new ArrayList<>();
        list.path("plugins").forEach(plugins::add);
        java.util.Collections.reverse(plugins);
        for (JsonNode p : plugins) {
            ExecResult r = plugin(pod.node(), list, p, "DEL", pod.id(), pod.netns(), pod.result(), Map.of());
            assertThat(r.ok()).as("DEL %s, plugin %s: %s", pod.id(), p.path("type"), r.describe()).isTrue();
        }
        pod.node().nodeOk("ip", "netns", "del", pod.id());
        pods.remove(pod.id());
    }

    private static String metrics(TestKubelet k) {
        return k.nodeOk("curl", "-sf", "http://" + k.host().underlayIp() + ":8471/metrics");
    }

    private static boolean ping(Pod from, String to) {
        return from.node().docker().exec("ip", "netns", "exec", from.id(), "ping", "-n", "-c", "1", "-W", "1", to).ok();
    }

    @Test
    @Order(3)
    void podsAddedThroughTheInstalledConflistTalkAcrossNodesAndTheAgentsServedTheCalls() throws IOException {
        Pod a = addPod(nodes.get(0), "pa");
        Pod b = addPod(nodes.get(1), "pb");
        for (Pod p : List.of(a, b)) {
            SubnetEnv env = SubnetEnv.read(p.node().docker().privateRun().resolve("flannel/subnet.env"));
            assertThat(env.lease().contains(Ip4.parse(p.ip()))).as("%s's address %s in its node's subnet %s", p.id(), p.ip(), env.lease())
                    .isTrue();
        }
        log("pods " + a.ip() + " and " + b.ip() + " added");
        Awaitility.await("pa pings pb across nodes").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500))
                .until(() -> ping(a, b.ip()));
        assertThat(ping(b, a.ip())).as("pb -> pa").isTrue();

        // the calls went through the node's /run/javaoverlay/cni.sock to the agent in its container
        for (TestKubelet k : List.of(nodes.get(0), nodes.get(1))) {
            assertThat(metrics(k)).containsPattern("javaoverlay_operations_total\\{face=\"cni\",operation=\"ADD\",result=\"ok\"} 1(\\.0)?\\n");
        }

        // portmap, chained after ours, maps node 2's port to pb: reached from node 1 over the underlay
        Path www = Files.createDirectories(NET.workDir().resolve("www"));
        Files.writeString(www.resolve("hello"), "hello from pb\n");
        b.node().docker().startService("pb-httpd", List.of("ip", "netns", "exec", "pb", "busybox", "httpd", "-f",
                "-p", Integer.toString(POD_PORT), "-h", www.toString()));
        String url = "http://" + b.node().host().underlayIp() + ":" + HOST_PORT + "/hello";
        Awaitility.await("node 2's hostPort " + HOST_PORT + " from node 1").atMost(Duration.ofSeconds(20))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> nodes.get(0).docker().exec("curl", "-sf", "-m", "2", url).stdout().equals("hello from pb\n"));
    }

    @Test
    @Order(4)
    void theShippedJavaRuntimeRunsTheCniPluginOnTheNodeWithoutTheAgent() throws IOException {
        // no socket: the wrapper starts the plugin in a JVM of its own, on /opt/javaoverlay/jre, on the node
        TestKubelet k = nodes.get(0);
        JsonNode list = conflist(k);
        ExecResult v = plugin(k, list, list.path("plugins").get(0), "VERSION", "", "", null, Map.of("JAVAOVERLAY_CNI_SOCKET", ""));
        assertThat(v.ok()).as(v.describe()).isTrue();
        assertThat(JSON.readTree(v.stdout()).path("supportedVersions").toString()).contains("1.0.0");
    }

    @Test
    @Order(5)
    void delThroughTheInstalledConflistCleansUp() throws IOException {
        for (Pod p : new ArrayList<>(pods.values())) {
            String veth = p.result().path("interfaces").get(0).path("name").asText();
            delPod(p);
            assertThat(p.node().nodeOk("ip", "-o", "link", "show")).as("host side of %s's veth", p.id()).doesNotContain(veth + "@");
            assertThat(p.node().nodeOk("sh", "-c", "ls /var/lib/javaoverlay/ipam/*/ 2>/dev/null || true"))
                    .as("no IPAM reservation left on %s", p.node().host().name()).doesNotContain(p.ip());
            assertThat(p.node().nodeOk("iptables", "-t", "nat", "-S")).doesNotContain("--dport " + HOST_PORT + " ");
        }
        assertThat(metrics(nodes.get(0))).containsPattern("javaoverlay_operations_total\\{face=\"cni\",operation=\"DEL\",result=\"ok\"} [1-9]");
    }

    @Test
    @Order(6)
    void reRunningInstallCniAsOnAnUpgradeLeavesAWorkingWrapper() throws IOException {
        TestKubelet k = nodes.get(0);
        k.runInit("install-cni");
        assertThat(k.nodeOk("ls", "/opt")).doesNotContain("javaoverlay.new", "javaoverlay.old");
        Pod again = addPod(k, "pa2");
        Pod other = addPod(nodes.get(1), "pb2");
        Awaitility.await("pa2 pings pb2").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500))
                .until(() -> ping(again, other.ip()));
        assertThat(metrics(k)).containsPattern("javaoverlay_operations_total\\{face=\"cni\",operation=\"ADD\",result=\"ok\"} 2(\\.0)?\\n");
        delPod(again);
        delPod(other);
        log("upgrade checked");
    }
}
