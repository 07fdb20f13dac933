package io.javaoverlay.core.agent;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.javaoverlay.core.netlink.UnixDatagram;

/** sd_notify against a socket the test binds, as systemd binds NOTIFY_SOCKET. */
class SystemdNotifyTest {

    @TempDir
    Path dir;

    private static String next(UnixDatagram socket) {
        return socket.receive(Duration.ofSeconds(5)).map(b -> new String(b, UTF_8)).orElseThrow(() -> new AssertionError("no datagram"));
    }

    @Test
    void readyStatusAndStoppingReachTheNotifySocket() {
        Path sock = dir.resolve("notify");
        try (UnixDatagram systemd = UnixDatagram.bind(sock)) {
            SystemdNotify n = SystemdNotify.fromEnvironment(Map.of("NOTIFY_SOCKET", sock.toString()));
            assertThat(n.enabled()).isTrue();

            n.status("waiting for a valid network config:\nnone at /coreos.com/network/config");
            n.ready("lease 10.244.3.0/24 (vxlan)");
            n.stopping();

            assertThat(next(systemd)).isEqualTo("STATUS=waiting for a valid network config: none at /coreos.com/network/config\n");
            assertThat(next(systemd)).isEqualTo("READY=1\nSTATUS=lease 10.244.3.0/24 (vxlan)\nMAINPID=" + ProcessHandle.current().pid() + "\n");
            assertThat(next(systemd)).isEqualTo("STOPPING=1\n");
        }
    }

    @Test
    void withoutNotifySocketNothingIsSentAndNothingFails() {
        SystemdNotify n = SystemdNotify.fromEnvironment(Map.of());
        assertThat(n.enabled()).isFalse();
        assertThatCode(() -> n.ready("x")).doesNotThrowAnyException();
    }

    @Test
    void aSocketThatIsGoneIsLoggedNotThrown() {
        SystemdNotify n = SystemdNotify.fromEnvironment(Map.of("NOTIFY_SOCKET", dir.resolve("gone").toString()));
        assertThatCode(() -> n.ready("x")).doesNotThrowAnyException();
    }
}
