package io.javaoverlay.core.backend.udp;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;

import org.junit.jupiter.api.Test;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.netlink.TunDevice;

/**
 * Segmentation of TSO packets and the joining of segments back into GSO packets, checked the
 * way a receiving TCP stack would: every segment a valid IPv4/TCP packet with correct
 * checksums, sequence numbers that continue, flags where they belong, payload intact.
 */
class TcpOffloadTest {

    private static final int MSS = 1420;
    private static final int SEQ = 0x7fff_ff00; // wraps past 2^31 within the packet

    /** An IPv4/TCP packet with 12 bytes of options (as with timestamps) and {@code payload} bytes of data. */
    private static ByteBuffer tcpPacket(int payload, int flags, long seed) {
        int headers = 20 + 32;
        ByteBuffer p = ByteBuffer.allocate(headers + payload);
        p.put(0, (byte) 0x45).putShort(2, (short) Math.min(65535, headers + payload)).putShort(4, (short) 0x1234)
                .putShort(6, (short) 0x4000).put(8, (byte) 63).put(9, (byte) 6)
                .putInt(12, Ip4.parse("10.244.1.2").value()).putInt(16, Ip4.parse("10.244.2.2").value());
        p.putShort(20, (short) 40000).putShort(22, (short) 5201).putInt(24, SEQ).putInt(28, 0x01020304)
                .put(32, (byte) (8 << 4)).put(33, (byte) flags).putShort(34, (short) 502);
        p.putInt(40, 0x0101080a).putInt(44, 0xaabbccdd).putInt(48, 0x11223344); // NOP NOP TS val ecr
        byte[] data = new byte[payload];
        new Random(seed).nextBytes(data);
        p.put(headers, data);
        return p;
    }

    private static boolean ipChecksumOk(ByteBuffer b, int at) {
        return Ipv4Packets.checksum(b, at, 20) == 0;
    }

    private static boolean tcpChecksumOk(ByteBuffer b, int at, int length) {
        long sum = TcpSegments.pseudoHeaderSum(b, at, length - 20);
        sum = Ipv4Packets.sum(b, at + 20, length - 20, sum);
        return (~Ipv4Packets.fold(sum) & 0xffff) == 0;
    }

    @Test
    void aSuperPacketBecomesMtuSizedSegmentsThatATcpStackWouldAccept() {
        int payload = 45 * MSS + 77;
        ByteBuffer in = tcpPacket(payload, 0x10 | TcpSegments.TCP_PSH | TcpSegments.TCP_CWR, 1);
        int length = in.capacity();
        int count = TcpSegments.count(in, 0, length, MSS);
        assertThat(count).isEqualTo(46);

        ByteBuffer out = ByteBuffer.allocate(count * (52 + MSS));
        ByteBuffer joined = ByteBuffer.allocate(payload);
        int at = 0;
        for (int k = 0; k < count; k++) {
            int n = TcpSegments.writeSegment(in, 0, length, MSS, k, out, at);
            assertThat(n).isEqualTo(k < count - 1 ? 52 + MSS : 52 + 77);
            assertThat(Ipv4Packets.isIpv4(out, at, n)).isTrue();
            assertThat(Ipv4Packets.totalLength(out, at)).isEqualTo(n);
            assertThat(ipChecksumOk(out, at)).as("IP checksum of segment %d", k).isTrue();
            assertThat(tcpChecksumOk(out, at, n)).as("TCP checksum of segment %d", k).isTrue();
            assertThat(out.getInt(at + 24)).as("sequence number of segment %d", k).isEqualTo(SEQ + k * MSS);
            assertThat(out.getShort(at + 4) & 0xffff).isEqualTo(0x1234 + k);
            int flags = out.get(at + 33) & 0xff;
            assertThat((flags & TcpSegments.TCP_PSH) != 0).as("PSH only on the last").isEqualTo(k == count - 1);
            assertThat((flags & TcpSegments.TCP_CWR) != 0).as("CWR only on the first").isEqualTo(k == 0);
            assertThat(out.getInt(at + 44)).as("options copied").isEqualTo(0xaabbccdd);
            joined.put(out.slice(at + 52, n - 52));
            at += n;
        }
        assertThat(joined.array()).as("payload reassembled").isEqualTo(copy(in, 52, payload));
    }

    private static byte[] copy(ByteBuffer b, int from, int length) {
        byte[] a = new byte[length];
        b.get(from, a);
        return a;
    }

    @Test
    void aPartialChecksumIsFinishedOverThePseudoHeaderSeed() {
        ByteBuffer p = tcpPacket(333, 0x18, 2);
        int length = p.capacity();
        // what the kernel hands over with NEEDS_CSUM: the pseudo-header sum in the field, not complemented
        p.putShort(36, (short) Ipv4Packets.fold(TcpSegments.pseudoHeaderSum(p, 0, length - 20)));
        TcpSegments.completeChecksum(p, 0, length, 20, 16);
        assertThat(tcpChecksumOk(p, 0, length)).isTrue();
    }

    @Test
    void segmentsOfOneFlowAreJoinedIntoOneGsoPacketWithAPartialChecksum() {
        int payload = 20 * MSS;
        ByteBuffer big = tcpPacket(payload, 0x10 | TcpSegments.TCP_PSH, 3);
        ByteBuffer train = ByteBuffer.allocate(20 * (52 + MSS));
        int at = 0;
        for (int k = 0; k < 20; k++) {
            at += TcpSegments.writeSegment(big, 0, big.capacity(), MSS, k, train, at);
        }
        TcpCoalescer c = new TcpCoalescer();
        int segment = 52 + MSS;
        for (int k = 0; k < 20; k++) {
            assertThat(TcpCoalescer.isCandidate(train, k * segment, segment)).isTrue();
            assertThat(c.add(train, k * segment, segment)).as("segment %d joins", k).isTrue();
        }
        assertThat(c.add(train, 0, segment)).as("nothing joins after PSH").isFalse();

        CapturingTun tun = new CapturingTun();
        assertThat(c.flushTo(tun)).isEqualTo(20);
        ByteBuffer vnet = tun.written.duplicate().order(ByteOrder.nativeOrder());
        assertThat(vnet.get(0)).as("NEEDS_CSUM").isEqualTo((byte) 1);
        assertThat(vnet.get(1)).as("GSO_TCPV4").isEqualTo((byte) 1);
        assertThat(vnet.getShort(2)).as("header length").isEqualTo((short) 52);
        assertThat(vnet.getShort(4)).as("gso_size").isEqualTo((short) MSS);
        assertThat(vnet.getShort(6)).as("csum_start").isEqualTo((short) 20);
        assertThat(vnet.getShort(8)).as("csum_offset").isEqualTo((short) 16);
        ByteBuffer p = tun.written.slice(TunDevice.VNET_HDR_LEN, tun.length - TunDevice.VNET_HDR_LEN);
        assertThat(Ipv4Packets.totalLength(p, 0)).isEqualTo(52 + payload);
        assertThat(ipChecksumOk(p, 0)).isTrue();
        assertThat(p.getInt(24)).isEqualTo(SEQ);
        assertThat(p.get(33) & TcpSegments.TCP_PSH).as("PSH of the last segment kept").isNotZero();
        // finishing the partial checksum as the kernel would gives a valid packet
        TcpSegments.completeChecksum(p, 0, 52 + payload, 20, 16);
        assertThat(tcpChecksumOk(p, 0, 52 + payload)).isTrue();
        assertThat(copy(p, 52, payload)).isEqualTo(copy(big, 52, payload));
    }

    @Test
    void aGapInTheSequenceOrAnotherFlowIsNotJoined() {
        ByteBuffer big = tcpPacket(3 * MSS, 0x10, 4);
        ByteBuffer train = ByteBuffer.allocate(3 * (52 + MSS));
        for (int k = 0; k < 3; k++) {
            TcpSegments.writeSegment(big, 0, big.capacity(), MSS, k, train, k * (52 + MSS));
        }
        int segment = 52 + MSS;
        TcpCoalescer c = new TcpCoalescer();
        assertThat(c.add(train, 0, segment)).isTrue();
        assertThat(c.add(train, 2 * segment, segment)).as("segment 2 right after segment 0").isFalse();

        ByteBuffer other = tcpPacket(MSS, 0x10, 5);
        other.putShort(20, (short) 40001); // another source port
        other.putInt(24, SEQ + MSS);
        assertThat(c.add(other, 0, other.capacity())).as("another flow").isFalse();

        ByteBuffer fin = tcpPacket(MSS, 0x11, 6);
        assertThat(TcpCoalescer.isCandidate(fin, 0, fin.capacity())).as("FIN is written on its own").isFalse();
        ByteBuffer udp = tcpPacket(MSS, 0x10, 7);
        udp.put(9, (byte) 17);
        assertThat(TcpCoalescer.isCandidate(udp, 0, udp.capacity())).isFalse();
    }

    @Test
    void aSingleSegmentIsWrittenAsTheFinishedPacketItIs() {
        ByteBuffer p = tcpPacket(500, 0x18, 8);
        long sum = TcpSegments.pseudoHeaderSum(p, 0, p.capacity() - 20);
        p.putShort(36, (short) (~Ipv4Packets.fold(Ipv4Packets.sum(p, 20, p.capacity() - 20, sum)) & 0xffff));
        TcpCoalescer c = new TcpCoalescer();
        assertThat(c.add(p, 0, p.capacity())).isTrue();
        CapturingTun tun = new CapturingTun();
        assertThat(c.flushTo(tun)).isEqualTo(1);
        ByteBuffer w = tun.written;
        for (int i = 0; i < TunDevice.VNET_HDR_LEN; i++) {
            assertThat(w.get(i)).as("virtio header byte %d", i).isZero();
        }
        assertThat(copy(w, TunDevice.VNET_HDR_LEN, p.capacity())).isEqualTo(p.array());
        assertThat(c.isEmpty()).isTrue();
    }

    /** Stands in for the TUN device: keeps what the coalescer would have written. */
    static final class CapturingTun implements TcpCoalescer.Sink {
        ByteBuffer written;
        int length;

        @Override
        public int write(ByteBuffer src, int offset, int length) {
            this.length = length;
            this.written = ByteBuffer.allocate(length);
            for (int i = 0; i < length; i++) {
                written.put(i, src.get(offset + i));
            }
            return length;
        }
    }
}
