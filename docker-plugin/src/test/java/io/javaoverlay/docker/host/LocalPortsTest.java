package io.javaoverlay.docker.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

import org.junit.jupiter.api.Test;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.docker.state.PortMapping;

/** The host's ports as the kernel of this test's own namespace tells them, on loopback only. */
class LocalPortsTest {

    final LocalPorts ports = new LocalPorts();
    final Ip4 loopback = Ip4.parse("127.0.0.1");

    @Test
    void theRangeIsTheKernelsEphemeralRange() {
        assertThat(LocalPorts.parseRange("32768\t60999\n")).isEqualTo(new HostPorts.Range(32768, 60999));
        assertThatThrownBy(() -> LocalPorts.parseRange("32768")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LocalPorts.parseRange("60999 32768")).isInstanceOf(IllegalArgumentException.class);
        HostPorts.Range range = ports.dynamicRange();
        assertThat(range.first()).isLessThanOrEqualTo(range.last());
    }

    @Test
    void aPortSomethingListensOnIsNotFreeAndIsFreeAgainAfterwards() throws IOException {
        int port;
        try (ServerSocket listener = new ServerSocket()) {
            listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            port = listener.getLocalPort();
            assertThat(ports.isFree(new PortMapping(PortMapping.Protocol.TCP, loopback, port, 80))).isFalse();
            assertThat(ports.isFree(new PortMapping(PortMapping.Protocol.TCP, null, port, 80))).as("any address includes loopback").isFalse();
        }
        assertThat(ports.isFree(new PortMapping(PortMapping.Protocol.TCP, loopback, port, 80))).isTrue();
        try (DatagramSocket udp = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            assertThat(ports.isFree(new PortMapping(PortMapping.Protocol.UDP, loopback, udp.getLocalPort(), 80))).isFalse();
        }
    }

    @Test
    void aPortTakenOnIpv6LoopbackIsNotFreeOnItNorOnEveryAddress() throws IOException {
        InetAddress v6loopback = InetAddress.getByName("::1");
        int port;
        try (ServerSocket listener = new ServerSocket()) {
            listener.bind(new InetSocketAddress(v6loopback, 0));
            port = listener.getLocalPort();
            assertThat(ports.isFree(PortMapping.on6(PortMapping.Protocol.TCP, PortMapping.LOOPBACK6, port, 80))).isFalse();
            assertThat(ports.isFree(PortMapping.on6(PortMapping.Protocol.TCP, PortMapping.ANY6, port, 80))).isFalse();
            assertThat(ports.isFree(new PortMapping(PortMapping.Protocol.TCP, null, port, 80))).isFalse();
        }
        assertThat(ports.isFree(PortMapping.on6(PortMapping.Protocol.TCP, PortMapping.LOOPBACK6, port, 80))).isTrue();
    }
}
