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
 * then STOPPING=1 on SIGTERM; with systemd's watchdog variables set, WATCHDOG=1 every half period.
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

            // no WatchdogSec= in the unit (no WATCHDOG_USEC): no keep-alives
            assertThat(systemd.receive(Duration.ofMillis(2500)).map(b -> new String(b, UTF_8))).as("anything after READY=1").isEmpty();

            assertThat(agent.stop()).as("exit code after SIGTERM").isZero();
            assertThat(systemd.receive(Duration.ofSeconds(10)).map(b -> new String(b, UTF_8))).hasValue("STOPPING=1\n");
        }
    }

    /**
     * {@code WatchdogSec=2} in the unit: systemd sets WATCHDOG_USEC=2000000 and WATCHDOG_PID, and
     * expects {@code WATCHDOG=1} at least every 2 s; the agent sends one every second.
     */
    @Test
    void withWatchdogSecTheAgentSendsWatchdogEveryHalfPeriod() throws Exception {
        TestHost host = NET.host(1);
        Path dir = NET.workDir().resolve("watchdog");
        Files.createDirectories(dir);
        Path subnetFile = dir.resolve("subnet.env");
        Path socket = dir.resolve("notify.sock");
        Files.writeString(dir.resolve("net-conf.json"), "{\"Network\": \"10.244.0.0/16\", \"Backend\": {\"Type\": \"vxlan\"}}");
        try (UnixDatagram systemd = UnixDatagram.bind(socket)) {
            // the launcher execs Java: the shell's PID, which we only learn after the start, becomes the agent's, so
            // WATCHDOG_PID is set by a wrapper the way systemd sets it, to the PID it started
            TestProcess agent = host.start("agent-watchdog", List.of("sh", "-c", "WATCHDOG_PID=$$ exec \"$0\" \"$@\"",
                    AgentProcess.launcher().toString(), "agent",
                    "--lease-dir", dir.resolve("leases").toString(), "--net-config-path", dir.resolve("net-conf.json").toString(),
                    "--iface", TestHost.UNDERLAY_INTERFACE, "--subnet-file", subnetFile.toString(),
                    "--data-dir", dir.resolve("data").toString()),
                    Map.of("NOTIFY_SOCKET", socket.toString(), "WATCHDOG_USEC", "2000000"));

            List<String> beforeReady = new java.util.ArrayList<>();
            String message;
            do {
                message = systemd.receive(Duration.ofSeconds(90)).map(b -> new String(b, UTF_8))
                        .orElseThrow(() -> new AssertionError("no READY=1 within 90 s; agent log:\n" + agent.log()));
                beforeReady.add(message);
            } while (!message.startsWith("READY=1"));
            assertThat(beforeReady.subList(0, beforeReady.size() - 1)).as("before READY=1: keep-alives only (systemd ignores "
                    + "them until the start is done)").allMatch(m -> m.equals("WATCHDOG=1\n"));
            assertThat(agent.log()).contains("systemd watchdog: WATCHDOG=1 every 1000 ms");

            List<Long> at = new java.util.ArrayList<>();
            while (at.size() < 5) {
                String m = systemd.receive(Duration.ofSeconds(5)).map(b -> new String(b, UTF_8))
                        .orElseThrow(() -> new AssertionError("keep-alives stopped after " + at.size() + "; agent log:\n" + agent.log()));
                assertThat(m).as("a notification of a running agent").startsWith("WATCHDOG=1\n");
                at.add(System.nanoTime());
            }
            long spanMs = (at.get(4) - at.get(0)) / 1_000_000;
            assertThat(spanMs).as("4 intervals of WATCHDOG_USEC/2 = 1 s").isBetween(3200L, 5500L);

            assertThat(agent.stop()).as("exit code after SIGTERM").isZero();
            String last;
            do {
                last = systemd.receive(Duration.ofSeconds(10)).map(b -> new String(b, UTF_8)).orElse("nothing");
            } while (last.equals("WATCHDOG=1\n"));
            assertThat(last).isEqualTo("STOPPING=1\n");
        }
    }
}
