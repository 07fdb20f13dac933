package io.javaoverlay.cli.docker;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.javaoverlay.core.ipam.DiskStore;
import io.javaoverlay.core.ipam.Owner;
import io.javaoverlay.core.ipam.Reservations;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.testkit.TestNetwork;

/**
 * Restarts and crashes, with a real dockerd: the plugin killed and started again, dockerd
 * restarted with containers that have a restart policy, dockerd killed with SIGKILL.
 */
@Timeout(value = 600)
@TestMethodOrder(MethodOrderer.MethodName.class)
class DockerRestartIT {

    static final String LEASE = "10.5.72.0/24";

    @RegisterExtension
    static final TestNetwork NET = TestNetwork.withHosts(1);

    static DockerHost docker;
    static List<String> pluginArgs;
    static Path ipamDir;

    @BeforeAll
    static void startDocker() throws IOException {
        DockerHost.requirements().orAbort();
        docker = DockerHost.start(NET.host(1), NET.workDir());
        ipamDir = docker.ipamDir();
        pluginArgs = docker.noAgentPluginArgs(LEASE);
        docker.startPlugin(pluginArgs);
    }

    @AfterAll
    static void stopDocker() {
        if (docker != null) {
            docker.close();
        }
    }

    @BeforeEach
    void network() {
        docker.dockerOk("network", "create", "-d", "javaoverlay", "--ipam-driver", "javaoverlay", "ov");
    }

    @AfterEach
    void clean() {
        String ids = docker.dockerOk("ps", "-aq");
        if (!ids.isEmpty()) {
            docker.docker(DockerPluginIT.concat(List.of("rm", "-f"), List.of(ids.split("\\s+"))));
        }
        docker.docker("network", "rm", "ov");
    }

    @Test
    void aKilledPluginComesBackAndExistingContainersNeverNoticed() {
        docker.dockerOk("run", "-d", "--name", "ca", "--net", "ov", DockerHost.BUSYBOX, "sleep", "600");
        docker.dockerOk("run", "-d", "--name", "web", "--net", "ov", "-p", "8080:80", DockerHost.BUSYBOX, "sh", "-c",
                "mkdir /www && echo hello > /www/index.html && exec httpd -f -p 80 -h /www");
        String ipA = docker.containerIp("ca", "ov");

        assertThat(DockerPluginIT.httpGetInHost(docker, "::1", 8080)).as("::1 through the relay").contains("hello");
        docker.stopPlugin(true);
        // the data path is the kernel's: containers keep talking while the plugin is down
        assertThat(docker.dockerOk("exec", "web", "ping", "-c", "1", "-W", "2", ipA)).contains("1 packets received");
        docker.startPlugin(pluginArgs);
        assertThat(docker.pluginLog()).contains("replacing stale socket")
                .as("the rules in place are recognised as the plugin's own (iptables -S spells them as the plugin does)")
                .doesNotContain("JAVAOVERLAY-FWD: rewriting").doesNotContain("JAVAOVERLAY-LOCALNET: rewriting")
                .doesNotContain("JAVAOVERLAY-LOOPBACK: rewriting");
        assertThat(DockerPluginIT.httpGetInHost(docker, "127.0.0.1", 8080)).as("loopback after the restart").contains("hello");
        // ::1 is the plugin's own relay, which died with it: the restart starts it again from the endpoint's state
        assertThat(DockerPluginIT.httpGetInHost(docker, "::1", 8080)).as("::1 after the restart").contains("hello");

        docker.dockerOk("run", "-d", "--name", "cb", "--net", "ov", DockerHost.BUSYBOX, "sleep", "600");
        assertThat(docker.dockerOk("exec", "cb", "ping", "-c", "1", "-W", "2", ipA)).contains("1 packets received");
        String hostIp = NET.host(1).underlayIp().toString();
        assertThat(DockerPluginIT.httpGet(NET.prefix() + "-ul", hostIp, 8080)).contains("hello");
        docker.dockerOk("rm", "-f", "web");
        assertThat(docker.namespace().exec("iptables", "-t", "nat", "-S", "JAVAOVERLAY-DNAT").stdout()).doesNotContain("8080");
        assertThat(DockerPluginIT.httpGetInHost(docker, "::1", 8080)).as("the relay went with the container").doesNotContain("hello");
    }

    @Test
    void containersWithARestartPolicyComeBackConnectedAfterDockerdRestarts() throws IOException {
        docker.dockerOk("run", "-d", "--name", "keeper", "--restart", "always", "--stop-timeout", "1", "--net", "ov", DockerHost.BUSYBOX,
                "sleep", "600");
        docker.dockerOk("run", "-d", "--name", "peer", "--restart", "always", "--stop-timeout", "1", "--net", "ov", DockerHost.BUSYBOX,
                "sleep", "600");
        docker.restartDockerd();
        Awaitility.await("containers restarted").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                .until(() -> docker.dockerOk("ps", "-q", "--filter", "name=keeper", "--filter", "status=running").length() > 0
                        && docker.dockerOk("ps", "-q", "--filter", "name=peer", "--filter", "status=running").length() > 0);
        String peer = docker.containerIp("peer", "ov");
        assertThat(peer).startsWith("10.5.72.");
        assertThat(docker.dockerOk("exec", "keeper", "ping", "-c", "1", "-W", "2", peer)).contains("1 packets received");
        assertThat(dockerReservations().keySet()).extracting(Ip4::toString)
                .containsExactlyInAnyOrder(docker.containerIp("keeper", "ov"), peer);
    }

    @Test
    void afterDockerdIsKilledItsStaleEndpointsAreCleaned() throws IOException {
        docker.dockerOk("run", "-d", "--name", "doomed", "--net", "ov", DockerHost.BUSYBOX, "sleep", "600");
        String ip = docker.containerIp("doomed", "ov");
        docker.stopDockerd(true);
        docker.startDockerd();
        // dockerd (no live-restore) stops the orphaned container and cleans its sandbox up
        Awaitility.await("doomed cleaned up").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                .until(() -> !dockerReservations().containsKey(Ip4.parse(ip)));
        assertThat(docker.namespace().exec("ip", "-o", "link", "show", "master", "cni0").stdout()).isBlank();
        try (var endpoints = Files.list(docker.dir().resolve("plugin/endpoints"))) {
            assertThat(endpoints.filter(f -> f.toString().endsWith(".json")).toList()).isEmpty();
        }
        // and the network is as good as before
        assertThat(docker.dockerOk("run", "--rm", "--net", "ov", DockerHost.BUSYBOX, "ping", "-c", "1", "-W", "2", "10.5.72.1"))
                .contains("1 packets received");
    }

    static Map<Ip4, Owner> dockerReservations() {
        Map<Ip4, Owner> all = new TreeMap<>(new Reservations(DiskStore.open(ipamDir)).all());
        all.values().removeIf(o -> !o.client().equals("docker"));
        return all;
    }
}
