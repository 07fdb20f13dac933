package io.javaoverlay.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.IntFunction;

import org.junit.jupiter.api.extension.ExtensionContext;

import io.javaoverlay.testkit.UnderlayEtcd;
import io.javaoverlay.testkit.Requirements;
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
final class OverlayCluster extends AgentCluster {

    static final String NETWORK = "10.244.0.0/16";
    static final String PREFIX = "/javaoverlay-e2e/network";
    static final int CONTAINERS_PER_HOST = 2;

    /** More keys of the network config, e.g. {@code ,"SubnetMax":"10.244.199.0"}, or empty. */
    private String extraConfig = "";
    /** More flags for every agent. */
    private List<String> agentArgs = List.of();
    /** More environment for every agent. */
    private Map<String, String> agentEnv = Map.of();
    /** Per host: more flags for its agent, after the others (e.g. its own --public-ipv6). */
    private IntFunction<List<String>> hostAgentArgs = n -> List.of();
    /** Per host: what its agent's --iface names instead of the underlay interface (e.g. an IPv6 address of it). */
    private IntFunction<String> hostIface = n -> null;
    /** Per host: the flags that pick its external interface instead of {@code --iface <underlay>} (unless null). */
    private IntFunction<List<String>> hostIfaceFlags = n -> null;
    /** Per host: more environment for its agent (e.g. its own key file: the hosts share one file system). */
    private IntFunction<Map<String, String>> hostAgentEnv = n -> Map.of();
    /** Per host: a command the agent runs under (e.g. a mount of its own over a run-time directory). */
    private IntFunction<List<String>> agentWrapper = n -> List.of();
    /** More checks before anything starts (commands a backend needs). */
    private Consumer<Requirements> requirements = r -> {};
    /** Agents run under a shell loop that starts them again when they exit, as systemd's Restart= does. */
    private boolean supervised;
    /** What {@link #afterTeardown} added, run after the teardown. */
    private Runnable afterTeardown = () -> {};
    private UnderlayEtcd etcd;
    private final int initialHosts;
    private final boolean withContainers;

    private OverlayCluster(String backendJson, int hosts, int initialHosts, boolean withContainers) {
        super(hosts, backendJson);
        this.initialHosts = initialHosts;
        this.withContainers = withContainers;
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

    /** Dual stack: {@code EnableIPv6} with {@code network6} as the config's {@code IPv6Network}. */
    OverlayCluster withIpv6Network(String network6) {
        return withConfig(",\"EnableIPv6\":true,\"IPv6Network\":\"" + network6 + "\"");
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

    /** Host {@code n}'s agent gets {@code args.apply(n)} after every other flag. */
    OverlayCluster withHostAgentArgs(IntFunction<List<String>> args) {
        hostAgentArgs = args;
        return this;
    }

    /** Host {@code n}'s agent gets {@code --iface iface.apply(n)} instead of its underlay interface's name (unless null). */
    OverlayCluster withHostIface(IntFunction<String> iface) {
        hostIface = iface;
        return this;
    }

    /**
     * Host {@code n}'s agent picks its external interface with {@code flags.apply(n)} (e.g.
     * {@code --iface-regex ...}) instead of {@code --iface <underlay>} (unless null).
     */
    OverlayCluster withHostIfaceFlags(IntFunction<List<String>> flags) {
        hostIfaceFlags = flags;
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
        requirements = requirements.andThen(more);
        return this;
    }

    /**
     * Runs {@code step} once the hosts are gone, their processes ended (e.g. removing a directory
     * the agents mounted on in their own mount namespaces).
     */
    OverlayCluster afterTeardown(Runnable step) {
        Runnable before = afterTeardown;
        afterTeardown = () -> {
            before.run();
            step.run();
        };
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
    public void afterAll(ExtensionContext context) {
        try {
            super.afterAll(context);
        } finally {
            afterTeardown.run();
        }
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

    /** Starts {@code bin/javaoverlay agent} inside host {@code n} and waits until it is ready. */
    TestProcess startAgent(int n) {
        List<String> cmd = agentCommand(n);
        cmd.addAll(List.of("--etcd-endpoints", etcd.url(), "--etcd-prefix", PREFIX, "--ip-masq"));
        cmd.addAll(agentArgs);
        cmd.addAll(hostAgentArgs.apply(n));
        String iface = hostIface.apply(n);
        if (iface != null) {
            cmd.set(cmd.indexOf("--iface") + 1, iface);
        }
        List<String> ifaceFlags = hostIfaceFlags.apply(n);
        if (ifaceFlags != null) {
            int at = cmd.indexOf("--iface");
            cmd.remove(at + 1);
            cmd.remove(at);
            cmd.addAll(at, ifaceFlags);
        }
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
        return launchAgent(n, cmd, env, Duration.ofSeconds(90));
    }

    /** The bridge with FLANNEL_SUBNET and {@link #CONTAINERS_PER_HOST} containers at .2, .3 ... with FLANNEL_MTU. */
    void addContainers(int n) {
        addContainers(n, CONTAINERS_PER_HOST);
    }
}
