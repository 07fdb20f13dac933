package io.javaoverlay.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.javaoverlay.core.netlink.UnixDatagram;
import io.javaoverlay.testkit.TestHost;
import io.javaoverlay.testkit.TestNetwork;
import io.javaoverlay.testkit.TestProcess;

/**
 * The agent under a systemd {@code Type=notify} unit, with the test in systemd's place: it binds
 * the notification socket, starts {@code bin/javaoverlay agent} inside a host namespace with
 * {@code NOTIFY_SOCKET} pointing there, and expects READY=1 only once subnet.env is on disk,
 * then STOPPING=1 on SIGTERM.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class SystemdNotifyIT {

    @RegisterExtension
    static final TestNetwork NET = TestNetwork.withHosts(1);

    @Test
    void readyIsSentOnceSubnetEnvIsWrittenAndStoppingOnSigterm() throws Exception {
        TestHost host = NET.host(1);
        Path dir = NET.workDir();
        Path subnetFile = dir.resolve("subnet.env");
        Path socket = dir.resolve("notify.sock");
        Files.writeString(dir.resolve("net-conf.json"), "{\"Network\": \"10.244.0.0/16\", \"Backend\": {\"Type\": \"vxlan\"}}");
        try (UnixDatagram systemd = UnixDatagram.bind(socket)) {
            TestProcess agent = host.start("agent", List.of(AgentProcess.launcher().toString(), "agent",
                    "--lease-dir", dir.resolve("leases").toString(), "--net-config-path", dir.resolve("net-conf.json").toString(),
                    "--iface", TestHost.UNDERLAY_INTERFACE, "--subnet-file", subnetFile.toString(),
                    "--data-dir", dir.resolve("data").toString()), Map.of("NOTIFY_SOCKET", socket.toString()));

            String ready = systemd.receive(Duration.ofSeconds(90)).map(b -> new String(b, UTF_8))
                    .orElseThrow(() -> new AssertionError("no notification within 90 s; agent log:\n" + agent.log()));
            // checked the moment READY=1 arrives: the file a docker or kubelet unit ordered after us needs is there
            assertThat(Files.exists(subnetFile)).as("subnet.env exists when READY=1 arrives").isTrue();
            assertThat(ready).startsWith("READY=1\n")
                    .containsPattern("STATUS=lease 10\\.244\\.\\d+\\.0/24 \\(vxlan\\), subnet.env written to " + subnetFile)
                    .contains("MAINPID=" + agent.pid());

            assertThat(agent.stop()).as("exit code after SIGTERM").isZero();
            assertThat(systemd.receive(Duration.ofSeconds(10)).map(b -> new String(b, UTF_8))).hasValue("STOPPING=1\n");
        }
    }
}
