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
class ManagedPluginIT {

    static final String PLUGIN = "javaoverlay:latest";

    @RegisterExtension
    static final TestNetwork NET = TestNetwork.withHosts(1);

    static DockerHost docker;
    static Path state;

    @BeforeAll
    static void createAndEnablePlugin() throws IOException {
        Requirements.check().root()
                .executable("/usr/sbin/dockerd", "docker.io")
                .executable("/usr/bin/jlink", "default-jdk-headless")
                .executable("/bin/busybox", "busybox-static")
                .file("/dev/net/tun", "modprobe tun")
                .orAbort();
        docker = DockerHost.start(NET.host(1), NET.workDir());
        Map<String, String> env = Map.of("DOCKER_HOST", "unix://" + docker.apiSocket(),
                "DOCKER_CONFIG", docker.dir().resolve("cli").toString());
        Path home = DockerHost.launcher().getParent().getParent();
        Exec.run(List.of(home.resolve("scripts/make-local-base-image").toString(), "jo-base:local"), env, null,
                Duration.ofMinutes(5)).orThrow();
        Exec.run(List.of(home.resolve("scripts/docker-plugin-create").toString(), "--base", "jo-base:local", "--no-install"),
                env, null, Duration.ofMinutes(5)).orThrow();
        state = Files.createDirectories(docker.dir().resolve("plugin-state"));
        docker.dockerOk("plugin", "set", PLUGIN, "state.source=" + state);
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
        ExecResult rm = docker.docker("network", "rm", "mnet");
        assertThat(rm.ok()).as(rm.describe()).isTrue();
    }
}
