package io.javaoverlay.cli.docker;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.javaoverlay.core.config.SubnetEnv;
import io.javaoverlay.testkit.Requirements;
import io.javaoverlay.testkit.TestHost;
import io.javaoverlay.testkit.TestNamespace;
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

    static final String PREFIX = "/javaoverlay-docker/network";
    static final String NETWORK = "10.244.0.0/16";

    @RegisterExtension
    final TestNetwork net = TestNetwork.withHosts(2);

    final List<DockerHost> dockers = new ArrayList<>();

    @AfterEach
    void stop() {
        dockers.forEach(DockerHost::close);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"vxlan", "udp", "wireguard"})
    void containersOnTwoHostsTalkOverTheOverlay(String backend) throws IOException {
        Requirements.check().root()
                .executable("/usr/sbin/dockerd", "docker.io")
                .executable("/usr/bin/etcd", "etcd-server")
                .command("etcdctl", "etcd-client")
                .file("/dev/net/tun", "modprobe tun")
                .orAbort();
        if (backend.equals("wireguard")) {
            // each Docker host has its own /run (DockerHost), so its own /run/wireguard and /run/flannel/wgkey
            Requirements.check().command("wg", "wireguard-tools").command("wireguard-go", "wireguard-go").orAbort();
        }
        String etcd = startEtcd();
        net.underlay().exec(List.of("etcdctl", "--endpoints", etcd, "put", PREFIX + "/config",
                "{\"Network\":\"" + NETWORK + "\",\"Backend\":{\"Type\":\"" + backend + "\"}}"), Map.of(), null,
                Duration.ofSeconds(30)).orThrow();

        for (int n = 1; n <= 2; n++) {
            TestHost host = net.host(n);
            DockerHost docker = DockerHost.start(host, net.workDir());
            dockers.add(docker);
            Path dir = docker.dir();
            docker.startPlugin(List.of("--etcd-endpoints", etcd, "--etcd-prefix", PREFIX,
                    "--iface", host.underlayInterface(), "--ip-masq",
                    "--subnet-file", dir.resolve("subnet.env").toString(),
                    "--data-dir", dir.resolve("agent").toString(),
                    "--docker-data-dir", dir.resolve("plugin").toString(),
                    "--ipam-dir", dir.resolve("ipam").toString()));
            Awaitility.await("agent on host " + n).atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200))
                    .until(() -> docker.pluginLog().contains("javaoverlay is ready"));
            docker.dockerOk("network", "create", "-d", "javaoverlay", "--ipam-driver", "javaoverlay", "ov");
        }
        DockerHost h1 = dockers.get(0);
        DockerHost h2 = dockers.get(1);
        SubnetEnv env1 = SubnetEnv.read(h1.dir().resolve("subnet.env"));
        SubnetEnv env2 = SubnetEnv.read(h2.dir().resolve("subnet.env"));
        assertThat(env1.lease()).isNotEqualTo(env2.lease());

        h1.dockerOk("run", "-d", "--name", "left", "--net", "ov", DockerHost.BUSYBOX, "sleep", "600");
        h2.dockerOk("run", "-d", "--name", "right", "--net", "ov", DockerHost.BUSYBOX, "sleep", "600");
        String left = h1.containerIp("left", "ov");
        String right = h2.containerIp("right", "ov");
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
    }

    private String startEtcd() {
        TestNamespace ul = net.underlay();
        String url = "http://" + net.underlayGateway() + ":2379";
        ul.start("etcd", List.of("/usr/bin/etcd", "--name", "docker2", "--data-dir", net.workDir().resolve("etcd").toString(),
                "--listen-client-urls", url, "--advertise-client-urls", url,
                "--listen-peer-urls", "http://127.0.0.1:2380", "--initial-advertise-peer-urls", "http://127.0.0.1:2380",
                "--initial-cluster", "docker2=http://127.0.0.1:2380"), Map.of());
        Awaitility.await("etcd").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .until(() -> ul.exec("etcdctl", "--endpoints", url, "endpoint", "health").ok());
        return url;
    }
}
