package io.javaoverlay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestWatcher;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.javaoverlay.cni.server.CniSocketProtocol;
import io.javaoverlay.cni.testing.CniJson;
import io.javaoverlay.cni.wire.JsonTree;
import io.javaoverlay.core.config.SubnetEnv;
import io.javaoverlay.core.host.HostDefaults;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.Ip6Host;
import io.javaoverlay.core.net.Ip6Net;
import io.javaoverlay.testkit.ExecResult;
import io.javaoverlay.testkit.TestHost;
import io.javaoverlay.testkit.TestNamespace;
import io.javaoverlay.testkit.TestNetwork;
import io.javaoverlay.testkit.TestProcess;

/**
 * What every cluster of namespace hosts running {@code bin/javaoverlay agent} has in common,
 * whatever the agents lease from (etcd in {@link OverlayCluster}, a Kubernetes API server in the
 * kube package's cluster): each host's own files (the hosts share this machine's file system),
 * the flags that point an agent at them, the agent processes and their logs after a failure, and
 * containers on a bridge with the host's {@code FLANNEL_SUBNET} and {@code FLANNEL_MTU} (the
 * {@code docker --bip --mtu} recipe), and pods attached by the real CNI executable as a runtime
 * calls it ({@link #cniPod}), with the addresses of whichever families the host's subnet.env has.
 * A test or {@code @BeforeEach} method may take the cluster as a parameter: a contract gets its
 * subclass's cluster that way.
 */
public abstract class AgentCluster implements BeforeAllCallback, AfterAllCallback, TestWatcher, ParameterResolver {

    /** The port of every agent's HTTP server, on 127.0.0.1 of its host's namespace. */
    public static final int HEALTHZ_PORT = 8471;

    public final TestNetwork net;
    private final Map<Integer, TestProcess> agents = new HashMap<>();
    private final List<TestProcess> allAgents = new ArrayList<>();
    private final Map<Integer, Integer> starts = new HashMap<>();
    private final Map<Integer, List<TestNamespace>> containers = new HashMap<>();
    private volatile boolean failed;
    /** The network config's {@code Backend} object, as JSON. */
    protected final String backendJson;
    private final String backendType;

    protected AgentCluster(int hosts, String backendJson) {
        this.net = TestNetwork.withHosts(hosts);
        this.backendJson = backendJson;
        try {
            this.backendType = new ObjectMapper().readTree(backendJson).path("Type").asText();
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("the backend config is not JSON: " + backendJson, e);
        }
    }

    /** The backend's {@code Type}, e.g. {@code vxlan}: as in the network config (and, in kube mode, the Nodes' backend-type annotation). */
    public String backendType() {
        return backendType;
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType().isInstance(this);
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return this;
    }

    /** The checkout under test (failsafe sets {@code javaoverlay.home}). */
    public static Path home() {
        return Path.of(System.getProperty("javaoverlay.home", "..")).toAbsolutePath().normalize();
    }

    /** {@code bin/javaoverlay} of the checkout under test. */
    public static Path launcher() {
        return home().resolve("bin/javaoverlay");
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

    public TestHost host(int n) {
        return net.host(n);
    }

    /** Host {@code n}'s own directory: its subnet file, data dir, CNI socket, IPAM directory. */
    public Path hostDir(int n) {
        Path d = net.workDir().resolve("h" + n);
        try {
            Files.createDirectories(d);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return d;
    }

    /** Where host {@code n}'s agent serves CNI calls. */
    public Path cniSocket(int n) {
        return hostDir(n).resolve("cni.sock");
    }

    public Path subnetFile(int n) {
        return hostDir(n).resolve("subnet.env");
    }

    public SubnetEnv subnetEnv(int n) {
        try {
            return SubnetEnv.read(subnetFile(n));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Ip4Net subnet(int n) {
        return subnetEnv(n).lease();
    }

    /** Host {@code n}'s IPv6 lease, from its subnet.env; fails when it has none. */
    public Ip6Net lease6(int n) {
        return subnetEnv(n).ipv6Lease().orElseThrow();
    }

    /**
     * {@code bin/javaoverlay agent} followed by what points an agent at host {@code n}'s own
     * interface, files and socket, and its HTTP server on the host's loopback.
     */
    protected List<String> agentCommand(int n) {
        return new ArrayList<>(List.of(launcher().toString(), "agent",
                "--iface", host(n).underlayInterface(),
                "--subnet-file", subnetFile(n).toString(),
                "--data-dir", hostDir(n).resolve("data").toString(),
                "--cni-socket", cniSocket(n).toString(),
                "--healthz-ip", "127.0.0.1", "--healthz-port", Integer.toString(HEALTHZ_PORT)));
    }

    /** Starts {@code cmd} inside host {@code n} as its agent and waits until it says it is ready. */
    protected TestProcess launchAgent(int n, List<String> cmd, Map<String, String> env, Duration ready) {
        int run;
        synchronized (agents) {
            run = starts.merge(n, 1, Integer::sum);
        }
        TestProcess p = host(n).start("agent" + (run == 1 ? "" : "-" + run), cmd, env);
        synchronized (agents) {
            agents.put(n, p);
            allAgents.add(p);
        }
        p.awaitLog("javaoverlay is ready", ready);
        return p;
    }

    /** Host {@code n}'s agent, the last one started. */
    public TestProcess agent(int n) {
        synchronized (agents) {
            return agents.get(n);
        }
    }

    /** GET {@code path} from host {@code n}'s agent (e.g. {@code /metrics}), as an operator on that host would. */
    public String agentHttp(int n, String path) {
        return host(n).execOk("curl", "-sS", "--max-time", "5", "http://127.0.0.1:" + HEALTHZ_PORT + path);
    }

    /** The bridge with FLANNEL_SUBNET and {@code count} containers at .2, .3 ... with FLANNEL_MTU. */
    public void addContainers(int n, int count) {
        SubnetEnv env = subnetEnv(n);
        addContainers(n, count, env.gateway(), env.mtu());
    }

    /** The bridge with {@code bridge} and MTU {@code mtu}, and {@code count} containers at .2, .3 ... */
    public void addContainers(int n, int count, Ip4Net.HostAddress bridge, int mtu) {
        TestHost h = host(n);
        h.createBridge(HostDefaults.BRIDGE, bridge);
        h.ip("link", "set", HostDefaults.BRIDGE, "mtu", Integer.toString(mtu));
        List<TestNamespace> list = new ArrayList<>();
        for (int c = 1; c <= count; c++) {
            list.add(container(n, "c" + c, bridge, c + 1, mtu));
        }
        containers.put(n, list);
    }

    /** One more container on host {@code n}'s bridge at {@code .<index>} of the host's lease, with the given eth0 MTU. */
    public TestNamespace container(int n, String name, int index, int mtu) {
        return container(n, name, subnetEnv(n).gateway(), index, mtu);
    }

    private TestNamespace container(int n, String name, Ip4Net.HostAddress bridge, int index, int mtu) {
        Ip4Net lease = bridge.network();
        Ip4 ip = lease.address().plus(index);
        TestNamespace c = host(n).addContainer(name, HostDefaults.BRIDGE, new Ip4Net.HostAddress(ip, lease.prefixLength()), bridge.ip());
        c.ip("link", "set", "eth0", "mtu", Integer.toString(mtu));
        return c;
    }

    public List<TestNamespace> containers(int n) {
        return containers.getOrDefault(n, List.of());
    }

    /** Container {@code c} (1-based) of host {@code n}. */
    public TestNamespace container(int n, int c) {
        return containers(n).get(c - 1);
    }

    /** The address of container {@code c} of host {@code n}. */
    public Ip4 containerIp(int n, int c) {
        return subnet(n).address().plus(c + 1);
    }

    /** The first container of every host in {@code hosts} pings the first container of every other one. */
    public void assertContainersReachEachOther(int... hosts) {
        for (int from : hosts) {
            for (int to : hosts) {
                if (from != to) {
                    assertThat(container(from, 1).ping(containerIp(to, 1).toString(), 5))
                            .as("container on host %d -> container on host %d", from, to).isTrue();
                }
            }
        }
    }

    // ---- pods through the real CNI executable ----

    /** The CNI network every pod of a cluster joins. */
    public static final String CNI_NETWORK = "crossnet";
    public static final String CNI_VERSION = "1.0.0";

    /** What one run of the CNI executable printed and returned. */
    public record CniRun(int exit, String stdout, String stderr) {
        @Override
        public String toString() {
            return "exit " + exit + ", stdout: " + stdout + ", stderr: " + stderr;
        }
    }

    /** A pod: its network namespace on host {@code host} and the result ADD printed for it (already checked by {@link #cniPod}). */
    public record Pod(int host, TestNamespace ns, Map<String, Object> result) {

        /** The {@code "ips"} of the result, in its order. */
        @SuppressWarnings("unchecked")
        public List<Map<String, Object>> ips() {
            return (List<Map<String, Object>>) result.get("ips");
        }

        /** The pod's IPv4 address; fails when ADD gave it none (an IPv6-only pod). */
        public Ip4 ip() {
            return ips().stream().map(ip -> (String) ip.get("address")).filter(a -> !a.contains(":")).findFirst()
                    .map(a -> Ip4Net.parseHost(a).ip()).orElseThrow(() -> new AssertionError("no IPv4 address in " + result));
        }

        /** The pod's IPv6 address (without prefix); fails when ADD gave it none. */
        public String ip6() {
            return ips().stream().map(ip -> (String) ip.get("address")).filter(a -> a.contains(":")).findFirst()
                    .map(a -> Ip6Host.parse(a).ipText()).orElseThrow(() -> new AssertionError("no IPv6 address in " + result));
        }

        public boolean ping(Pod other) {
            return ns.ping(other.ip().toString(), 10);
        }
    }

    /** Host {@code n}'s CNI network config: its subnet.env, its own IPAM directory, bridge cni0. */
    public String cniConf(int n) {
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
    public static Map<String, String> cniEnv(String command, String id, TestNamespace pod) {
        Map<String, String> env = new HashMap<>();
        env.put("CNI_COMMAND", command);
        env.put("CNI_CONTAINERID", id);
        env.put("CNI_NETNS", pod == null ? "" : pod.netnsPath().toString());
        env.put("CNI_IFNAME", "eth0");
        env.put("CNI_PATH", "/usr/lib/cni");
        return env;
    }

    /** The CNI executable inside host {@code n}, with {@code socket} as its agent socket ("" for none). */
    public CniRun cni(int n, String socket, Map<String, String> env, String stdin) {
        Map<String, String> e = new HashMap<>(env);
        e.put(CniSocketProtocol.SOCKET_VARIABLE, socket);
        ExecResult r = host(n).exec(List.of(launcher().toString()), e, stdin, Duration.ofSeconds(60));
        return new CniRun(r.exitCode(), r.stdout(), r.stderr());
    }

    /** A new pod on host {@code n}, attached by the CNI executable through the host's agent. */
    public Pod cniPod(int n, String id) {
        return cniPod(n, id, cniSocket(n).toString());
    }

    /**
     * A new pod on host {@code n}, attached through {@code socket}; checks the result against the
     * spec's shape and that it holds one address of each family host {@code n}'s subnet.env has
     * (IPv4, IPv6 or both), each in the host's subnet of that family, and none of another family.
     */
    public Pod cniPod(int n, String id, String socket) {
        TestNamespace ns = net.createNamespace(id);
        CniRun r = cni(n, socket, cniEnv("ADD", id, ns), cniConf(n));
        assertThat(r.exit()).as("ADD %s on host %d: %s", id, n, r).isZero();
        Pod pod = new Pod(n, ns, CniJson.assertAddResult(r.stdout(), CNI_VERSION));
        SubnetEnv env = subnetEnv(n);
        List<String> families = new ArrayList<>();
        env.ipv4Lease().ifPresent(lease -> {
            families.add("4");
            assertThat(lease.contains(pod.ip())).as("IPv4 address %s of %s is in host %d's subnet %s", pod.ip(), id, n, lease).isTrue();
        });
        env.ipv6Lease().ifPresent(lease6 -> {
            families.add("6");
            assertThat(lease6.contains(Ip6Net.parseAddress(pod.ip6())))
                    .as("IPv6 address %s of %s is in host %d's IPv6 subnet %s", pod.ip6(), id, n, lease6).isTrue();
        });
        assertThat(pod.ips()).extracting(ip -> CniJson.family((String) ip.get("address"), true))
                .as("the families of %s's addresses on host %d: those of its subnet.env", id, n).containsExactlyElementsOf(families);
        return pod;
    }
}
