package io.javaoverlay.cni.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;

/**
 * Both ends of the CNI socket against the one description, {@link CniSocketProtocol}: the
 * launcher's shell text matches what it says, and the server's answers are what the launcher's
 * patterns take apart. (CniBothPathsIT runs the two together.)
 */
class CniSocketProtocolTest {

    /** The launcher, from the module's directory (where Maven runs the tests). */
    private static String launcher() throws IOException {
        return Files.readString(Path.of("..", "bin", "javaoverlay"), StandardCharsets.UTF_8);
    }

    @Test
    void theLauncherSpeaksTheDescribedProtocol() throws IOException {
        String sh = launcher();
        assertThat(sh).contains("cni_socket=${" + CniSocketProtocol.SOCKET_VARIABLE + "-" + CniSocketProtocol.DEFAULT_SOCKET + "}");
        assertThat(sh).contains("STDIO,readbytes=" + CniSocketProtocol.STDIN_LIMIT + " ");
        assertThat(sh).contains("\"" + CniSocketProtocol.RESULT.linePrefix() + "\"*) printf '%s' \"$cni_body\"; exit 0 ;;");
        assertThat(sh).contains("\"" + CniSocketProtocol.ERROR_RESULT.linePrefix() + "\"*) printf '%s' \"$cni_body\"; exit 1 ;;");
        assertThat(sh).contains("\"" + CniSocketProtocol.NOT_SERVED.linePrefix() + "\"*)");
        assertThat(sh).contains("cni_reason=${cni_resp#*\"" + CniSocketProtocol.REASON_HEADER + ": \"}");
        assertThat(sh).contains("base64 -d | " + CniSocketProtocol.SOCKET_VARIABLE + "= \"$0\"");
    }

    @Test
    void anAnswerIsTheStatusLineHeadersAnEmptyLineAndTheBody() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Responses.write(out, CniSocketProtocol.NOT_SERVED, "another network namespace\nX-Forged: 1", "e30=".getBytes(StandardCharsets.UTF_8));
        String answer = out.toString(StandardCharsets.UTF_8);
        assertThat(answer).startsWith(CniSocketProtocol.NOT_SERVED.linePrefix() + "Service Unavailable\r\n");
        // the launcher takes the reason up to the end of its line and the body after the first empty line
        assertThat(answer).contains("\r\n" + CniSocketProtocol.REASON_HEADER + ": another network namespace\\x0aX-Forged: 1\r\n");
        assertThat(answer.substring(answer.indexOf("\r\n\r\n") + 4)).isEqualTo("e30=");
        assertThat(answer.lines().filter(l -> l.startsWith("X-Forged"))).isEmpty();
    }
}
