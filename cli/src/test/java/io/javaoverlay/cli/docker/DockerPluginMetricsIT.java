package io.javaoverlay.cli.docker;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.javaoverlay.docker.PluginClient;
import io.javaoverlay.testkit.Requirements;
import io.javaoverlay.testkit.TestHost;
import io.javaoverlay.testkit.TestNetwork;
import io.javaoverlay.testkit.TestProcess;

/**
 * {@code bin/javaoverlay docker-plugin} runs the agent and the Docker plugin in one process, and
 * both report into the one set of metrics that process makes: the plugin's calls show on the
 * agent's {@code /metrics} next to the agent's own. No dockerd is needed for that: the test calls
 * the plugin socket itself, as dockerd would, and scrapes {@code /metrics} on the host's loopback.
 */
@Timeout(value = 300)
class DockerPluginMetricsIT {

    private static final int HEALTHZ_PORT = 8471;

    @RegisterExtension
    final TestNetwork net = TestNetwork.withHosts(1);

    @Test
    void thePluginsCallsAndTheAgentsStateShowOnOneMetricsEndpoint() throws Exception {
        Requirements.check().root().command("curl", "curl").orAbort();
        TestHost host = net.host(1);
        Path dir = Files.createDirectories(net.workDir().resolve("plugin-host"));
        Path socket = dir.resolve("plugins/javaoverlay.sock");
        TestProcess plugin = host.start("docker-plugin", List.of(DockerHost.launcher().toString(), "docker-plugin",
                "--lease-dir", dir.resolve("leases").toString(),
                "--iface", host.underlayInterface(),
                "--no-data-path",
                "--subnet-file", dir.resolve("subnet.env").toString(),
                "--data-dir", dir.resolve("data").toString(),
                "--cni-socket", dir.resolve("cni.sock").toString(),
                "--healthz-ip", "127.0.0.1", "--healthz-port", Integer.toString(HEALTHZ_PORT),
                "--plugin-socket", socket.toString(),
                "--docker-data-dir", dir.resolve("docker").toString(),
                "--ipam-dir", dir.resolve("ipam").toString()), Map.of());
        try {
            plugin.awaitLog("javaoverlay is ready", Duration.ofSeconds(60));
            plugin.awaitLog("javaoverlay Docker plugin ready", Duration.ofSeconds(10));

            PluginClient docker = new PluginClient(socket);
            docker.call("NetworkDriver.GetCapabilities", null);
            docker.call("NetworkDriver.GetCapabilities", null);
            docker.call("IpamDriver.GetDefaultAddressSpaces", null);

            String metrics = host.execOk("curl", "-sS", "--max-time", "5", "http://127.0.0.1:" + HEALTHZ_PORT + "/metrics");
            assertThat(metrics)
                    .contains("javaoverlay_ready 1.0")
                    .contains("javaoverlay_lease_acquisitions_total 1.0")
                    .contains("javaoverlay_operations_total{face=\"docker\",operation=\"NetworkDriver.GetCapabilities\","
                            + "result=\"ok\"} 2.0")
                    .contains("javaoverlay_operations_total{face=\"docker\",operation=\"IpamDriver.GetDefaultAddressSpaces\","
                            + "result=\"ok\"} 1.0")
                    .containsPattern("javaoverlay_operation_duration_seconds_count\\{face=\"docker\","
                            + "operation=\"NetworkDriver.GetCapabilities\"} 2(\\.0)?\n");
        } finally {
            plugin.stop();
        }
    }
}
