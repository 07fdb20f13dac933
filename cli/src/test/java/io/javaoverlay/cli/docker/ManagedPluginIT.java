package io.javaoverlay.cli.docker;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.javaoverlay.core.config.SubnetEnv;
import io.javaoverlay.testkit.Exec;
import io.javaoverlay.testkit.ExecResult;
import io.javaoverlay.testkit.Requirements;
import io.javaoverlay.testkit.TestNetwork;

/**
 * The managed plugin as a user makes it: the base image from this machine's packages
 * ({@code scripts/make-local-base-image}, no registry here), the plugin from the Dockerfile and
 * config.json ({@code scripts/docker-plugin-create}), its state mount pointed at a test
 * directory, enabled; then {@code -d javaoverlay:latest} networks and containers. The agent runs
 * inside the plugin on the embedded lease store.
 */
@Timeout(value = 600)
@org.junit.jupiter.api.TestMethodOrder(org.junit.jupiter.api.MethodOrderer.OrderAnnotation.class)
class ManagedPluginIT {

    static final String PLUGIN = "javaoverlay:latest";

    @RegisterExtension
    static final TestNetwork NET = TestNetwork.withHosts(1);

    static final String EMBEDDED_STORE = "FLANNELD_LEASE_DIR=/var/lib/javaoverlay/leases";

    static DockerHost docker;
    static Path state;

    @BeforeAll
    static void createAndEnablePlugin() throws IOException {
        DockerHost.requirements().executable("/usr/bin/jlink", "default-jdk-headless").file("/dev/net/tun", "modprobe tun").orAbort();
        docker = DockerHost.start(NET.host(1), NET.workDir());
        Map<String, String> env = Map.of("DOCKER_HOST", "unix://" + docker.apiSocket(),
                "DOCKER_CONFIG", docker.dir().resolve("cli").toString());
        Path home = DockerHost.launcher().getParent().getParent();
        Exec.run(List.of(home.resolve("scripts/make-local-base-image").toString(), "jo-base:local"), env, null,
                Duration.ofMinutes(5)).orThrow();
        Exec.run(List.of(home.resolve("scripts/docker-plugin-create").toString(), "--base", "jo-base:local", "--no-install"),
                env, null, Duration.ofMinutes(5)).orThrow();
        state = Files.createDirectories(docker.dir().resolve("plugin-state"));
        // one host, no etcd: the embedded store, chosen explicitly as the agent requires
        docker.dockerOk("plugin", "set", PLUGIN, "state.source=" + state, EMBEDDED_STORE);
        docker.dockerOk("plugin", "enable", PLUGIN);
    }

    @AfterAll
    static void stop() {
        if (docker != null) {
            docker.docker("plugin", "disable", "-f", PLUGIN);
            docker.close();
        }
    }

    @Test
    @org.junit.jupiter.api.Order(1)
    void theManagedPluginLeasesASubnetAndServesNetworksAndContainers() throws IOException {
        Path subnetEnv = docker.privateRun().resolve("flannel/subnet.env");
        Awaitility.await("the agent inside the plugin writes subnet.env").atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(200)).until(() -> Files.exists(subnetEnv));
        SubnetEnv env = SubnetEnv.read(subnetEnv);
        assertThat(docker.dockerOk("plugin", "inspect", PLUGIN, "--format", "{{.Enabled}}")).isEqualTo("true");

        docker.dockerOk("network", "create", "-d", PLUGIN, "--ipam-driver", PLUGIN, "mnet");
        assertThat(docker.inspect("network", "mnet").get("Driver").asText()).isEqualTo(PLUGIN);
        String out = docker.dockerOk("run", "--rm", "--net", "mnet", DockerHost.BUSYBOX, "ip", "-o", "-4", "addr", "show", "eth0");
        String prefix = env.lease().address().toString();
        assertThat(out).contains("inet " + prefix.substring(0, prefix.lastIndexOf('.') + 1));
        // the plugin's state and the shared IPAM store live in the mounted directory
        assertThat(state.resolve("docker/networks")).isNotEmptyDirectory();
        assertThat(state.resolve("ipam")).isDirectory();
        // a published port answers on the host's loopback from the managed plugin too (it may
        // write route_localnet: the plugin runs with CAP_SYS_ADMIN in the host's network)
        docker.dockerOk("run", "-d", "--name", "mweb", "--net", "mnet", "-p", "127.0.0.1:8081:80", DockerHost.BUSYBOX, "sh", "-c",
                "mkdir /www && echo hello-managed > /www/index.html && exec httpd -f -p 80 -h /www");
        try {
            Awaitility.await("127.0.0.1:8081").atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(200))
                    .until(() -> DockerPluginIT.httpGetInHost(docker, "127.0.0.1", 8081).contains("hello-managed"));
        } finally {
            // before the plugin is disabled, which a container on its network would outlive
            docker.dockerOk("rm", "-f", "mweb");
        }
        ExecResult rm = docker.docker("network", "rm", "mnet");
        assertThat(rm.ok()).as(rm.describe()).isTrue();
    }

    /**
     * Distribution: the plugin pushed to a registry (Debian's docker-registry on this host's own
     * 127.0.0.1:5000), removed, and installed from there under the usual name.
     */
    @Test
    @org.junit.jupiter.api.Order(2)
    void theManagedPluginInstallsFromARegistry() throws IOException {
        Requirements.check().executable("/usr/bin/docker-registry", "docker-registry").orAbort();
        Path storage = Files.createDirectories(docker.dir().resolve("registry"));
        Path config = docker.dir().resolve("registry.yml");
        Files.writeString(config, "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: "
                + storage + "\nhttp:\n  addr: 127.0.0.1:5000\n");
        docker.startService("registry", List.of("/usr/bin/docker-registry", "serve", config.toString()));
        Awaitility.await("registry").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .until(() -> docker.exec("sh", "-c", "printf 'GET /v2/ HTTP/1.0\\r\\n\\r\\n' | busybox nc -w 2 127.0.0.1 5000")
                        .stdout().matches("(?s)HTTP/1\\.[01] 200.*"));

        String remote = "127.0.0.1:5000/javaoverlay:latest";
        Exec.run(List.of(home().resolve("scripts/docker-plugin-create").toString(), "--tag", remote, "--base", "jo-base:local",
                "--no-install"), dockerEnv(), null, Duration.ofMinutes(5)).orThrow();
        docker.dockerOk("plugin", "push", remote);
        docker.dockerOk("plugin", "rm", remote);
        docker.dockerOk("plugin", "disable", "-f", PLUGIN);
        docker.dockerOk("plugin", "rm", PLUGIN);

        Path state2 = Files.createDirectories(docker.dir().resolve("plugin-state-2"));
        docker.dockerOk("plugin", "install", "--grant-all-permissions", "--disable", "--alias", PLUGIN, remote);
        docker.dockerOk("plugin", "set", PLUGIN, "state.source=" + state2, EMBEDDED_STORE);
        Path subnetEnv = docker.privateRun().resolve("flannel/subnet.env");
        Files.deleteIfExists(subnetEnv); // the first plugin's; the installed one leases afresh
        docker.dockerOk("plugin", "enable", PLUGIN);
        Awaitility.await("the agent inside the installed plugin").atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(200)).until(() -> Files.exists(subnetEnv));
        docker.dockerOk("network", "create", "-d", PLUGIN, "--ipam-driver", PLUGIN, "fromreg");
        assertThat(docker.dockerOk("run", "--rm", "--net", "fromreg", DockerHost.BUSYBOX, "ip", "-o", "-4", "addr", "show", "eth0"))
                .contains("inet " + SubnetEnv.read(subnetEnv).lease().address().toString().replaceAll("\\.0$", "."));
        docker.dockerOk("network", "rm", "fromreg");
    }

    static Path home() {
        return DockerHost.launcher().getParent().getParent();
    }

    static Map<String, String> dockerEnv() {
        return Map.of("DOCKER_HOST", "unix://" + docker.apiSocket(), "DOCKER_CONFIG", docker.dir().resolve("cli").toString());
    }
}
