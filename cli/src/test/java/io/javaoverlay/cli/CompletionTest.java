package io.javaoverlay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import picocli.CommandLine;

/** `javaoverlay completion` loaded into a real bash, asked what it completes as bash would ask it. */
class CompletionTest {

    @TempDir
    static Path dir;

    private static Path script;

    @BeforeAll
    static void generate() throws IOException {
        StringWriter out = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out));
        assertThat(cl.execute("completion")).isZero();
        script = dir.resolve("javaoverlay.bash");
        Files.writeString(script, out.toString());
    }

    /** What bash offers after {@code line} (the cursor at its end). */
    private static List<String> complete(String line) throws IOException, InterruptedException {
        String words = line.endsWith(" ") ? line + "''" : line;
        String bash = "source " + script + "\n"
                + "COMP_LINE='" + line + "'; COMP_POINT=${#COMP_LINE}; COMP_WORDS=(" + words + "); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))\n"
                + "_complete_javaoverlay 2>/dev/null\n"
                + "printf '%s\\n' \"${COMPREPLY[@]}\"\n";
        Process p = new ProcessBuilder("bash", "--norc", "--noprofile", "-c", bash).redirectErrorStream(false).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return out.lines().map(String::strip).filter(s -> !s.isEmpty()).toList();
    }

    @Test
    void theScriptIsValidBash() throws Exception {
        Process p = new ProcessBuilder("bash", "-n", script.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
        assertThat(Files.readString(script)).contains("complete -F _complete_javaoverlay");
    }

    @Test
    void subcommandsOptionsAndValuesComplete() throws Exception {
        assertThat(complete("javaoverlay ")).contains("agent", "demo", "status", "config", "leases", "cni", "completion");
        assertThat(complete("javaoverlay st")).containsExactly("status");
        assertThat(complete("javaoverlay agent --etcd-e")).containsExactly("--etcd-endpoints");
        assertThat(complete("javaoverlay demo --backend ")).containsExactlyInAnyOrder("vxlan", "udp", "host-gw");
        assertThat(complete("javaoverlay status --log-level ")).containsExactly("error", "warn", "info", "debug", "trace", "off");
    }
}
