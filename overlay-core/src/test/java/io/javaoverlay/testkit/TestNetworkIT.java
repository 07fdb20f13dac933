package io.javaoverlay.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;

import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The harness itself: hosts on an underlay, commands and processes inside them, containers, teardown. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TestNetworkIT {

    @RegisterExtension
    static final TestNetwork net = TestNetwork.withHosts(3);

    @Test
    void hostsReachEachOtherOverTheUnderlay() {
        Requirements.check().command("ping", "iputils-ping").orAbort();
        assertThat(net.hosts()).hasSize(3);
        for (TestHost h : net.hosts()) {
            assertThat(h.name()).startsWith(net.prefix() + "-h");
            assertThat(Files.exists(h.netnsPath())).isTrue();
            assertThat(net.underlaySubnet().contains(h.underlayIp())).isTrue();
            assertThat(h.ipJson("route", "show", "default").get(0).get("gateway").asText())
                    .isEqualTo(net.underlayGateway().toString());
        }
        assertThat(net.host(1).ping(net.host(2).underlayIp().toString(), 3)).isTrue();
        assertThat(net.host(3).ping(net.host(1).underlayIp().toString(), 3)).isTrue();
        assertThat(net.host(2).ping("127.0.0.1", 1)).as("loopback is up").isTrue();
    }

    @Test
    void execCapturesOutputExitCodeEnvironmentAndStdin() {
        TestHost h = net.host(1);
        ExecResult r = h.exec(List.of("sh", "-c", "cat; echo \"$GREETING\"; echo oops >&2; exit 3"),
                Map.of("GREETING", "hello"), "from stdin\n", Duration.ofSeconds(10));
        assertThat(r.exitCode()).isEqualTo(3);
        assertThat(r.stdout()).isEqualTo("from stdin\nhello\n");
        assertThat(r.stderr()).isEqualTo("oops\n");
        assertThatThrownBy(r::orThrow).isInstanceOf(AssertionError.class).hasMessageContaining("exited 3").hasMessageContaining("oops");
        assertThat(h.execOk("ip", "-o", "link", "show", "dev", "eth0")).contains("eth0");
        assertThatThrownBy(() -> h.exec(Duration.ofMillis(300), "sleep", "30"))
                .isInstanceOf(AssertionError.class).hasMessageContaining("timed out");
    }

    @Test
    void containersHangOffABridgeInAHost() {
        Requirements.check().command("ping", "iputils-ping").orAbort();
        TestHost h = net.host(2);
        h.createBridge("cbr0", Ip4Net.parseHost("10.90.1.1/24"));
        TestNamespace c1 = h.addContainer("c1", "cbr0", Ip4Net.parseHost("10.90.1.2/24"), Ip4.parse("10.90.1.1"));
        TestNamespace c2 = h.addContainer("c2", "cbr0", Ip4Net.parseHost("10.90.1.3/24"), Ip4.parse("10.90.1.1"));

        assertThat(c1.name()).startsWith(net.prefix());
        assertThat(c1.ping("10.90.1.1", 3)).as("container reaches its host's bridge").isTrue();
        assertThat(c1.ping("10.90.1.3", 3)).as("container reaches a sibling").isTrue();
        assertThat(c2.ipJson("route", "show", "default").get(0).get("gateway").asText()).isEqualTo("10.90.1.1");
    }

    @Test
    void teardownStopsProcessesAndRemovesEverything() throws Exception {
        TestNetwork own = TestNetwork.withHosts(1).start();
        TestHost h = own.host(1);
        TestNamespace c = null;
        TestProcess tracked;
        java.nio.file.Path workDir = own.workDir();
        try {
            h.createBridge("tbr0", Ip4Net.parseHost("10.91.0.1/24"));
            c = h.addContainer("c", "tbr0", Ip4Net.parseHost("10.91.0.2/24"), Ip4.parse("10.91.0.1"));
            tracked = h.start("sleeper", "sleep", "300");
            // a process the fixture does not track, left running in the namespace
            h.execOk("sh", "-c", "setsid sleep 301 >/dev/null 2>&1 < /dev/null &");
            assertThat(tracked.isAlive()).isTrue();
            assertThat(h.exec("ip", "netns", "pids", h.name()).stdout().strip().split("\\s+")).hasSizeGreaterThanOrEqualTo(2);
        } finally {
            own.close();
        }
        assertThat(tracked.isAlive()).isFalse();
        assertThat(Files.exists(h.netnsPath())).isFalse();
        assertThat(Files.exists(c.netnsPath())).isFalse();
        assertThat(Files.exists(workDir)).as("work dir deleted").isFalse();
        assertThat(Exec.ok("ip", "netns", "list")).doesNotContain(own.prefix());
        assertThat(ProcessHandle.allProcesses()
                .filter(p -> p.info().commandLine().orElse("").contains("sleep 301"))
                .filter(p -> p.info().commandLine().orElse("").contains("sleep")).count())
                .as("the untracked sleeper is gone too").isZero();
        own.close(); // idempotent
    }
}
