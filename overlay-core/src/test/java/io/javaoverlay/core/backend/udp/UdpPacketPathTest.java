package io.javaoverlay.core.backend.udp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;

class UdpPacketPathTest {

    private static int ip(String s) {
        return Ip4.parse(s).value();
    }

    @Test
    void peerTableFindsPeersByInnerDestinationAndSource() {
        Map<Ip4Net, Ip4> peers = new HashMap<>();
        for (int i = 1; i <= 300; i++) {
            peers.put(Ip4Net.parse("10.5." + (i % 256) + ".0/24").next().next(), Ip4.parse("172.16." + (i / 256) + "." + (i % 256)));
        }
        peers.put(Ip4Net.parse("10.5.72.0/24"), Ip4.parse("10.42.1.172"));
        PeerTable table = PeerTable.of(24, peers);
        assertThat(table.publicIpFor(ip("10.5.72.9"))).isEqualTo(ip("10.42.1.172"));
        assertThat(table.publicIpFor(ip("10.6.72.9"))).isEqualTo(PeerTable.NONE);
        assertThat(table.isFromPeer(ip("10.42.1.172"), ip("10.5.72.200"))).isTrue();
        assertThat(table.isFromPeer(ip("10.42.1.172"), ip("10.5.73.1"))).as("spoofed inner source").isFalse();
        assertThat(table.isFromPeer(ip("10.42.1.99"), ip("10.5.72.200"))).as("not a peer").isFalse();
        assertThat(PeerTable.empty(24).publicIpFor(ip("10.5.72.9"))).isEqualTo(PeerTable.NONE);
        assertThat(PeerTable.empty(24).publicIpFor(0)).isEqualTo(PeerTable.NONE);
    }

    @Test
    void peerTableRejectsMixedSubnetLengths() {
        assertThatThrownBy(() -> PeerTable.of(24, Map.of(Ip4Net.parse("10.5.0.0/16"), Ip4.parse("1.2.3.4"))))
                .hasMessageContaining("not a /24");
    }

    @Test
    void netUnreachableQuotesTheOriginalHeaderWithValidChecksums() {
        // a UDP packet 10.5.1.2 -> 10.9.9.9 with 12 bytes of payload
        ByteBuffer in = ByteBuffer.allocate(40);
        in.put(0, (byte) 0x45).putShort(2, (short) 40).put(8, (byte) 64).put(9, (byte) 17)
                .putInt(12, ip("10.5.1.2")).putInt(16, ip("10.9.9.9"));
        in.putShort(10, (short) Ipv4Packets.checksum(in, 0, 20));
        for (int i = 20; i < 40; i++) {
            in.put(i, (byte) i);
        }
        assertThat(Ipv4Packets.isIpv4(in, 40)).isTrue();

        ByteBuffer out = ByteBuffer.allocate(96);
        int len = Ipv4Packets.netUnreachable(in, 40, ip("10.5.1.0"), out);

        assertThat(len).isEqualTo(20 + 8 + 28);
        assertThat(Ipv4Packets.source(out)).isEqualTo(ip("10.5.1.0"));
        assertThat(Ipv4Packets.destination(out)).isEqualTo(ip("10.5.1.2"));
        assertThat(out.get(9)).as("ICMP").isEqualTo((byte) 1);
        assertThat(out.get(20)).as("destination unreachable").isEqualTo((byte) 3);
        assertThat(out.get(21)).as("net unreachable").isEqualTo((byte) 0);
        assertThat(Ipv4Packets.checksum(out, 0, 20)).as("IP header checksum verifies").isZero();
        assertThat(Ipv4Packets.checksum(out, 20, len - 20)).as("ICMP checksum verifies").isZero();
        for (int i = 0; i < 28; i++) {
            assertThat(out.get(28 + i)).isEqualTo(in.get(i));
        }
    }

    @Test
    void rejectsNonIpv4AndTruncatedPackets() {
        ByteBuffer v6 = ByteBuffer.allocate(40).put(0, (byte) 0x60);
        assertThat(Ipv4Packets.isIpv4(v6, 40)).isFalse();
        ByteBuffer shortHeader = ByteBuffer.allocate(40).put(0, (byte) 0x4f);
        assertThat(Ipv4Packets.isIpv4(shortHeader, 40)).as("IHL 60 > length 40").isFalse();
        assertThat(Ipv4Packets.isIpv4(ByteBuffer.allocate(10).put(0, (byte) 0x45), 10)).isFalse();
    }
}
