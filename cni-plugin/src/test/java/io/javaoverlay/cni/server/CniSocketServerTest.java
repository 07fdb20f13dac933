package io.javaoverlay.cni.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import io.javaoverlay.cni.testing.CniJson;
import io.javaoverlay.core.metrics.OverlayMetrics;

/**
 * The CNI socket served in this JVM and called from it: the caller is this process, in the
 * same network namespace, with no CNI variables in its environment, so the plugin answers
 * with the error result for a missing CNI_COMMAND without touching the kernel.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CniSocketServerTest {

    @TempDir
    Path dir;
    private Path socket;
    private CniSocketServer server;

    /** This process's primary group, so the test's caller is allowed whether or not it runs as root. */
    private String ownGroup() throws IOException {
        Path probe = Files.createFile(dir.resolve("probe"));
        return Files.readAttributes(probe, java.nio.file.attribute.PosixFileAttributes.class).group().getName();
    }

    @BeforeEach
    void start() throws IOException {
        socket = dir.resolve("run/cni.sock");
        server = CniSocketServer.start(socket, Optional.of(ownGroup()), new OverlayMetrics());
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private SocketChannel connect() throws IOException {
        SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
        c.connect(UnixDomainSocketAddress.of(socket));
        return c;
    }

    /** Sends {@code stdin} as the launcher's socat does (then shuts its side down) and reads the whole answer. */
    private String call(byte[] stdin) throws IOException {
        try (SocketChannel c = connect()) {
            c.write(ByteBuffer.wrap(stdin));
            c.shutdownOutput();
            return new String(readAll(c), StandardCharsets.UTF_8);
        }
    }

    private static byte[] readAll(SocketChannel c) throws IOException {
        return java.nio.channels.Channels.newInputStream(c).readAllBytes();
    }

    private static String body(String response) {
        return response.substring(response.indexOf("\r\n\r\n") + 4);
    }

    @Test
    void aCallGetsThePluginsAnswerForTheCallersOwnEnvironment() throws IOException {
        String response = call("{\"cniVersion\":\"1.0.0\",\"name\":\"n\"}".getBytes(StandardCharsets.UTF_8));

        assertThat(response).startsWith("HTTP/1.1 422 ");
        // read from this process's /proc/PID/environ: no CNI_COMMAND there, whatever a client could have sent
        assertThat(CniJson.assertError(body(response), 4).get("msg").toString()).contains("CNI_COMMAND");
    }

    @Test
    void theSocketFileIsForTheGroupOnlyAndRootOnlyWithoutOne() throws IOException {
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(socket))).isEqualTo("rw-rw----");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(socket.getParent()))).isEqualTo("rwx------");
        Path rootOnly = dir.resolve("root.sock");
        try (CniSocketServer s = CniSocketServer.start(rootOnly, new OverlayMetrics())) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(rootOnly))).isEqualTo("rw-------");
        }
        assertThat(rootOnly).doesNotExist();
    }

    @Test
    void idleConnectionsDoNotDelayOtherCalls() throws IOException {
        List<SocketChannel> idle = new ArrayList<>();
        try {
            for (int i = 0; i < 12; i++) {
                idle.add(connect()); // connected, never sending a byte
            }
            long start = System.nanoTime();
            String response = call("{}".getBytes(StandardCharsets.UTF_8));
            assertThat(response).startsWith("HTTP/1.1 422 ");
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(CniCall.READ_DEADLINE.toMillis() / 2);
        } finally {
            for (SocketChannel c : idle) {
                c.close();
            }
        }
    }

    @Test
    void anOldLaunchersHttpRequestIsRefusedWithItsBytesBackForTheJvmPath() throws IOException {
        byte[] old = "POST /cni HTTP/1.1\r\nCNI-Command: ADD\r\nCNI-Args: a\r\nCNI-Netns: /proc/1/ns/net\r\n\r\n{}"
                .getBytes(StandardCharsets.UTF_8);

        String response = call(old);

        assertThat(response).startsWith("HTTP/1.1 503 ").contains("JO-Reason: the launcher that sent it predates this agent");
        assertThat(Base64.getDecoder().decode(body(response))).isEqualTo(old);
    }

    @Test
    void aConnectionThatSendsNothingIsClosedWithoutAnAnswer() throws IOException {
        assertThat(call(new byte[0])).isEmpty();
    }

    @Test
    void aSecondServerOnALiveSocketIsRefused() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> CniSocketServer.start(socket, new OverlayMetrics()))
                .isInstanceOf(IOException.class).hasMessageContaining("another process is serving");
    }

    @Test
    void rootAndTheConfiguredGroupMayCallNobodyElse() {
        assertThat(SocketAccess.allows(0, 0, java.util.OptionalLong.empty())).isTrue();
        assertThat(SocketAccess.allows(0, 1234, java.util.OptionalLong.of(99))).isTrue();
        assertThat(SocketAccess.allows(1000, 99, java.util.OptionalLong.of(99))).isTrue();
        assertThat(SocketAccess.allows(1000, 100, java.util.OptionalLong.of(99))).isFalse();
        assertThat(SocketAccess.allows(1000, 0, java.util.OptionalLong.empty())).isFalse();
    }

    @Test
    void whatACallerSentIsLoggedWithoutItsControlCharacters() {
        assertThat(Responses.printable("ADD c1\nCNI fake line\r")).isEqualTo("ADD c1\\x0aCNI fake line\\x0d");
        assertThat(Responses.printable("eth-\u00e9")).isEqualTo("eth-\u00e9");
    }
}
