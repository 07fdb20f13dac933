package io.javaoverlay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import static org.awaitility.Awaitility.await;

import java.util.LinkedHashMap;
import java.nio.charset.StandardCharsets;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.IntFunction;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

import io.javaoverlay.testkit.ExecResult;
import io.javaoverlay.core.host.HostDefaults;
import io.javaoverlay.cni.wire.JsonTree;
import io.javaoverlay.cni.testing.CniJson;
import io.javaoverlay.cni.server.CniSocketProtocol;
import io.javaoverlay.core.config.SubnetEnv;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.testkit.UnderlayEtcd;
import io.javaoverlay.testkit.Requirements;
import io.javaoverlay.testkit.TestHost;
import io.javaoverlay.testkit.TestNamespace;
import io.javaoverlay.testkit.TestNetwork;
import io.javaoverlay.testkit.TestProcess;

/**
 * flannel's docs topology, built from namespaces: hosts on one underlay, a real etcd on the
 * underlay bridge's address (reachable from every host), and on each host the real
 * {@code bin/javaoverlay agent} process plus a bridge {@code cni0} with {@code FLANNEL_SUBNET}
 * from that host's subnet.env and container namespaces on it, each with the overlay MTU (the
 * {@code docker --bip=${FLANNEL_SUBNET} --mtu=${FLANNEL_MTU}} recipe).
 *
 * <p>A JUnit extension for a test class: {@code beforeAll} starts etcd, writes the network
 * config and starts agents and containers on the first {@code initialHosts} hosts; the rest are
 * left for the test (a late joiner). Everything goes with the {@link TestNetwork} teardown.
 */
final class OverlayCluster implements BeforeAllCallback, AfterAllCallback, TestWatcher {

    static final String NETWORK = "10.244.0.0/16";
    static final String PREFIX = "/javaoverlay-e2e/network";
    static final int CONTAINERS_PER_HOST = 2;

    private final String backendJson;
    /** More keys of the network config, e.g. {@code ,"SubnetMax":"10.244.199.0"}, or empty. */
    private String extraConfig = "";
    /** More flags for every agent. */
    private List<String> agentArgs = List.of();
    /** More environment for every agent. */
    private Map<String, String> agentEnv = Map.of();
    /** Per host: more environment for its agent (e.g. its own key file: the hosts share one file system). */
    private IntFunction<Map<String, String>> hostAgentEnv = n -> Map.of();
    /** Per host: a command the agent runs under (e.g. a mount of its own over a run-time directory). */
    private IntFunction<List<String>> agentWrapper = n -> List.of();
    /** More checks before anything starts (commands a backend needs). */
    private Consumer<Requirements> requirements = r -> {};
    /** Agents run under a shell loop that starts them again when they exit, as systemd's Restart= does. */
    private boolean supervised;
    private UnderlayEtcd etcd;
    private final int initialHosts;
    private final boolean withContainers;
    final TestNetwork net;
    private final Map<Integer, TestProcess> agents = new HashMap<>();
    private final List<TestProcess> allAgents = new ArrayList<>();
    private volatile boolean failed;
    private final Map<Integer, Integer> starts = new HashMap<>();
    private final Map<Integer, List<TestNamespace>> containers = new HashMap<>();

    private OverlayCluster(String backendJson, int hosts, int initialHosts, boolean withContainers) {
        this.backendJson = backendJson;
        this.initialHosts = initialHosts;
        this.withContainers = withContainers;
        this.net = TestNetwork.withHosts(hosts);
    }

    /** {@code bin/javaoverlay} of the checkout under test (failsafe sets {@code javaoverlay.home}). */
    static Path launcher() {
        return Path.of(System.getProperty("javaoverlay.home", "..")).resolve("bin/javaoverlay").toAbsolutePath().normalize();
    }

    /** {@code hosts} hosts of which the first {@code initialHosts} run an agent and containers from the start. */
    static OverlayCluster of(String backendJson, int hosts, int initialHosts) {
        return new OverlayCluster(backendJson, hosts, initialHosts, true);
    }

    /**
     * Hosts lease only up to {@code 10.244.<max>.0}: a test that writes leases of its own above
     * that never overwrites a running host's key.
     */
    OverlayCluster withSubnetMax(int max) {
        extraConfig = ",\"SubnetMax\":\"10.244." + max + ".0\"";
        return this;
    }

    /** More keys of the network config, written as they follow the others, e.g. {@code ,"EnableNFTables":true}. */
    OverlayCluster withConfig(String keys) {
        extraConfig = extraConfig + keys;
        return this;
    }

    /** Every agent runs with these environment variables too (e.g. a PATH without iptables). */
    OverlayCluster withAgentEnv(Map<String, String> env) {
        agentEnv = Map.copyOf(env);
        return this;
    }

    /** Every agent gets {@code args} too (e.g. a short lease TTL). */
    OverlayCluster withAgentArgs(String... args) {
        agentArgs = List.of(args);
        return this;
    }

    /** Host {@code n}'s agent gets {@code env.apply(n)} on top of {@link #withAgentEnv}. */
    OverlayCluster withHostAgentEnv(IntFunction<Map<String, String>> env) {
        hostAgentEnv = env;
        return this;
    }

    /** Host {@code n}'s agent runs as {@code wrapper.apply(n)} followed by its command (which the wrapper execs). */
    OverlayCluster withAgentWrapper(IntFunction<List<String>> wrapper) {
        agentWrapper = wrapper;
        return this;
    }

    /** Adds to the checks made before anything starts (e.g. the commands a backend runs). */
    OverlayCluster requiring(Consumer<Requirements> more) {
        requirements = more;
        return this;
    }

    /** Every agent runs under a loop that starts it again a second after it exits (a supervisor). */
    OverlayCluster supervised() {
        supervised = true;
        return this;
    }

    /** {@code hosts} hosts, each running an agent from the start, with no bridge or containers (a CNI plugin makes them). */
    static OverlayCluster agentsOnly(String backendJson, int hosts) {
        return new OverlayCluster(backendJson, hosts, hosts, false);
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        Requirements req = Requirements.check().root();
        requirements.accept(req);
        req.executable("/usr/bin/etcd", "etcd-server")
                .command("etcdctl", "etcd-client")
                .command("ping", "iputils-ping")
                .command("iptables", "iptables")
                .file("/dev/net/tun", "the kernel's TUN driver (modprobe tun)")
                .file(launcher().toString(), "build first: mvn -DskipTests package")
                .orAbort();
        net.beforeAll(context);
        startEtcd();
        etcdctl("put", PREFIX + "/config", "{\"Network\":\"" + NETWORK + "\",\"Backend\":" + backendJson + extraConfig + "}");
        List<CompletableFuture<Void>> started = new ArrayList<>();
        for (int h = 1; h <= initialHosts; h++) {
            int host = h;
            started.add(CompletableFuture.runAsync(() -> startAgent(host)));
        }
        started.forEach(CompletableFuture::join);
        for (int h = 1; h <= initialHosts && withContainers; h++) {
            addContainers(h);
        }
    }

    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
        failed = true;
    }

    /** After a failed test, the agents' logs go to the test output before the namespaces go. */
    @Override
    public void afterAll(ExtensionContext context) {
        if (failed) {
            synchronized (agents) {
                for (TestProcess p : allAgents) {
                    String log = p.log();
                    System.err.println("---- " + p + " ----\n" + (log.length() > 12000 ? "..." + log.substring(log.length() - 12000) : log));
                }
            }
        }
        net.afterAll(context);
    }

    /** etcd's data directory. */
    Path etcdDataDir() {
        return etcd.dataDir();
    }

    /** Stops etcd (SIGTERM); its data stays unless the test removes it. */
    void stopEtcd() {
        etcd.stop();
    }

    /** Starts etcd again on its data directory (as it is now: kept, removed, or restored from a snapshot). */
    void restartEtcd() {
        startEtcd();
    }

    private void startEtcd() {
        if (etcd == null) {
            etcd = UnderlayEtcd.start(net, "e2e", "--max-txn-ops", "10000");
        } else {
            etcd.start();
        }
    }

    /** etcdctl inside the underlay namespace; fails the test unless it succeeds; returns stdout. */
    String etcdctl(String... args) {
        return etcd.etcdctl(args).orThrow().stdout();
    }

    String etcdUrl() {
        return etcd.url();
    }

    TestHost host(int n) {
        return net.host(n);
    }

    Path hostDir(int n) {
        Path d = net.workDir().resolve("h" + n);
        try {
            Files.createDirectories(d);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return d;
    }

    /** Where host {@code n}'s agent serves CNI calls. */
    Path cniSocket(int n) {
        return hostDir(n).resolve("cni.sock");
    }

    Path subnetFile(int n) {
        return hostDir(n).resolve("subnet.env");
    }

    /** The port of every agent's HTTP server, on 127.0.0.1 of its host's namespace. */
    static final int HEALTHZ_PORT = 8471;

    /** GET {@code path} from host {@code n}'s agent (e.g. {@code /metrics}), as an operator on that host would. */
    String agentHttp(int n, String path) {
        return host(n).execOk("curl", "-sS", "--max-time", "5", "http://127.0.0.1:" + HEALTHZ_PORT + path);
    }

    /** Starts {@code bin/javaoverlay agent} inside host {@code n} and waits until it is ready. */
    TestProcess startAgent(int n) {
        int run = starts.merge(n, 1, Integer::sum);
        TestHost h = host(n);
        List<String> cmd = List.of(launcher().toString(), "agent",
                "--etcd-endpoints", etcd.url(), "--etcd-prefix", PREFIX,
                "--iface", h.underlayInterface(),
                "--subnet-file", subnetFile(n).toString(),
                "--data-dir", hostDir(n).resolve("data").toString(),
                // every host's own socket: the hosts share this machine's file system
                "--cni-socket", cniSocket(n).toString(),
                // each agent's HTTP server in its own namespace: /metrics, /status
                "--healthz-ip", "127.0.0.1", "--healthz-port", Integer.toString(HEALTHZ_PORT),
                "--ip-masq");
        cmd = new ArrayList<>(cmd);
        cmd.addAll(agentArgs);
        if (supervised) {
            List<String> loop = new ArrayList<>(List.of("sh", "-c", "while :; do \"$@\"; echo \"supervisor: agent exited $?\"; sleep 1; done", "sh"));
            loop.addAll(cmd);
            cmd = loop;
        }
        List<String> wrapper = agentWrapper.apply(n);
        if (!wrapper.isEmpty()) {
            List<String> wrapped = new ArrayList<>(wrapper);
            wrapped.addAll(cmd);
            cmd = wrapped;
        }
        Map<String, String> env = new HashMap<>(agentEnv);
        env.putAll(hostAgentEnv.apply(n));
        TestProcess p = h.start("agent" + (run == 1 ? "" : "-" + run), cmd, env);
        synchronized (agents) {
            agents.put(n, p);
            allAgents.add(p);
        }
        p.awaitLog("javaoverlay is ready", Duration.ofSeconds(90));
        return p;
    }

    TestProcess agent(int n) {
        synchronized (agents) {
            return agents.get(n);
        }
    }

    SubnetEnv subnetEnv(int n) {
        try {
            return SubnetEnv.read(subnetFile(n));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Ip4Net subnet(int n) {
        return subnetEnv(n).lease();
    }

    /** The bridge with FLANNEL_SUBNET and {@link #CONTAINERS_PER_HOST} containers at .2, .3 ... with FLANNEL_MTU. */
    void addContainers(int n) {
        SubnetEnv env = subnetEnv(n);
        TestHost h = host(n);
        h.createBridge("cni0", env.gateway());
        h.ip("link", "set", "cni0", "mtu", Integer.toString(env.mtu()));
        List<TestNamespace> list = new ArrayList<>();
        for (int c = 1; c <= CONTAINERS_PER_HOST; c++) {
            list.add(container(n, "c" + c, c + 1, env.mtu()));
        }
        containers.put(n, list);
    }

    /** One more container on host {@code n}'s bridge at {@code .<index>} with the given eth0 MTU. */
    TestNamespace container(int n, String name, int index, int mtu) {
        SubnetEnv env = subnetEnv(n);
        Ip4 ip = env.lease().address().plus(index);
        TestNamespace c = host(n).addContainer(name, "cni0", new Ip4Net.HostAddress(ip, env.lease().prefixLength()), env.gateway().ip());
        c.ip("link", "set", "eth0", "mtu", Integer.toString(mtu));
        return c;
    }

    List<TestNamespace> containers(int n) {
        return containers.getOrDefault(n, List.of());
    }

    /** Container {@code c} (1-based) of host {@code n}. */
    TestNamespace container(int n, int c) {
        return containers(n).get(c - 1);
    }

    /** The address of container {@code c} of host {@code n}. */
    Ip4 containerIp(int n, int c) {
        return subnet(n).address().plus(c + 1);
    }

    // ---- pods through the real CNI executable ----

    /** The CNI network every pod of this cluster joins. */
    static final String CNI_NETWORK = "crossnet";
    static final String CNI_VERSION = "1.0.0";

    /** What one run of the CNI executable printed and returned. */
    record CniRun(int exit, String stdout, String stderr) {
        @Override
        public String toString() {
            return "exit " + exit + ", stdout: " + stdout + ", stderr: " + stderr;
        }
    }

    /** A pod: its network namespace on the host and the address ADD gave it. */
    record Pod(int host, TestNamespace ns, Ip4 ip, Map<String, Object> result) {
        boolean ping(Pod other) {
            return ns.ping(other.ip().toString(), 10);
        }
    }

    /** Host {@code n}'s CNI network config: its subnet.env, its own IPAM directory, bridge cni0. */
    String cniConf(int n) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("cniVersion", CNI_VERSION);
        c.put("name", CNI_NETWORK);
        c.put("type", "javaoverlay");
        c.put("subnetFile", subnetFile(n).toString());
        c.put("dataDir", hostDir(n).resolve("ipam").toString());
        c.put("bridge", HostDefaults.BRIDGE);
        return new String(JsonTree.format(c), StandardCharsets.UTF_8);
    }

    /** The CNI variables of a call for {@code pod} (null: no namespace, as a DEL after it went). */
    static Map<String, String> cniEnv(String command, String id, TestNamespace pod) {
        Map<String, String> env = new HashMap<>();
        env.put("CNI_COMMAND", command);
        env.put("CNI_CONTAINERID", id);
        env.put("CNI_NETNS", pod == null ? "" : pod.netnsPath().toString());
        env.put("CNI_IFNAME", "eth0");
        env.put("CNI_PATH", "/usr/lib/cni");
        return env;
    }

    /** The CNI executable inside host {@code n}, with {@code socket} as its agent socket ("" for none). */
    CniRun cni(int n, String socket, Map<String, String> env, String stdin) {
        Map<String, String> e = new HashMap<>(env);
        e.put(CniSocketProtocol.SOCKET_VARIABLE, socket);
        ExecResult r = host(n).exec(List.of(launcher().toString()), e, stdin, Duration.ofSeconds(60));
        return new CniRun(r.exitCode(), r.stdout(), r.stderr());
    }

    /** A new pod on host {@code n}, attached by the CNI executable through the host's agent. */
    Pod cniPod(int n, String id) {
        return cniPod(n, id, cniSocket(n).toString());
    }

    /** A new pod on host {@code n}, attached through {@code socket}; checks the result's shape and that its address is the host's. */
    @SuppressWarnings("unchecked")
    Pod cniPod(int n, String id, String socket) {
        TestNamespace ns = net.createNamespace(id);
        CniRun r = cni(n, socket, cniEnv("ADD", id, ns), cniConf(n));
        assertThat(r.exit()).as("ADD %s on host %d: %s", id, n, r).isZero();
        Map<String, Object> result = CniJson.assertAddResult(r.stdout(), CNI_VERSION);
        String address = (String) ((List<Map<String, Object>>) result.get("ips")).get(0).get("address");
        Ip4 ip = Ip4Net.parseHost(address).ip();
        assertThat(subnet(n).contains(ip)).as("address %s of %s is in host %d's subnet %s", ip, id, n, subnet(n)).isTrue();
        return new Pod(n, ns, ip, result);
    }
}

