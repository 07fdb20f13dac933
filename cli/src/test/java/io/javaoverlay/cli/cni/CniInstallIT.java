package io.javaoverlay.cli.cni;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import io.javaoverlay.cni.testing.CniJson;
import io.javaoverlay.testkit.Exec;
import io.javaoverlay.testkit.ExecResult;
import io.javaoverlay.testkit.Requirements;
import io.javaoverlay.testkit.TestNetwork;
import io.javaoverlay.testkit.TestProcess;

/**
 * {@code javaoverlay cni install} into temporary directories (never the real /opt/cni or
 * /etc/cni): the installed copy works from anywhere, the conflist is valid, a second install
 * changes nothing, a conflist someone edited is not overwritten without --force, and
 * {@code --cni-socket} written into the copy takes its calls to an agent on that socket.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CniInstallIT {

    @RegisterExtension
    static final TestNetwork net = TestNetwork.namespacesOnly();

    /** The agent's log line for a call it served (CniBothPathsIT counts them the same way). */
    private static final Pattern SERVED = Pattern.compile("CniCall - CNI (?!socket)");

    @TempDir
    Path tmp;

    private ExecResult install(String... extra) {
        // umask 0: what install makes must not be writable by others even when the umask allows it
        List<String> cmd = new java.util.ArrayList<>(List.of("sh", "-c", "umask 0; exec \"$@\"", "sh",
                CniHost.executable().toString(), "cni", "install",
                "--bin-dir", tmp.resolve("bin").toString(), "--conf-dir", tmp.resolve("net.d").toString()));
        cmd.addAll(List.of(extra));
        return Exec.run(cmd, Map.of(), null, Duration.ofSeconds(90));
    }

    @Test
    void aHandMadeCopyThatCannotFindTheCheckoutAnswersWithACniError() throws Exception {
        Path copy = Files.createDirectories(tmp.resolve("opt/cni/bin")).resolve("javaoverlay");
        Files.copy(CniHost.executable(), copy);
        // no stdin: the copy fails before reading any, and writing to it would race with its exit (EPIPE)
        ExecResult r = Exec.run(List.of(copy.toString()), Map.of("CNI_COMMAND", "ADD"), null, Duration.ofSeconds(30));
        assertThat(r.exitCode()).isNotZero();
        Map<String, Object> e = CniJson.assertError(r.stdout(), 100);
        assertThat(e.get("details").toString()).contains("not built yet", tmp.resolve("opt").toString());
        // JAVAOVERLAY_HOME points such a copy at the checkout
        ExecResult withHome = Exec.run(List.of(copy.toString()), Map.of("CNI_COMMAND", "VERSION",
                "JAVAOVERLAY_HOME", CniHost.executable().getParent().getParent().toString()), "", Duration.ofSeconds(60));
        assertThat(withHome.exitCode()).as(withHome.describe()).isZero();
        assertThat(CniJson.parseObject(withHome.stdout())).containsKey("supportedVersions");
    }

    @Test
    void installsAWorkingCopyAndAConflist() throws Exception {
        ExecResult first = install("--subnet-file", "/run/test/subnet.env", "--bridge", "jo9");
        assertThat(first.exitCode()).as(first.describe()).isZero();
        assertThat(first.stdout()).contains("installed", "wrote", "start-up cache ready");

        Path plugin = tmp.resolve("bin/javaoverlay");
        assertThat(Files.isExecutable(plugin)).isTrue();
        assertThat(Files.isSymbolicLink(plugin)).as("a copy, not a link").isFalse();
        // the copy finds the checkout from any directory, as a runtime runs it
        ExecResult version = Exec.run(List.of("sh", "-c", "cd / && exec " + plugin), Map.of("CNI_COMMAND", "VERSION"),
                "{\"cniVersion\":\"0.4.0\"}", Duration.ofSeconds(60));
        assertThat(version.exitCode()).as(version.describe()).isZero();
        assertThat(CniJson.parseObject(version.stdout())).containsEntry("cniVersion", "0.4.0");

        Path conflist = tmp.resolve("net.d/10-javaoverlay.conflist");
        assertThat(mode(tmp.resolve("bin"))).isEqualTo("rwxr-xr-x");
        assertThat(mode(tmp.resolve("net.d"))).isEqualTo("rwxr-xr-x");
        assertThat(mode(plugin)).isEqualTo("rwxr-xr-x");
        assertThat(mode(conflist)).isEqualTo("rw-r--r--");
        Map<String, Object> conf = CniJson.parseObject(Files.readString(conflist, StandardCharsets.UTF_8));
        assertThat(conf).containsEntry("cniVersion", "1.0.0").containsEntry("name", "javaoverlay");
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> plugins = (List<Map<String, Object>>) conf.get("plugins");
        assertThat(plugins).extracting(p -> p.get("type")).containsExactly("javaoverlay", "portmap");
        assertThat(plugins.get(0)).containsEntry("subnetFile", "/run/test/subnet.env").containsEntry("bridge", "jo9");

        ExecResult again = install("--subnet-file", "/run/test/subnet.env", "--bridge", "jo9", "--no-cache");
        assertThat(again.exitCode()).as(again.describe()).isZero();
        assertThat(again.stdout()).contains("is up to date").doesNotContain("wrote");

        Files.writeString(conflist, "{\"edited\":true}");
        ExecResult refused = install("--no-cache");
        assertThat(refused.exitCode()).as(refused.describe()).isEqualTo(1);
        assertThat(refused.stderr()).contains("--force");
        assertThat(Files.readString(conflist)).isEqualTo("{\"edited\":true}");
        ExecResult forced = install("--no-cache", "--force");
        assertThat(forced.exitCode()).as(forced.describe()).isZero();
        assertThat(Files.readString(conflist)).contains("\"javaoverlay\"");
    }

    @Test
    void cniSocketIsWrittenIntoTheCopySoItReachesAnAgentOnAnotherSocket() throws Exception {
        Requirements.check().command("socat", "socat").orAbort();
        CniHost host = CniHost.create(net, "is", true);
        Path socket = host.dir.resolve("agent-cni.sock");
        Path netConf = Files.writeString(host.dir.resolve("net-conf.json"),
                "{\"Network\":\"" + host.network + "\",\"SubnetLen\":24,\"Backend\":{\"Type\":\"udp\"}}");
        TestProcess agent = host.ns.start("agent", List.of(CniHost.executable().toString(), "agent",
                "--lease-dir", host.dir.resolve("leases").toString(), "--net-config-path", netConf.toString(),
                "--public-ip", "127.0.0.1", "--no-data-path", "--subnet-file", host.subnetFile.toString(),
                "--data-dir", host.dir.resolve("agent-data").toString(), "--cni-socket", socket.toString()), Map.of());
        try {
            agent.awaitLog("serving CNI calls on " + socket, Duration.ofSeconds(90));

            ExecResult installed = install("--no-cache", "--cni-socket", socket.toString());
            assertThat(installed.exitCode()).as(installed.describe()).isZero();
            assertThat(installed.stdout()).contains("through the agent on " + socket);
            Path plugin = tmp.resolve("bin/javaoverlay");
            assertThat(Files.readString(plugin)).contains("cni_socket=${JAVAOVERLAY_CNI_SOCKET-'" + socket + "'}");

            // as a runtime calls it: no JAVAOVERLAY_CNI_SOCKET in the environment, from another directory
            long before = served(agent);
            ExecResult version = host.ns.exec(List.of("sh", "-c", "cd / && exec env -u JAVAOVERLAY_CNI_SOCKET " + plugin),
                    Map.of("CNI_COMMAND", "VERSION"), "{\"cniVersion\":\"0.4.0\"}", Duration.ofSeconds(60));
            assertThat(version.exitCode()).as(version.describe()).isZero();
            assertThat(CniJson.parseObject(version.stdout())).containsEntry("cniVersion", "0.4.0");
            await().atMost(Duration.ofSeconds(10)).until(() -> served(agent) == before + 1);

            // '' turns the agent path off: the same call runs in the plugin's own JVM and the agent sees nothing
            ExecResult off = install("--no-cache", "--cni-socket", "");
            assertThat(off.exitCode()).as(off.describe()).isZero();
            ExecResult own = host.ns.exec(List.of("sh", "-c", "cd / && exec env -u JAVAOVERLAY_CNI_SOCKET " + plugin),
                    Map.of("CNI_COMMAND", "VERSION"), "{\"cniVersion\":\"0.4.0\"}", Duration.ofSeconds(60));
            assertThat(own.exitCode()).as(own.describe()).isZero();
            assertThat(served(agent)).isEqualTo(before + 1);

            ExecResult relative = install("--no-cache", "--cni-socket", "run/cni.sock");
            assertThat(relative.exitCode()).isEqualTo(1);
            assertThat(relative.stderr()).contains("must be an absolute path");
        } finally {
            agent.stop();
        }
    }

    private static long served(TestProcess agent) {
        Matcher m = SERVED.matcher(agent.log());
        long n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }

    private static String mode(Path p) throws java.io.IOException {
        return java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }
}
