package io.javaoverlay.core.netlink;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Unix datagram sockets on this machine: no privileges needed. */
class UnixDatagramTest {

    @TempDir
    Path dir;

    @Test
    void aDatagramSentToABoundPathArrivesWhole() {
        Path sock = dir.resolve("notify.sock");
        try (UnixDatagram receiver = UnixDatagram.bind(sock)) {
            UnixDatagram.send(sock.toString(), "READY=1\nSTATUS=up\n".getBytes(UTF_8));
            UnixDatagram.send(sock.toString(), "STOPPING=1\n".getBytes(UTF_8));

            assertThat(receiver.receive(Duration.ofSeconds(5))).hasValueSatisfying(b -> assertThat(new String(b, UTF_8)).isEqualTo("READY=1\nSTATUS=up\n"));
            assertThat(receiver.receive(Duration.ofSeconds(5))).hasValueSatisfying(b -> assertThat(new String(b, UTF_8)).isEqualTo("STOPPING=1\n"));
            assertThat(receiver.receive(Duration.ofMillis(50))).isEmpty();
        }
    }

    @Test
    void abstractAddressesAreWrittenWithAtAsSystemdDoes() {
        // @name is the abstract namespace; binding the same through a path would be a different socket
        String name = "@/javaoverlay/test/" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
        try (com.sun.jna.Memory addr = new com.sun.jna.Memory(LibC.SOCKADDR_UN_SIZE)) {
            int len = UnixDatagram.sockaddr(name, addr);
            assertThat(addr.getByte(2)).isZero();
            assertThat(new String(addr.getByteArray(3, len - 3), UTF_8)).isEqualTo(name.substring(1));
            assertThat(len).isEqualTo(2 + name.length());
        }
    }

    @Test
    void sendingWhereNobodyListensIsATypedError() {
        assertThatThrownBy(() -> UnixDatagram.send(dir.resolve("nobody.sock").toString(), new byte[] {1}))
                .isInstanceOf(NetlinkException.class)
                .hasMessageContaining("sendto(")
                .hasMessageContaining("(ENOENT)");
    }

    @Test
    void anAddressTooLongForSockaddrUnIsRefusedBeforeAnySyscall() {
        assertThatThrownBy(() -> UnixDatagram.send("/" + "x".repeat(200), new byte[] {1}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1-107 bytes");
    }
}
