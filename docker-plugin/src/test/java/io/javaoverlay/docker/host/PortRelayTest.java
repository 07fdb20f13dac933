package io.javaoverlay.docker.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.BindException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.javaoverlay.docker.state.PortMapping;

/**
 * The relays with real sockets on this namespace's loopback: a relay on {@code [::1]} to a
 * server on {@code 127.0.0.1} (IPv6 to IPv4, what a container without IPv6 gets) or on
 * {@code [::1]}.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PortRelayTest {

    static final InetAddress V6 = InetAddress.getLoopbackAddress().getAddress().length == 16 ? InetAddress.getLoopbackAddress()
            : loopback6();
    static final InetAddress V4 = loopback4();

    private final List<AutoCloseable> closing = new CopyOnWriteArrayList<>();
    private ServerSocket echo;

    @BeforeEach
    void startEcho() throws IOException {
        echo = TestTcpServer.start(V4, s -> {
            closing.add(s);
            s.getInputStream().transferTo(s.getOutputStream());
            s.shutdownOutput(); // echo the half-close back
        });
        closing.add(echo);
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closing) {
            c.close();
        }
    }

    private PortRelay relay(PortMapping.Protocol protocol, InetSocketAddress target, PortRelay.Limits limits) throws IOException {
        PortRelay r = PortRelay.open(protocol, new InetSocketAddress(V6, 0), target, limits);
        closing.add(0, r);
        return r;
    }

    @Test
    void tcpFromIpv6LoopbackReachesAnIpv4ServerIntactWithTheHalfCloseAndCloseFreesThePort() throws Exception {
        PortRelay r = relay(PortMapping.Protocol.TCP, (InetSocketAddress) echo.getLocalSocketAddress(), PortRelay.Limits.standard());
        assertThat(r.listening().getAddress()).isEqualTo(V6);
        byte[] payload = new byte[3 * 1024 * 1024];
        new Random(7).nextBytes(payload);
        try (Socket client = new Socket(V6, r.listening().getPort())) {
            OutputStream out = client.getOutputStream();
            Thread writer = new Thread(() -> {
                try {
                    out.write(payload);
                    client.shutdownOutput(); // the relay passes the half-close on; the echo server answers it
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            writer.start();
            byte[] back = client.getInputStream().readAllBytes(); // ends only when the server's half-close came back
            writer.join();
            assertThat(back).isEqualTo(payload);
        }
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> r.active() == 0);
        int port = r.listening().getPort();
        r.close();
        try (ServerSocket again = new ServerSocket()) {
            again.bind(new InetSocketAddress(V6, port));
            assertThat(again.getLocalPort()).as("the port is free once the relay is closed").isEqualTo(port);
        }
    }

    @Test
    void closingTheRelayCutsOpenConnections() throws Exception {
        PortRelay r = relay(PortMapping.Protocol.TCP, (InetSocketAddress) echo.getLocalSocketAddress(), PortRelay.Limits.standard());
        try (Socket client = new Socket(V6, r.listening().getPort())) {
            client.getOutputStream().write("ping".getBytes(StandardCharsets.US_ASCII));
            assertThat(new String(client.getInputStream().readNBytes(4), StandardCharsets.US_ASCII)).isEqualTo("ping");
            assertThat(r.active()).isEqualTo(1);
            r.close();
            client.setSoTimeout(5000);
            assertThat(readOrReset(client.getInputStream())).as("the connection ends with the relay").isEqualTo(-1);
        }
        assertThatThrownBy(() -> new Socket(V6, r.listening().getPort())).isInstanceOf(IOException.class);
    }

    @Test
    void aConnectionPastTheLimitIsClosedAndTheOthersGoOn() throws Exception {
        PortRelay r = relay(PortMapping.Protocol.TCP, (InetSocketAddress) echo.getLocalSocketAddress(),
                PortRelay.Limits.of(1, 10, Duration.ofSeconds(2), Duration.ofSeconds(90)));
        try (Socket first = new Socket(V6, r.listening().getPort())) {
            assertThat(echoOf(first, 'a')).isEqualTo('a');
            assertThat(firstReadOfANewConnection(r)).as("refused past the limit").isEqualTo(-1);
            assertThat(echoOf(first, 'b')).isEqualTo('b');
        }
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> r.active() == 0);
        try (Socket third = new Socket(V6, r.listening().getPort())) {
            assertThat(echoOf(third, 'c')).as("a slot is free again").isEqualTo('c');
        }
    }

    @Test
    void relaysSharingLimitsShareTheTotalAndGiveItBack() throws Exception {
        PortRelay.Limits shared = PortRelay.Limits.of(5, 1, Duration.ofSeconds(2), Duration.ofSeconds(90));
        InetSocketAddress target = (InetSocketAddress) echo.getLocalSocketAddress();
        PortRelay a = relay(PortMapping.Protocol.TCP, target, shared);
        PortRelay b = relay(PortMapping.Protocol.TCP, target, shared);
        try (Socket first = new Socket(V6, a.listening().getPort())) {
            assertThat(echoOf(first, 'a')).isEqualTo('a');
            assertThat(firstReadOfANewConnection(b)).as("the one connection in all is taken").isEqualTo(-1);
        }
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> shared.total().availablePermits() == 1);
        try (Socket third = new Socket(V6, b.listening().getPort())) {
            assertThat(echoOf(third, 'c')).as("given back").isEqualTo('c');
        }
        a.close();
        b.close();
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> shared.total().availablePermits() == 1);
    }

    @Test
    void aContainerThatDoesNotAnswerClosesTheClient() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, V4)) {
            closedPort = s.getLocalPort();
        }
        PortRelay r = relay(PortMapping.Protocol.TCP, new InetSocketAddress(V4, closedPort), PortRelay.Limits.standard());
        assertThat(firstReadOfANewConnection(r)).isEqualTo(-1);
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> r.active() == 0);
    }

    @Test
    void aTakenPortFailsToOpenAndLeavesNothingListening() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, V6); DatagramSocket takenUdp = new DatagramSocket(new InetSocketAddress(V6, 0))) {
            assertThatThrownBy(() -> PortRelay.open(PortMapping.Protocol.TCP, new InetSocketAddress(V6, taken.getLocalPort()),
                    new InetSocketAddress(V4, 80), PortRelay.Limits.standard())).isInstanceOf(BindException.class);
            assertThatThrownBy(() -> PortRelay.open(PortMapping.Protocol.UDP, new InetSocketAddress(V6, takenUdp.getLocalPort()),
                    new InetSocketAddress(V4, 80), PortRelay.Limits.standard())).isInstanceOf(BindException.class);
        }
    }

    @Test
    void udpDatagramsRoundTripPerClientAndAnIdleFlowIsForgottenAndCloseFreesThePort() throws Exception {
        try (DatagramSocket server = new DatagramSocket(new InetSocketAddress(V6, 0))) {
            Thread t = new Thread(() -> {
                byte[] buf = new byte[65535];
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                while (!server.isClosed()) {
                    try {
                        p.setLength(buf.length);
                        server.receive(p);
                        byte[] reply = ("re:" + new String(buf, 0, p.getLength(), StandardCharsets.US_ASCII)).getBytes(StandardCharsets.US_ASCII);
                        server.send(new DatagramPacket(reply, reply.length, p.getSocketAddress()));
                    } catch (IOException e) {
                        return;
                    }
                }
            });
            t.setDaemon(true);
            t.start();
            PortRelay r = relay(PortMapping.Protocol.UDP, (InetSocketAddress) server.getLocalSocketAddress(),
                    PortRelay.Limits.of(2, 10, Duration.ofSeconds(2), Duration.ofMillis(500)));
            try (DatagramSocket a = new DatagramSocket(new InetSocketAddress(V6, 0));
                 DatagramSocket b = new DatagramSocket(new InetSocketAddress(V6, 0));
                 DatagramSocket c = new DatagramSocket(new InetSocketAddress(V6, 0))) {
                assertThat(roundTrip(a, r, "one")).isEqualTo("re:one");
                assertThat(roundTrip(b, r, "two")).isEqualTo("re:two");
                assertThat(roundTrip(a, r, "three")).isEqualTo("re:three");
                assertThat(r.active()).as("a flow per client").isEqualTo(2);
                assertThat(roundTrip(c, r, "four")).as("a third client is past the limit: dropped").isNull();
                Awaitility.await("idle flows forgotten").atMost(Duration.ofSeconds(5)).until(() -> r.active() == 0);
                assertThat(roundTrip(c, r, "five")).as("room again").isEqualTo("re:five");
            }
            int port = r.listening().getPort();
            r.close();
            assertThat(r.active()).isZero();
            try (DatagramSocket again = new DatagramSocket(new InetSocketAddress(V6, port))) {
                assertThat(again.getLocalPort()).isEqualTo(port);
            }
        }
    }

    /** Sends {@code text} through the relay and returns the reply, null without one within a second. */
    private static String roundTrip(DatagramSocket client, PortRelay r, String text) throws IOException {
        byte[] out = text.getBytes(StandardCharsets.US_ASCII);
        client.send(new DatagramPacket(out, out.length, r.listening()));
        client.setSoTimeout(1000);
        byte[] buf = new byte[1024];
        DatagramPacket in = new DatagramPacket(buf, buf.length);
        try {
            client.receive(in);
        } catch (java.net.SocketTimeoutException e) {
            return null;
        }
        assertThat(in.getSocketAddress()).as("the reply comes from where the client sent to").isEqualTo(r.listening());
        return new String(buf, 0, in.getLength(), StandardCharsets.US_ASCII);
    }

    /** Sends {@code c} on {@code s} and reads one byte back. */
    private static int echoOf(Socket s, char c) throws IOException {
        s.getOutputStream().write(c);
        return s.getInputStream().read();
    }

    /** What a new client of {@code r} reads first, waiting at most 5 s: -1 when the relay closes the connection. */
    private static int firstReadOfANewConnection(PortRelay r) throws IOException {
        try (Socket client = new Socket(V6, r.listening().getPort())) {
            client.setSoTimeout(5000);
            return readOrReset(client.getInputStream());
        }
    }

    /** -1 for an orderly close, and for a reset too: either way the client sees the connection end. */
    private static int readOrReset(InputStream in) {
        try {
            return in.read();
        } catch (IOException e) {
            return -1;
        }
    }

    private static InetAddress loopback6() {
        try {
            return InetAddress.getByName("::1");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static InetAddress loopback4() {
        try {
            return InetAddress.getByName("127.0.0.1");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
