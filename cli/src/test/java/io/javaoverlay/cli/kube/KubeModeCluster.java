package io.javaoverlay.cli.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.extension.ExtensionContext;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.javaoverlay.cli.AgentCluster;
import io.javaoverlay.cli.HttpInNamespace;
import io.javaoverlay.cli.WireguardHosts;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.Ip6Net;
import io.javaoverlay.testkit.TestHost;
import io.javaoverlay.testkit.ExecResult;
import io.javaoverlay.testkit.Requirements;
import io.javaoverlay.testkit.TestNamespace;
import io.javaoverlay.testkit.TestProcess;

/**
 * kube-flannel's topology without etcd, built from namespaces: hosts on one underlay, and ONE
 * API server for all of them: fabric8's mock server in CRUD mode (no Kubernetes API server can
 * run on the test machines), run as its own JVM inside the underlay namespace on the underlay
 * bridge's address, where every host reaches it (as the etcd of the other end-to-end tests).
 * Running it there, rather than in the test JVM, needs no relay between the root namespace and
 * the hosts' namespaces, and keeps its Vert.x 5 off this module's class path (see overlay-kube's
 * pom). The test talks to it with curl from the underlay namespace, as kubectl would.
 *
 * <p>Each host is a Node object with a podCIDR ({@code 10.244.<n>.0/24}), as kube-controller-manager
 * gives out, and runs {@code bin/javaoverlay agent --kube-subnet-mgr --kube-api-url ...} with
 * {@code NODE_NAME}; hosts above {@code agents} get a Node but no agent (the test uses them).
 *
 * <p>{@link #dualStack} makes it a dual-stack cluster: every Node's {@code spec.podCIDRs} holds
 * {@code 10.244.<n>.0/24} and {@code fd00:10:244:<n>::/64} (kube-controller-manager with two
 * {@code --cluster-cidr}s), the hosts' underlay interfaces get {@code fd00:e2e::<n>/64} beside
 * IPv4 before their agents start, and the bridges and containers an address of each family.
 *
 * <p>{@link #ipv6Only} makes it an IPv6-only cluster ({@code EnableIPv4: false}): every Node's
 * podCIDR is {@code fd00:10:244:<n>::/64} alone, the hosts' underlay interfaces lose their IPv4
 * address (and with it the IPv4 default route) for {@code fd00:e2e::<n>/64} and an IPv6 default
 * route, with IPv4 forwarding off, before their agents start, and the API server listens on the
 * underlay bridge's {@code [fd00:e2e::fe]}. No container is made by hand there: the tests attach
 * pods through the real CNI executable ({@link #attachPod}), which gives them IPv6 addresses only.
 */
final class KubeModeCluster extends AgentCluster {

    static final String NETWORK = "10.244.0.0/16";
    /**
     * The prefix of flannel's node annotations ({@code flannel.alpha.coreos.com/public-ip}, ...), spelled
     * out here rather than taken from NodeAnnotations: the tests check the names flanneld reads and writes.
     */
    static final String ANNOTATION = "flannel.alpha.coreos.com/";
    static final int API_PORT = 6443;
    private static final ObjectMapper JSON = new ObjectMapper();

    static final String NETWORK6 = "fd00:10:244::/56";

    private final int agents;
    private boolean dualStack;
    private boolean ipv6Only;
    /** The wireguard backend: each agent gets its own key file and /run/wireguard ({@link WireguardHosts}). */
    private final boolean wireguard;
    private boolean runWireguardExisted;
    private TestProcess api;
    /** The first pod {@link #attachPod} attached on each host. */
    private final Map<Integer, Pod> pods = new HashMap<>();

    /** The underlay bridge's IPv6 address: the IPv6-only hosts' default gateway and the API server's address. */
    static final String UNDERLAY6_GATEWAY = "fd00:e2e::fe";

    KubeModeCluster(String backendJson, int hosts, int agents) {
        super(hosts, backendJson);
        this.agents = agents;
        this.wireguard = backendJson.contains("\"wireguard\"");
    }

    /** A dual-stack cluster (see the class comment); ip6tables is needed for the agents' --ip-masq. */
    static KubeModeCluster dualStack(String backendJson, int hosts, int agents) {
        KubeModeCluster c = new KubeModeCluster(backendJson, hosts, agents);
        c.dualStack = true;
        return c;
    }

    /** An IPv6-only cluster (see the class comment). */
    static KubeModeCluster ipv6Only(String backendJson, int hosts, int agents) {
        KubeModeCluster c = new KubeModeCluster(backendJson, hosts, agents);
        c.ipv6Only = true;
        return c;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        Path cp = home().resolve("overlay-kube/target/test-classpath.txt");
        var required = Requirements.check().root()
                .command("curl", "curl")
                .command("ping", "iputils-ping")
                .command("iptables", "iptables")
                .file(launcher().toString(), "build first: mvn -DskipTests package")
                .file(cp.toString(), "build overlay-kube's tests first: mvn -pl overlay-kube -am test-compile (it writes the mock API server's class path)");
        if (dualStack || ipv6Only) {
            required.command("ip6tables", "iptables");
        }
        if (wireguard) {
            required.command("wg", "wireguard-tools").command("wireguard-go", "wireguard-go").command("nsenter", "util-linux");
            runWireguardExisted = WireguardHosts.runWireguardExists();
        }
        required.orAbort();
        net.beforeAll(context);
        if (ipv6Only) {
            net.underlay().ip("-6", "addr", "add", UNDERLAY6_GATEWAY + "/64", "dev", "br0", "nodad");
        }
        startApiServer(cp);
        Files.writeString(netConf(), ipv6Only
                ? "{\"EnableIPv4\":false,\"EnableIPv6\":true,\"IPv6Network\":\"" + NETWORK6 + "\",\"Backend\":" + backendJson + "}"
                : "{\"Network\":\"" + NETWORK + "\"" + (dualStack ? ",\"EnableIPv6\":true,\"IPv6Network\":\"" + NETWORK6 + "\"" : "")
                        + ",\"Backend\":" + backendJson + "}");
        for (int h = 1; h <= net.hosts().size(); h++) {
            createNode(h);
            if (ipv6Only) {
                TestHost host = host(h);
                host.ip("-6", "addr", "add", underlay6(h) + "/64", "dev", host.underlayInterface(), "nodad");
                host.ip("-4", "addr", "flush", "dev", host.underlayInterface()); // its IPv4 default route goes with it
                host.ip("-6", "route", "add", "default", "via", UNDERLAY6_GATEWAY, "dev", host.underlayInterface());
                host.execOk("sysctl", "-q", "-w", "net.ipv6.conf.all.forwarding=1");
                // a new namespace inherits the root namespace's IPv4 forwarding: off here, for the tests to see it stays off
                host.execOk("sysctl", "-q", "-w", "net.ipv4.ip_forward=0");
            }
            if (dualStack) {
                TestHost host = host(h);
                host.ip("-6", "addr", "add", underlay6(h) + "/64", "dev", host.underlayInterface(), "nodad");
                host.execOk("sysctl", "-q", "-w", "net.ipv6.conf.all.forwarding=1");
            }
        }
        List<CompletableFuture<Void>> started = new ArrayList<>();
        for (int h = 1; h <= agents; h++) {
            int host = h;
            started.add(CompletableFuture.runAsync(() -> startAgent(host)));
        }
        started.forEach(CompletableFuture::join);
        for (int h = 1; h <= agents && !ipv6Only; h++) {
            addContainers(h, 1);
            if (dualStack) {
                addIpv6(h);
            }
        }
    }

    /**
     * The IPv6 half of host {@code n}'s bridge and container, from its FLANNEL_IPV6_SUBNET (as the CNI
     * plugin gives them); waits, as the reference bridge plugin does, until duplicate address
     * detection is over on their links.
     */
    private void addIpv6(int n) {
        TestHost h = host(n);
        Ip6Net lease6 = subnetEnv(n).ipv6Lease().orElseThrow();
        h.ip("-6", "addr", "add", subnetEnv(n).ipv6Subnet().orElseThrow(), "dev", "cni0", "nodad");
        TestNamespace c = container(n, 1);
        c.ip("-6", "addr", "add", containerIp6(lease6) + "/" + lease6.prefixLength(), "dev", "eth0", "nodad");
        c.ip("-6", "route", "add", "default", "via", Ip6Net.format(lease6.address().add(java.math.BigInteger.ONE)), "dev", "eth0");
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).until(() ->
                h.ip("-6", "addr", "show", "tentative").isBlank() && c.ip("-6", "addr", "show", "tentative").isBlank());
    }

    /**
     * A new pod on host {@code n} attached by the CNI executable through {@code socket} ("" for a JVM
     * of its own), as {@link #cniPod}; the first on each host is that host's {@link #pod}.
     */
    Pod attachPod(int n, String id, String socket) {
        Pod pod = cniPod(n, id, socket);
        synchronized (pods) {
            pods.putIfAbsent(n, pod);
        }
        return pod;
    }

    /** The first pod {@link #attachPod} attached on host {@code n}. */
    Pod pod(int n) {
        synchronized (pods) {
            Pod pod = pods.get(n);
            if (pod == null) {
                throw new IllegalStateException("no pod attached on host " + n + " yet");
            }
            return pod;
        }
    }

    /**
     * Waits until node {@code n} carries annotation {@code key} with {@code value}, as an API client
     * sees it: a GET every few milliseconds from the underlay namespace, one socket each, no process
     * (a curl per poll would cost more than the time the tests measure from this moment).
     */
    void awaitAnnotation(int n, String key, String value, Duration atMost) {
        InetSocketAddress server = new InetSocketAddress(ipv6Only ? UNDERLAY6_GATEWAY : net.underlayGateway().toString(), API_PORT);
        String path = "/api/v1/nodes/" + nodeName(n);
        await().atMost(atMost).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(2)).until(() ->
                JSON.readTree(HttpInNamespace.get(net.underlay().name(), server, path)).path("metadata").path("annotations")
                        .path(key).asText().equals(value));
    }

    static String underlay6(int n) {
        return "fd00:e2e::" + n;
    }

    /** Node {@code n}'s IPv6 podCIDR in a dual-stack cluster. */
    static Ip6Net podCidr6(int n) {
        return Ip6Net.parse("fd00:10:244:" + Integer.toHexString(n) + "::/64");
    }

    /** The IPv6 address of the container in {@code lease6} (the bridge has the first). */
    static String containerIp6(Ip6Net lease6) {
        return Ip6Net.format(lease6.address().add(java.math.BigInteger.TWO));
    }

    private void startApiServer(Path cpFile) throws IOException {
        Path kube = home().resolve("overlay-kube/target");
        String cp = kube.resolve("test-classes") + ":" + kube.resolve("classes") + ":" + Files.readString(cpFile).strip();
        String java = ProcessHandle.current().info().command().orElse("java");
        api = net.underlay().start("kube-api", List.of(java, "-Xmx256m", "-cp", cp, "io.javaoverlay.kube.MockApiServer",
                ipv6Only ? UNDERLAY6_GATEWAY : net.underlayGateway().toString(), Integer.toString(API_PORT)), Map.of());
        api.awaitLog("listening on", Duration.ofSeconds(60));
    }

    String apiUrl() {
        return "http://" + (ipv6Only ? "[" + UNDERLAY6_GATEWAY + "]" : net.underlayGateway().toString()) + ":" + API_PORT;
    }

    Path netConf() {
        return net.workDir().resolve("net-conf.json");
    }

    /** A request to the API server, as kubectl would send it; returns the response body, failing the test on an HTTP error. */
    JsonNode kubectl(String method, String path, String contentType, String body) {
        List<String> cmd = new ArrayList<>(List.of("curl", "-g", "-sS", "--fail-with-body", "--max-time", "10", "-X", method));
        if (body != null) {
            cmd.addAll(List.of("-H", "Content-Type: " + contentType, "--data-binary", "@-"));
        }
        cmd.add(apiUrl() + path);
        ExecResult r = net.underlay().exec(cmd, Map.of(), body, Duration.ofSeconds(20)).orThrow();
        try {
            return JSON.readTree(r.stdout());
        } catch (IOException e) {
            throw new UncheckedIOException("not JSON from " + method + " " + path + ": " + r.stdout(), e);
        }
    }

    static Ip4Net podCidr(int n) {
        return Ip4Net.parse("10.244." + n + ".0/24");
    }

    static String nodeName(int n) {
        return "node-" + n;
    }

    private void createNode(int n) {
        ObjectNode node = JSON.createObjectNode();
        node.put("apiVersion", "v1").put("kind", "Node");
        node.putObject("metadata").put("name", nodeName(n));
        ObjectNode spec = node.putObject("spec");
        if (ipv6Only) { // kube-controller-manager with one IPv6 --cluster-cidr
            spec.put("podCIDR", podCidr6(n).toString());
            spec.putArray("podCIDRs").add(podCidr6(n).toString());
            kubectl("POST", "/api/v1/nodes", "application/json", node.toString());
            return;
        }
        spec.put("podCIDR", podCidr(n).toString());
        var cidrs = spec.putArray("podCIDRs").add(podCidr(n).toString());
        if (dualStack) {
            cidrs.add(podCidr6(n).toString());
        }
        kubectl("POST", "/api/v1/nodes", "application/json", node.toString());
    }

    JsonNode node(int n) {
        return kubectl("GET", "/api/v1/nodes/" + nodeName(n), null, null);
    }

    /** The node's annotations as flanneld would leave them, written with a merge patch (kubectl annotate). */
    void annotate(int n, Map<String, String> annotations) {
        ObjectNode patch = JSON.createObjectNode();
        ObjectNode a = patch.putObject("metadata").putObject("annotations");
        annotations.forEach(a::put);
        kubectl("PATCH", "/api/v1/nodes/" + nodeName(n), "application/merge-patch+json", patch.toString());
    }

    void deleteNode(int n) {
        kubectl("DELETE", "/api/v1/nodes/" + nodeName(n), null, null);
    }

    /** {@code bin/javaoverlay agent} in kube mode inside host {@code n}, as kube-flannel.yml runs flanneld; waits until ready. */
    TestProcess startAgent(int n) {
        List<String> cmd = agentCommand(n);
        cmd.addAll(List.of("--ip-masq", "--kube-subnet-mgr", "--kube-api-url", apiUrl(), "--net-config-path", netConf().toString()));
        if (wireguard) {
            List<String> wrapped = new ArrayList<>(WireguardHosts.privateRunWireguard(hostDir(n).resolve("run-wireguard")));
            wrapped.addAll(cmd);
            return launchAgent(n, wrapped, Map.of("NODE_NAME", nodeName(n), "WIREGUARD_KEY_FILE", hostDir(n).resolve("wgkey").toString()),
                    Duration.ofSeconds(120));
        }
        return launchAgent(n, cmd, Map.of("NODE_NAME", nodeName(n)), Duration.ofSeconds(120));
    }

    @Override
    public void afterAll(ExtensionContext context) {
        try {
            super.afterAll(context);
        } finally {
            if (wireguard) {
                WireguardHosts.removeMountPoint(runWireguardExisted);
            }
        }
    }

    /** Host {@code n}'s container. */
    TestNamespace container(int n) {
        return container(n, 1);
    }

    static Ip4 containerIp(int n) {
        return podCidr(n).address().plus(2);
    }

    /** The container of every host in 1 to 3 pings every other one's three times with {@code ping -6}, then with {@code ping -4}. */
    void assertContainersPingEachOtherOverBothFamilies() {
        for (int from = 1; from <= 3; from++) {
            for (int to = 1; to <= 3; to++) {
                if (from == to) {
                    continue;
                }
                ExecResult six = container(from).exec(Duration.ofSeconds(15), "ping", "-6", "-n", "-c3", "-i0.2", "-W2",
                        containerIp6(podCidr6(to)));
                assertThat(six.stdout()).as("ping -6 host %d -> host %d: %s%s", from, to, six.stdout(), six.stderr()).contains("3 received");
                ExecResult four = container(from).exec(Duration.ofSeconds(15), "ping", "-4", "-n", "-c3", "-i0.2", "-W2",
                        containerIp(to).toString());
                assertThat(four.stdout()).as("ping -4 host %d -> host %d: %s%s", from, to, four.stdout(), four.stderr()).contains("3 received");
            }
        }
    }

    /** Whether host {@code n} has any route to {@code subnet}. */
    boolean routes(int n, Ip4Net subnet) {
        return host(n).ipJson("route", "show", subnet.toString()).size() > 0;
    }

    void awaitRouteGone(int n, Ip4Net subnet) {
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100)).until(() -> !routes(n, subnet));
    }
}
