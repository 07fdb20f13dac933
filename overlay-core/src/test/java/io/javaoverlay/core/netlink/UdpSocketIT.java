package io.javaoverlay.core.netlink;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.javaoverlay.core.net.Ip4;

/**
 * Batched UDP against the kernel, on loopback inside a namespace: sendmmsg/recvmmsg move many
 * datagrams per call with their addresses, UDP GSO cuts one slot into datagrams, UDP GRO joins
 * them again, and close() wakes a waiting receive.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class UdpSocketIT {

    @RegisterExtension
    static final NamespaceFixture host = new NamespaceFixture("udp");

    static final Ip4 LOOPBACK = Ip4.parse("127.0.0.1");

    @Test
    void aBatchOfDatagramsGoesOutInOneCallAndComesBackWithItsSender() {
        try (UdpSocket rx = UdpSocket.bind(host.handle(), LOOPBACK, 0); UdpSocket tx = UdpSocket.bind(host.handle(), LOOPBACK, 0)) {
            assertThat(rx.setBufferSizes(1 << 20)).isGreaterThanOrEqualTo(1 << 20);
            DatagramBatch out = DatagramBatch.allocate(32, 2048);
            for (int i = 0; i < 32; i++) {
                ByteBuffer s = out.slot(i);
                for (int b = 0; b < 100 + i; b++) {
                    s.put(5 + b, (byte) (i + b));
                }
                out.setDatagram(i, 5, 100 + i, LOOPBACK.value(), rx.port(), 0);
            }
            assertThat(tx.send(out, 32)).isEqualTo(32);

            DatagramBatch in = DatagramBatch.allocate(64, 2048);
            List<Integer> lengths = new ArrayList<>();
            while (lengths.size() < 32) {
                int n = rx.receive(in, 3, 2000);
                assertThat(n).as("datagrams received in one call").isPositive();
                for (int i = 0; i < n; i++) {
                    assertThat(in.sourceIp(i)).isEqualTo(LOOPBACK.value());
                    assertThat(in.sourcePort(i)).isEqualTo(tx.port());
                    assertThat(in.offset(i)).isEqualTo(3);
                    int k = lengths.size();
                    assertThat(in.length(i)).isEqualTo(100 + k);
                    assertThat(in.slot(i).get(3 + 7)).isEqualTo((byte) (k + 7));
                    assertThat(in.segmentSize(i)).isZero();
                    lengths.add(in.length(i));
                }
            }
            assertThat(tx.sendErrors()).isZero();
        }
    }

    @Test
    void gsoCutsASlotIntoDatagramsAndGroJoinsThemAgain() {
        try (UdpSocket plain = UdpSocket.bind(host.handle(), LOOPBACK, 0); UdpSocket joined = UdpSocket.bind(host.handle(), LOOPBACK, 0);
             UdpSocket tx = UdpSocket.bind(host.handle(), LOOPBACK, 0)) {
            assertThat(tx.supportsGso()).isTrue();
            assertThat(joined.enableGro()).isTrue();
            DatagramBatch out = DatagramBatch.allocate(2, 65536);
            for (int slot = 0; slot < 2; slot++) {
                ByteBuffer s = out.slot(slot);
                for (int b = 0; b < 5 * 1000 - 300; b++) {
                    s.put(b, (byte) (b / 1000)); // each datagram filled with its index
                }
                out.setDatagram(slot, 0, 5 * 1000 - 300, LOOPBACK.value(), slot == 0 ? plain.port() : joined.port(), 1000);
            }
            assertThat(tx.send(out, 2)).isEqualTo(2);

            // without GRO: five datagrams, 1000 bytes each but the last
            DatagramBatch in = DatagramBatch.allocate(16, 65536);
            List<Integer> sizes = new ArrayList<>();
            while (sizes.size() < 5) {
                int n = plain.receive(in, 0, 2000);
                assertThat(n).isPositive();
                for (int i = 0; i < n; i++) {
                    assertThat(in.slot(i).get(0)).isEqualTo((byte) sizes.size());
                    sizes.add(in.length(i));
                }
            }
            assertThat(sizes).containsExactly(1000, 1000, 1000, 1000, 700);

            // with GRO: the same bytes, in trains of 1000-byte datagrams
            int bytes = 0;
            while (bytes < 4700) {
                int n = joined.receive(in, 0, 2000);
                assertThat(n).isPositive();
                for (int i = 0; i < n; i++) {
                    int seg = in.segmentSize(i);
                    assertThat(seg == 0 || seg == 1000).as("segment size %d", seg).isTrue();
                    bytes += in.length(i);
                }
            }
            assertThat(bytes).isEqualTo(4700);
        }
    }

    @Test
    void closeWakesAWaitingReceive() throws Exception {
        UdpSocket rx = UdpSocket.bind(host.handle(), LOOPBACK, 0);
        DatagramBatch in = DatagramBatch.allocate(4, 2048);
        CompletableFuture<Integer> waiting = CompletableFuture.supplyAsync(() -> rx.receive(in, 0, 30_000));
        Thread.sleep(300);
        rx.close();
        assertThat(waiting.get(5, TimeUnit.SECONDS)).isEqualTo(-1);
        assertThat(rx.isOpen()).isFalse();
        rx.close(); // idempotent
    }

    @Test
    void aDatagramTheKernelRefusesIsCountedAndSkipped() {
        try (UdpSocket rx = UdpSocket.bind(host.handle(), LOOPBACK, 0); UdpSocket tx = UdpSocket.bind(host.handle(), LOOPBACK, 0)) {
            DatagramBatch out = DatagramBatch.allocate(3, 70000);
            out.setDatagram(0, 0, 10, LOOPBACK.value(), rx.port(), 0);
            out.setDatagram(1, 0, 66000, LOOPBACK.value(), rx.port(), 0); // larger than any UDP datagram
            out.setDatagram(2, 0, 20, LOOPBACK.value(), rx.port(), 0);
            assertThat(tx.send(out, 3)).isEqualTo(2);
            assertThat(tx.sendErrors()).isEqualTo(1);
            assertThat(UdpSocket.isMessageTooLong(tx.lastSendErrno())).isTrue();
        }
    }
}
