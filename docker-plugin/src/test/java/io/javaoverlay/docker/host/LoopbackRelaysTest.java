package io.javaoverlay.docker.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.javaoverlay.docker.PluginException;
import io.javaoverlay.docker.state.PortMapping;

/** The relays on ::1 as the driver uses them, with real sockets on this namespace's loopback. */
class LoopbackRelaysTest {

    final LoopbackRelays relays = new LoopbackRelays();

    @AfterEach
    void close() {
        relays.close();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("::1"))) {
            return s.getLocalPort();
        }
    }

    @Test
    void aPortTakenOnLoopbackIsRefusedWithItsAddressAndNothingRuns() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("::1"))) {
            PortMapping m = new PortMapping(PortMapping.Protocol.TCP, null, taken.getLocalPort(), 80);
            assertThatThrownBy(() -> relays.open(InetAddress.getByName("127.0.0.1"), m, "o"))
                    .isInstanceOf(PluginException.Refused.class).hasMessageContaining("[::1]:" + taken.getLocalPort() + "/tcp");
            assertThat(relays.running()).isEmpty();
        }
    }

    @Test
    void openIsIdempotentCloseStopsAndSyncMakesExactlyTheWantedOnes() throws Exception {
        InetAddress target = InetAddress.getByName("127.0.0.1");
        PortMapping a = new PortMapping(PortMapping.Protocol.TCP, null, freePort(), 80);
        PortMapping b = PortMapping.on6(PortMapping.Protocol.UDP, PortMapping.LOOPBACK6, freePort(), 53);
        relays.open(target, a, "o");
        relays.open(target, a, "o");
        assertThat(relays.running()).hasSize(1);
        relays.sync(List.of(new LoopbackRelays.Relayed(target, b, "o")));
        assertThat(relays.running()).extracting(r -> r.listening().getPort()).containsExactly(b.hostPort());
        try (Socket s = new Socket()) {
            assertThatThrownBy(() -> s.connect(new InetSocketAddress("::1", a.hostPort()), 1000))
                    .as("a's relay stopped").isInstanceOf(IOException.class);
        }
        relays.close(b);
        assertThat(relays.running()).isEmpty();
    }

    @Test
    void sctpIsNotRelayedAndRefusedOnlyWhenAskedForOnLoopbackByName() throws Exception {
        InetAddress target = InetAddress.getByName("127.0.0.1");
        relays.open(target, new PortMapping(PortMapping.Protocol.SCTP, null, 9999, 80), "o");
        assertThat(relays.running()).isEmpty();
        assertThatThrownBy(() -> relays.open(target, PortMapping.on6(PortMapping.Protocol.SCTP, PortMapping.LOOPBACK6, 9999, 80), "o"))
                .isInstanceOf(PluginException.Refused.class).hasMessageContaining("SCTP");
    }
}
