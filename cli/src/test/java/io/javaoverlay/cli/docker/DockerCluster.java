package io.javaoverlay.cli.docker;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.awaitility.Awaitility;

import io.javaoverlay.core.config.SubnetEnv;
import io.javaoverlay.testkit.Requirements;
import io.javaoverlay.testkit.TestHost;
import io.javaoverlay.testkit.TestNetwork;
import io.javaoverlay.testkit.UnderlayEtcd;

/**
 * Docker hosts across one underlay, as a Docker user runs javaoverlay: a real etcd on the
 * underlay, and on every host of a {@link TestNetwork} a dockerd of its own with
 * {@code bin/javaoverlay docker-plugin} (agent and plugin in one process) against that etcd, and
 * the javaoverlay network {@value #NETWORK_NAME} created on it. {@link #dockerContainer} runs a
 * container there: a cross-host test of the Docker face is a few lines. Close it (try-with-
 * resources) to stop the dockerds and plugins; the namespaces go with the network.
 */
public final class DockerCluster implements AutoCloseable {

    public static final String PREFIX = "/javaoverlay-docker/network";
    public static final String OVERLAY = "10.244.0.0/16";
    /** The Docker network every host creates. */
    public static final String NETWORK_NAME = "ov";

    private final List<DockerHost> hosts = new ArrayList<>();
    private final UnderlayEtcd etcd;

    private DockerCluster(UnderlayEtcd etcd) {
        this.etcd = etcd;
    }

    /** Every host of {@code net} a Docker host, on an overlay whose {@code Backend} is {@code backendJson}. */
    public static DockerCluster start(TestNetwork net, String backendJson) {
        return start(net, backendJson, List.of());
    }

    /** As {@link #start(TestNetwork, String)}, with {@code pluginArgs} added to every host's {@code docker-plugin}. */
    public static DockerCluster start(TestNetwork net, String backendJson, List<String> pluginArgs) {
        Requirements.check().root()
                .executable("/usr/sbin/dockerd", "docker.io")
                .executable("/usr/bin/etcd", "etcd-server")
                .command("etcdctl", "etcd-client")
                .file("/dev/net/tun", "modprobe tun")
                .orAbort();
        UnderlayEtcd etcd = UnderlayEtcd.start(net, "docker");
        etcd.etcdctl("put", PREFIX + "/config", "{\"Network\":\"" + OVERLAY + "\",\"Backend\":" + backendJson + "}").orThrow();
        DockerCluster cluster = new DockerCluster(etcd);
        boolean started = false;
        try {
            for (int n = 1; n <= net.hostCount(); n++) {
                cluster.hosts.add(startHost(net, net.host(n), n, etcd.url(), pluginArgs));
            }
            started = true;
            return cluster;
        } finally {
            if (!started) {
                cluster.close();
            }
        }
    }

    private static DockerHost startHost(TestNetwork net, TestHost host, int n, String etcdUrl, List<String> pluginArgs) {
        DockerHost docker = DockerHost.start(host, net.workDir());
        Path dir = docker.dir();
        List<String> args = new ArrayList<>(List.of("--etcd-endpoints", etcdUrl, "--etcd-prefix", PREFIX,
                "--iface", host.underlayInterface(), "--ip-masq",
                "--subnet-file", dir.resolve("subnet.env").toString(),
                "--data-dir", dir.resolve("agent").toString(),
                "--docker-data-dir", dir.resolve("plugin").toString(),
                "--ipam-dir", dir.resolve("ipam").toString(),
                "--docker-host", "unix://" + docker.apiSocket()));
        args.addAll(pluginArgs);
        docker.startPlugin(args);
        Awaitility.await("agent on host " + n).atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200))
                .until(() -> docker.pluginLog().contains("javaoverlay is ready"));
        docker.dockerOk("network", "create", "-d", "javaoverlay", "--ipam-driver", "javaoverlay", NETWORK_NAME);
        return docker;
    }

    /** Docker host {@code n} (1-based). */
    public DockerHost host(int n) {
        return hosts.get(n - 1);
    }

    /** Host {@code n}'s subnet.env, as its agent wrote it. */
    public SubnetEnv subnetEnv(int n) {
        try {
            return SubnetEnv.read(host(n).dir().resolve("subnet.env"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Runs a busybox container named {@code name} on host {@code n}'s javaoverlay network; returns its address. */
    public String dockerContainer(int n, String name) {
        host(n).dockerOk("run", "-d", "--name", name, "--net", NETWORK_NAME, DockerHost.BUSYBOX, "sleep", "600");
        return host(n).containerIp(name, NETWORK_NAME);
    }

    public UnderlayEtcd etcd() {
        return etcd;
    }

    @Override
    public void close() {
        hosts.forEach(DockerHost::close);
    }
}
