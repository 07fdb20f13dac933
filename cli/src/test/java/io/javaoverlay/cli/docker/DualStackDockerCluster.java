package io.javaoverlay.cli.docker;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import io.javaoverlay.core.config.SubnetEnv;
import io.javaoverlay.core.net.Ip6Net;
import io.javaoverlay.testkit.Requirements;
import io.javaoverlay.testkit.TestHost;
import io.javaoverlay.testkit.TestNetwork;
import io.javaoverlay.testkit.UnderlayEtcd;

/**
 * Three Docker hosts on a dual-stack underlay for one test class, as a Docker user runs
 * javaoverlay dual-stack: a real etcd on the underlay holding a config with {@code EnableIPv6},
 * each host's underlay interface with {@code fd00:e2e::<n>/64} beside its IPv4 address, a dockerd
 * of its own ({@link DockerHost}) and {@code bin/javaoverlay docker-plugin} (agent and plugin in one
 * process, {@code --ip-masq}) on every host.
 *
 * <p>{@code beforeAll} starts the three dockerds (in parallel: their start-up is most of the
 * fixture's time) and the plugins of hosts 1 and 2, and creates
 * {@code docker network create --ipv6 -d javaoverlay --ipam-driver javaoverlay} {@value #NET} on
 * them. Host {@value #LATE} has only its dockerd: its plugin, and so its agent and its lease, is
 * started by the test ({@link #startPlugin}), late. {@code afterAll} stops everything; the
 * namespaces go with the network.
 */
final class DualStackDockerCluster implements BeforeAllCallback, AfterAllCallback {

    static final String PREFIX = "/javaoverlay-docker6/network";
    static final String NETWORK6 = "fc00:7::/48";
    static final String NET = "ov6";
    static final int HOSTS = 3;
    /** The host whose agent the test starts after the others are up. */
    static final int LATE = 3;

    /** A container {@code name} on host {@code host}'s network, its addresses as dockerd reports them, its PID for its namespace. */
    record Container(int host, String name, String ip4, String ip6, long pid) {

        /** The container's network namespace, as the test JVM reaches it ({@code /proc/PID/ns/net}). */
        Path netns() {
            return Path.of("/proc/" + pid + "/ns/net");
        }
    }

    final TestNetwork net = TestNetwork.withHosts(HOSTS);
    private final String backendJson;
    private final List<DockerHost> hosts = new ArrayList<>();
    private final Map<Integer, Container> containers = new ConcurrentHashMap<>();
    private UnderlayEtcd etcd;

    private DualStackDockerCluster(String backendJson) {
        this.backendJson = backendJson;
    }

    /** Hosts on an overlay whose {@code Backend} is {@code backendJson}. */
    static DualStackDockerCluster of(String backendJson) {
        return new DualStackDockerCluster(backendJson);
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        Requirements.check().root()
                .executable("/usr/sbin/dockerd", "docker.io")
                .executable("/usr/bin/etcd", "etcd-server")
                .command("etcdctl", "etcd-client")
                .command("ip6tables", "iptables")
                .command("bridge", "iproute2")
                .orAbort();
        net.beforeAll(context);
        try {
            startHosts();
        } catch (RuntimeException | Error e) {
            closeHosts(); // the network goes in afterAll (or with the JVM's shutdown hook)
            throw e;
        }
    }

    private void startHosts() {
        for (int n = 1; n <= HOSTS; n++) {
            TestHost h = net.host(n);
            h.ip("-6", "addr", "add", underlay6(n) + "/64", "dev", h.underlayInterface(), "nodad");
            h.execOk("sysctl", "-q", "-w", "net.ipv6.conf.all.forwarding=1");
        }
        etcd = UnderlayEtcd.start(net, "docker6");
        etcd.etcdctl("put", PREFIX + "/config", "{\"Network\":\"" + DockerCluster.OVERLAY + "\",\"EnableIPv6\":true,\"IPv6Network\":\""
                + NETWORK6 + "\",\"Backend\":" + backendJson + "}").orThrow();
        List<CompletableFuture<DockerHost>> starting = new ArrayList<>();
        for (int n = 1; n <= HOSTS; n++) {
            TestHost h = net.host(n);
            starting.add(CompletableFuture.supplyAsync(() -> DockerHost.start(h, net.workDir())));
        }
        RuntimeException failed = null;
        for (CompletableFuture<DockerHost> f : starting) {
            try {
                hosts.add(f.join());
            } catch (RuntimeException e) {
                failed = failed == null ? e : failed;
            }
        }
        if (failed != null) {
            throw failed;
        }
        List<CompletableFuture<Void>> agents = new ArrayList<>();
        for (int n = 1; n <= HOSTS; n++) {
            if (n != LATE) {
                int host = n;
                agents.add(CompletableFuture.runAsync(() -> {
                    startPlugin(host);
                    awaitReadyAndCreateNetwork(host);
                }));
            }
        }
        agents.forEach(CompletableFuture::join);
    }

    /**
     * Starts host {@code n}'s {@code docker-plugin} (its agent with it) and returns once its socket
     * is up; the agent takes its lease after that, {@link #awaitReadyAndCreateNetwork} waits for it.
     */
    void startPlugin(int n) {
        DockerHost docker = host(n);
        Path dir = docker.dir();
        TestHost h = net.host(n);
        docker.startPlugin(List.of("--etcd-endpoints", etcd.url(), "--etcd-prefix", PREFIX, "--iface", h.underlayInterface(), "--ip-masq",
                "--subnet-file", dir.resolve("subnet.env").toString(), "--data-dir", dir.resolve("agent").toString(),
                "--docker-data-dir", dir.resolve("plugin").toString(), "--ipam-dir", dir.resolve("ipam").toString(),
                "--docker-host", "unix://" + docker.apiSocket()));
    }

    /** Waits until host {@code n}'s agent is ready, then creates the {@code --ipv6} network {@value #NET} there. */
    void awaitReadyAndCreateNetwork(int n) {
        DockerHost docker = host(n);
        Awaitility.await("agent on host " + n).atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(50))
                .until(() -> docker.pluginLog().contains("javaoverlay is ready"));
        docker.dockerOk("network", "create", "--ipv6", "-d", "javaoverlay", "--ipam-driver", "javaoverlay", NET);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        try {
            closeHosts();
        } finally {
            net.afterAll(context);
        }
    }

    private void closeHosts() {
        for (DockerHost h : hosts) {
            try {
                h.close();
            } catch (RuntimeException | Error e) {
                System.err.println(h + ": " + e);
            }
        }
        hosts.clear();
    }

    static String underlay6(int n) {
        return "fd00:e2e::" + n;
    }

    DockerHost host(int n) {
        return hosts.get(n - 1);
    }

    TestHost testHost(int n) {
        return net.host(n);
    }

    UnderlayEtcd etcd() {
        return etcd;
    }

    /** Host {@code n}'s subnet.env, as its agent wrote it. */
    SubnetEnv subnetEnv(int n) {
        try {
            return SubnetEnv.read(host(n).dir().resolve("subnet.env"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Host {@code n}'s IPv6 subnet ({@code FLANNEL_IPV6_SUBNET}'s network). */
    Ip6Net lease6(int n) {
        return subnetEnv(n).ipv6Lease().orElseThrow(() -> new AssertionError("host " + n + "'s subnet.env has no FLANNEL_IPV6_SUBNET"));
    }

    /** Records host {@code c.host()}'s container for the tests that follow. */
    void addContainer(Container c) {
        containers.put(c.host(), c);
    }

    /** Host {@code n}'s container, which an earlier test ran. */
    Container container(int n) {
        Container c = containers.get(n);
        if (c == null) {
            throw new IllegalStateException("host " + n + " has no container yet: the tests of a DualStackDockerContract run in order");
        }
        return c;
    }

    @Override
    public String toString() {
        return "dual-stack Docker hosts on " + net;
    }
}
