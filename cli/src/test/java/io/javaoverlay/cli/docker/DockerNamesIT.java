package io.javaoverlay.cli.docker;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.javaoverlay.testkit.ExecResult;
import io.javaoverlay.testkit.TestNetwork;

/**
 * Container names across hosts, as a Docker user sees them: two Docker hosts (real dockerds in
 * namespace hosts, the shared etcd, {@code docker-plugin --container-dns}), containers pointed at
 * their host's gateway with {@code --dns}. A container on host 2 resolves {@code web} (on host 1)
 * and its network alias, fetches a page from it by name, and after {@code docker rm -f web} the
 * name stops resolving within seconds, while host 2's own names keep working through dockerd's
 * embedded DNS.
 */
@Timeout(value = 600)
class DockerNamesIT {

    @RegisterExtension
    final TestNetwork net = TestNetwork.withHosts(2);

    @Test
    void aContainerOnHostTwoReachesWebOnHostOneByName() {
        try (DockerCluster docker = DockerCluster.start(net, "{\"Type\":\"vxlan\"}", List.of("--container-dns"))) {
            DockerHost h1 = docker.host(1);
            DockerHost h2 = docker.host(2);
            String gw1 = docker.subnetEnv(1).gateway().ip().toString();
            String gw2 = docker.subnetEnv(2).gateway().ip().toString();

            h1.dockerOk("run", "-d", "--name", "web", "--net", DockerCluster.NETWORK_NAME, "--network-alias", "www",
                    "--dns", gw1, DockerHost.BUSYBOX, "sh", "-c",
                    "mkdir /www && echo hello-from-web > /www/index.html && exec httpd -f -p 80 -h /www");
            String web = h1.containerIp("web", DockerCluster.NETWORK_NAME);
            h2.dockerOk("run", "-d", "--name", "client", "--net", DockerCluster.NETWORK_NAME, "--dns", gw2,
                    DockerHost.BUSYBOX, "sleep", "600");
            String client = h2.containerIp("client", DockerCluster.NETWORK_NAME);

            long start = System.nanoTime();
            Awaitility.await("web resolves on host 2").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                    .until(() -> h2.docker("exec", "client", "nslookup", "web").stdout().contains(web));
            System.out.printf("web resolvable on host 2 %d ms after docker run returned on host 1%n",
                    Duration.ofNanos(System.nanoTime() - start).toMillis());
            assertThat(h2.dockerOk("exec", "client", "nslookup", "www")).contains(web);
            Awaitility.await("client pings web by name").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                    .until(() -> h2.docker("exec", "client", "ping", "-c", "1", "-W", "1", "web").ok());
            assertThat(h2.dockerOk("exec", "client", "wget", "-q", "-O", "-", "http://web/")).contains("hello-from-web");
            assertThat(h2.dockerOk("exec", "client", "wget", "-q", "-O", "-", "http://www/")).contains("hello-from-web");
            // and back: host 1 resolves host 2's container; host 2 still resolves its own through dockerd
            assertThat(h1.dockerOk("exec", "web", "nslookup", "client")).contains(client);
            assertThat(h2.dockerOk("exec", "client", "nslookup", "client")).contains(client);

            // the names are etcd keys under host 1's lease
            String stored = docker.etcd().etcdctl("get", "--prefix", "--keys-only", DockerCluster.PREFIX + "/names/").orThrow().stdout();
            assertThat(stored).contains(DockerCluster.PREFIX + "/names/" + docker.subnetEnv(1).lease().toKey() + "/web/" + web)
                    .contains("/www/" + web);

            // the server listens on the gateway only: the host reaches it there, nobody on the underlay does
            assertThat(h1.exec("busybox", "nslookup", "web", gw1).stdout()).contains(web);
            ExecResult underlay = h2.exec("timeout", "5", "busybox", "nslookup", "web", net.host(1).underlayIp().toString());
            assertThat(underlay.ok()).as("DNS on host 1's underlay address: %s", underlay.describe()).isFalse();
            assertThat(h1.pluginLog()).contains("answering DNS for container names on /" + gw1 + ":53");

            h1.dockerOk("rm", "-f", "web");
            long removed = System.nanoTime();
            // the moment a lookup starts that no longer finds web (a lookup of an unknown name then
            // waits for the upstream, the machine's resolver, which namespace hosts cannot reach)
            long[] goneAt = {0};
            Awaitility.await("web stops resolving on host 2").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
                    .until(() -> {
                        long asked = System.nanoTime();
                        ExecResult r = h2.docker("exec", "client", "nslookup", "web");
                        goneAt[0] = asked;
                        return !r.stdout().contains(web);
                    });
            System.out.printf("web gone from host 2's DNS at most %d ms after docker rm -f returned%n",
                    Duration.ofNanos(goneAt[0] - removed).toMillis());
            assertThat(Duration.ofNanos(goneAt[0] - removed)).isLessThan(Duration.ofSeconds(5));
            assertThat(h2.docker("exec", "client", "ping", "-c", "1", "-W", "1", "web").ok()).isFalse();
            assertThat(docker.etcd().etcdctl("get", "--prefix", "--keys-only", DockerCluster.PREFIX + "/names/"
                    + docker.subnetEnv(1).lease().toKey() + "/").orThrow().stdout()).doesNotContain("web");
        }
    }
}
