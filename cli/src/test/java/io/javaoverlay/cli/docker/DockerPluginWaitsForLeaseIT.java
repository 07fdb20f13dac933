package io.javaoverlay.cli.docker;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.javaoverlay.testkit.UnderlayEtcd;
import io.javaoverlay.testkit.ExecResult;
import io.javaoverlay.testkit.Requirements;
import io.javaoverlay.testkit.TestHost;
import io.javaoverlay.testkit.TestNetwork;

/**
 * {@code javaoverlay docker-plugin} (agent and plugin in one process) serves its socket before
 * the agent has a lease. A {@code docker network create} made then waits for the lease instead
 * of failing with "subnet.env does not exist": here etcd holds no network config when the
 * plugin starts, the create is issued, and the config is put a few seconds later.
 */
@Timeout(value = 300)
class DockerPluginWaitsForLeaseIT {

    static final String PREFIX = "/javaoverlay-wait/network";
    /** How long etcd stays without a config after the create was issued: well inside the plugin's 30 s wait. */
    static final Duration CONFIG_LATE_BY = Duration.ofSeconds(4);

    @RegisterExtension
    final TestNetwork net = TestNetwork.withHosts(1);

    DockerHost docker;

    @AfterEach
    void stop() {
        if (docker != null) {
            docker.close();
        }
    }

    @Test
    void aNetworkCreatedBeforeTheAgentHasALeaseIsCreatedOnceItHasOne() throws Exception {
        Requirements.check().root()
                .executable("/usr/sbin/dockerd", "docker.io")
                .executable("/usr/bin/etcd", "etcd-server")
                .command("etcdctl", "etcd-client")
                .executable("/bin/busybox", "busybox-static")
                .orAbort();
        String etcd = startEtcd();
        TestHost host = net.host(1);
        docker = DockerHost.start(host, net.workDir());
        Path dir = docker.dir();
        docker.startPlugin(List.of("--etcd-endpoints", etcd, "--etcd-prefix", PREFIX, "--iface", host.underlayInterface(),
                "--subnet-file", dir.resolve("subnet.env").toString(), "--data-dir", dir.resolve("agent").toString(),
                "--docker-data-dir", dir.resolve("plugin").toString(), "--ipam-dir", dir.resolve("ipam").toString()));
        assertThat(dir.resolve("subnet.env")).as("no lease without a network config").doesNotExist();

        long start = System.nanoTime();
        CompletableFuture<ExecResult> create = CompletableFuture.supplyAsync(() -> docker.docker(Duration.ofSeconds(90),
                "network", "create", "-d", "javaoverlay", "--ipam-driver", "javaoverlay", "ov"));
        Thread.sleep(CONFIG_LATE_BY.toMillis());
        assertThat(create).as("the create waits for the lease").isNotDone();
        net.underlay().exec(List.of("etcdctl", "--endpoints", etcd, "put", PREFIX + "/config",
                "{\"Network\":\"10.246.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}"), Map.of(), null, Duration.ofSeconds(30))
                .orThrow();

        ExecResult created = create.get(60, TimeUnit.SECONDS);
        assertThat(created.ok()).as("network create: %s\nplugin log:\n%s", created.describe(),
                DockerHost.tail(docker.pluginLog(), 40)).isTrue();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(CONFIG_LATE_BY);
        assertThat(docker.pluginLog()).contains("waits for this host's lease");
        String out = docker.dockerOk("run", "--rm", "--net", "ov", DockerHost.BUSYBOX, "ip", "-o", "-4", "addr", "show", "eth0");
        assertThat(out).containsPattern("inet 10\\.246\\.\\d+\\.\\d+/24");
        docker.dockerOk("network", "rm", "ov");
    }

    private String startEtcd() {
        return UnderlayEtcd.start(net, "wait").url();
    }
}
