package io.javaoverlay.cli.cni;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import io.javaoverlay.cni.testing.CniJson;
import io.javaoverlay.testkit.Exec;
import io.javaoverlay.testkit.ExecResult;

/**
 * {@code javaoverlay cni install} into temporary directories (never the real /opt/cni or
 * /etc/cni): the installed copy works from anywhere, the conflist is valid, a second install
 * changes nothing, and a conflist someone edited is not overwritten without --force.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CniInstallIT {

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
        ExecResult r = Exec.run(List.of(copy.toString()), Map.of("CNI_COMMAND", "ADD"), "{}", Duration.ofSeconds(30));
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

    private static String mode(Path p) throws java.io.IOException {
        return java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }
}
