package io.javaoverlay.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.javaoverlay.cli.HttpInNamespace;
import io.javaoverlay.testkit.Exec;
import io.javaoverlay.testkit.ExecResult;
import io.javaoverlay.testkit.Requirements;

/**
 * The README's first command, {@code bin/javaoverlay demo}, run as a user runs it: it must report
 * every ping across hosts as answered and leave nothing behind (namespaces, processes, files),
 * also when stopped half-way by SIGTERM or SIGINT (Ctrl-C).
 */
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class DemoIT {

    @BeforeAll
    static void requirements() {
        Requirements.check().root()
                .command("ip", "iproute2")
                .command("ping", "iputils-ping")
                .command("iptables", "iptables")
                .command("iperf3", "iperf3")
                .executable("/usr/bin/etcd", "etcd-server")
                .orAbort();
    }

    @Test
    void defaultDemoPingsAcrossThreeHostsAndCleansUp() throws Exception {
        try (DemoRun run = DemoRun.start("--iperf-seconds", "1")) {
            int exit = run.awaitExit(Duration.ofMinutes(3));
            String out = run.output();

            assertThat(exit).as(out).isZero();
            assertThat(out).contains("3 hosts, vxlan backend, embedded lease store")
                    .contains("ok: all 6 pings across hosts succeeded over the vxlan backend");
            // each host's subnet from its subnet.env, one container per host from the CNI plugin
            assertThat(out).containsPattern("h1: leased 10\\.244\\.\\d+\\.0/24 \\(FLANNEL_SUBNET=10\\.244\\.\\d+\\.1/24, FLANNEL_MTU=1450\\)")
                    .containsPattern("h3: container jod-[0-9a-f]{6}-h3c1 eth0 10\\.244\\.\\d+\\.2 on bridge cni0");
            assertThat(out).containsPattern("overlay h1c1 -> h2c1 +\\d+\\.\\d+ Gbit/s");
            // `javaoverlay status` run inside host 1: ready, two peers, both answering over underlay and overlay
            assertThat(out).contains("agent:      ready (http://127.0.0.1:8471)").contains("peers:      2")
                    .containsPattern("10\\.244\\.\\d+\\.0/24 +10\\.\\d+\\.\\d+\\.2 +vxlan +([0-9a-f]{2}:){5}[0-9a-f]{2} +ok [\\d.]+ ms +ok [\\d.]+ ms");
            assertNothingLeft(run);
        }
    }

    @Test
    void hostGwOnEtcdPingsAcrossTwoHosts() throws Exception {
        try (DemoRun run = DemoRun.start("--backend", "host-gw", "--store", "etcd", "--hosts", "2", "--iperf-seconds", "0")) {
            int exit = run.awaitExit(Duration.ofMinutes(3));
            String out = run.output();

            assertThat(exit).as(out).isZero();
            assertThat(out).contains("2 hosts, host-gw backend, etcd lease store")
                    .contains("--etcd-endpoints http://10.")
                    .contains("ok: all 2 pings across hosts succeeded over the host-gw backend")
                    .doesNotContain("throughput");
            assertNothingLeft(run);
        }
    }

    @Test
    void udpBackendPingsAcrossTwoHosts() throws Exception {
        try (DemoRun run = DemoRun.start("--backend", "udp", "--hosts", "2", "--iperf-seconds", "0")) {
            int exit = run.awaitExit(Duration.ofMinutes(3));
            String out = run.output();

            assertThat(exit).as(out).isZero();
            assertThat(out).contains("ok: all 2 pings across hosts succeeded over the udp backend")
                    .contains("FLANNEL_MTU=1472");
            assertNothingLeft(run);
        }
    }

    @Test
    void sigtermWhileAgentsStartCleansUp() throws Exception {
        try (DemoRun run = DemoRun.start("--hosts", "2", "--store", "etcd")) {
            // mid-run: the agents are running (and etcd), containers not yet attached
            await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(20))
                    .failFast("the demo exited early", () -> !run.process().isAlive())
                    .until(() -> run.output().contains("starting an agent in each host"));
            await().atMost(Duration.ofSeconds(30)).until(() -> run.processesSeen() >= 3);
            run.signal("TERM");
            run.awaitExit(Duration.ofMinutes(1));

            assertThat(run.output()).contains("interrupted (Ctrl-C or SIGTERM)")
                    .containsPattern("ok: cleaned up: no namespaces, processes or files of jod-[0-9a-f]{6} left");
            assertNothingLeft(run);
        }
    }

    @Test
    void ctrlCWhileKeptRunningCleansUp() throws Exception {
        try (DemoRun run = DemoRun.start("--hosts", "2", "--keep", "--iperf-seconds", "0")) {
            await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(50))
                    .failFast("the demo exited early", () -> !run.process().isAlive())
                    .until(() -> run.output().contains("keeps running until you press Ctrl-C"));
            assertThat(run.output()).containsPattern("ip netns exec jod-[0-9a-f]{6}-h1c1 ping 10\\.244\\.");
            String h1 = run.prefix().orElseThrow() + "-h1";

            // while it is kept: the agent's metrics, scraped inside host 1
            String metrics = HttpInNamespace.get(h1, 8471, "/metrics");
            assertThat(metrics).contains("javaoverlay_ready 1.0").contains("javaoverlay_peers 1.0")
                    .containsPattern("javaoverlay_lease_info\\{backend=\"vxlan\",public_ip=\"10\\.[\\d.]+\",subnet=\"10\\.244\\.\\d+\\.0/24\"} 1\\.0")
                    .contains("# TYPE javaoverlay_lease_renewals_total counter");
            // and `javaoverlay status --json` as an operator on that host would run it (with more than the
            // default 1 s to connect: a fresh JVM on a loaded CI machine once took longer)
            ExecResult status = Exec.run(List.of("ip", "netns", "exec", h1, DemoRun.launcher().toString(), "status", "--json",
                    "--healthz-port", "8471", "--timeout", "10"), Map.of(), null, Duration.ofSeconds(60));
            assertThat(status.exitCode()).as(status.describe()).isEqualTo(0);
            JsonNode json = new ObjectMapper().readTree(status.stdout());
            assertThat(json.path("Agent").path("Ready").asBoolean()).isTrue();
            assertThat(json.path("Agent").path("Lease").path("BackendType").asText()).isEqualTo("vxlan");
            assertThat(json.path("Peers")).hasSize(1);
            assertThat(json.path("Peers").get(0).path("Underlay").path("Reachable").asBoolean()).isTrue();
            assertThat(json.path("Peers").get(0).path("Overlay").path("Reachable").asBoolean()).isTrue();
            // the default subnet file does not exist in the namespace run: status says so instead of failing
            assertThat(json.path("SubnetFile").path("Error").asText()).contains("/run/flannel/subnet.env");

            assertThat(run.ignoresSigint())
                    .as("the demo runs with SIGINT ignored although DemoRun restores its default disposition (see DemoRun), "
                            + "so Ctrl-C cannot be tested")
                    .isFalse();
            run.signal("INT");
            run.awaitExit(Duration.ofMinutes(1));

            assertThat(run.output()).contains("interrupted (Ctrl-C or SIGTERM)");
            assertNothingLeft(run);
        }
    }

    private static void assertNothingLeft(DemoRun run) {
        String out = run.output();
        assertThat(run.namespacesSeen()).as("namespaces seen while the demo ran").isNotEmpty();
        assertThat(run.leftoverNamespaces()).as(out).isEmpty();
        assertThat(run.processesSeen()).as("processes seen in the demo's namespaces").isGreaterThan(0);
        assertThat(run.survivors()).as("processes of the demo still alive; output:\n" + out).isEmpty();
        Path dir = run.tempDir().orElseThrow(() -> new AssertionError("the demo named no temporary directory:\n" + out));
        assertThat(Files.exists(dir)).as(dir + " is deleted").isFalse();
    }
}
