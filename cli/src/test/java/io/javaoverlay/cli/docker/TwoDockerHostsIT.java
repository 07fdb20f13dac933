package io.javaoverlay.cli.docker;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.time.Duration;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.javaoverlay.core.config.SubnetEnv;
import io.javaoverlay.testkit.ExecResult;
import io.javaoverlay.testkit.Requirements;
import io.javaoverlay.testkit.TestNetwork;

/**
 * What flannel never had: {@code docker network create -d javaoverlay} on two Docker hosts gives
 * their containers one flat network. Each host is a namespace on a shared underlay with its own
 * dockerd and {@code bin/javaoverlay docker-plugin} (agent and plugin in one process) on a
 * shared etcd; a container on host 1 pings one on host 2 and sends it a megabyte over TCP, which
 * must arrive intact. Once per backend that carries traffic between hosts (wireguard: on
 * wireguard-go where the kernel has no WireGuard).
 */
@Timeout(value = 600)
class TwoDockerHostsIT {

    @RegisterExtension
    final TestNetwork net = TestNetwork.withHosts(2);

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"vxlan", "udp", "wireguard"})
    void containersOnTwoHostsTalkOverTheOverlay(String backend) throws IOException {
        if (backend.equals("wireguard")) {
            // each Docker host has its own /run (DockerHost), so its own /run/wireguard and /run/flannel/wgkey
            Requirements.check().command("wg", "wireguard-tools").command("wireguard-go", "wireguard-go").orAbort();
        }
        try (DockerCluster docker = DockerCluster.start(net, "{\"Type\":\"" + backend + "\"}")) {
            containersTalk(backend, docker);
        }
    }

    private void containersTalk(String backend, DockerCluster docker) {
        DockerHost h1 = docker.host(1);
        DockerHost h2 = docker.host(2);
        SubnetEnv env1 = docker.subnetEnv(1);
        SubnetEnv env2 = docker.subnetEnv(2);
        assertThat(env1.lease()).isNotEqualTo(env2.lease());

        String left = docker.dockerContainer(1, "left");
        String right = docker.dockerContainer(2, "right");
        assertThat(env1.lease().contains(io.javaoverlay.core.net.Ip4.parse(left))).isTrue();
        assertThat(env2.lease().contains(io.javaoverlay.core.net.Ip4.parse(right))).isTrue();

        // the peers' routes may take a moment after the second lease appears
        Awaitility.await(backend + ": left pings right").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                .until(() -> h1.docker("exec", "left", "ping", "-c", "1", "-W", "1", right).ok());
        assertThat(h2.dockerOk("exec", "right", "ping", "-c", "3", "-W", "2", left)).contains("3 packets received");

        // a TCP stream, larger than any MTU, arrives whole: right serves a megabyte, left fetches it
        String sent = h2.dockerOk("exec", "right", "sh", "-c",
                "mkdir -p /www && head -c 1048576 /dev/urandom > /www/data && md5sum /www/data");
        h2.dockerOk("exec", "-d", "right", "httpd", "-f", "-p", "80", "-h", "/www");
        Awaitility.await("httpd listening on right").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                .until(() -> h2.docker("exec", "right", "sh", "-c", "netstat -ltn | grep -q ':80 '").ok());
        String got = h1.dockerOk("exec", "left", "sh", "-c", "wget -q -O /tmp/got http://" + right + "/data && md5sum /tmp/got");
        assertThat(got.split("\\s+")[0]).as("md5 of what arrived").isEqualTo(sent.split("\\s+")[0]);

        // one javaoverlay network per host: a second one, which could not be isolated from the
        // first, is refused with the reason, and nothing of it is left
        ExecResult second = h1.docker("network", "create", "-d", "javaoverlay", "--ipam-driver", "javaoverlay", "jnet2");
        assertThat(second.ok()).isFalse();
        assertThat(second.stderr()).contains("one network per host").contains("not be isolated");
        assertThat(h1.dockerOk("network", "ls", "--format", "{{.Name}}")).doesNotContain("jnet2");

        // a network of another driver inside the overlay: dockerd makes it without a word (no
        // plugin is asked); the agent withdraws the peer whose subnet it covers and says why, and
        // takes it back when the network goes
        h1.dockerOk("network", "create", "-d", "bridge", "--subnet", env2.lease().toString(), "clash");
        try {
            Awaitility.await(backend + ": host 2 withdrawn on host 1").atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(500))
                    .until(() -> h1.pluginLog().contains("rejected the lease " + env2.lease().toKey()));
            assertThat(h1.pluginLog()).contains("overlaps this host's route");
            assertThat(h1.docker("exec", "left", "ping", "-c", "1", "-W", "1", right).ok()).isFalse();
        } finally {
            h1.docker("network", "rm", "clash");
        }
        Awaitility.await(backend + ": left pings right again").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500))
                .until(() -> h1.docker("exec", "left", "ping", "-c", "1", "-W", "1", right).ok());
    }
}
