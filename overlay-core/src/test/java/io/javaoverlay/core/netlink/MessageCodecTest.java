package io.javaoverlay.core.netlink;

import static io.javaoverlay.core.netlink.Rtnl.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.MacAddress;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HexFormat;
import java.util.function.Consumer;

import org.junit.jupiter.api.Test;

/** Request encoding and answer decoding, without a kernel. */
class MessageCodecTest {

    private static ByteBuffer encode(int type, int flags, Consumer<MessageWriter> body) {
        MessageWriter w = MessageWriter.allocate(4096);
        w.begin(type, flags);
        body.accept(w);
        w.sequence(1);
        int len = w.finish();
        ByteBuffer b = w.buffer().duplicate().order(ByteOrder.nativeOrder());
        b.limit(len).position(0);
        return b;
    }

    private static String hex(ByteBuffer b) {
        byte[] bytes = new byte[b.limit()];
        b.get(0, bytes);
        return HexFormat.of().formatHex(bytes);
    }

    @Test
    void bridgeRequestMatchesTheKernelLayoutByteForByte() {
        assumeThat(ByteOrder.nativeOrder()).isEqualTo(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer b = encode(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
                w -> Links.encodeNew(w, NewLink.bridge("br0")));

        assertThat(hex(b)).isEqualTo(
                "38000000" + "1000" + "0506" + "01000000" + "00000000"   // nlmsghdr: len 56, RTM_NEWLINK, flags, seq 1, pid 0
                + "00000000" + "00000000" + "00000000" + "00000000"      // ifinfomsg
                + "0800" + "0300" + "62723000"                           // IFLA_IFNAME "br0\0"
                + "1000" + "1280"                                        // IFLA_LINKINFO | NLA_F_NESTED, 16 bytes
                + "0b00" + "0100" + "6272696467650000");                 // IFLA_INFO_KIND "bridge\0" + 1 byte padding
    }

    @Test
    void vxlanRequestDecodesBackToTheSameSettings() {
        VxlanInfo info = new VxlanInfo(4242, Ip4.parse("192.168.7.9"), 3, 8472, false, true);
        MacAddress mac = MacAddress.parse("02:01:02:03:04:05");
        ByteBuffer b = encode(RTM_NEWLINK, 0, w -> Links.encodeNew(w, NewLink.vxlan("flannel.1", info).withMac(mac).withMtu(1450)));

        Link link = Links.decode(b, RTM_NEWLINK, 16, b.limit());

        assertThat(link.name()).isEqualTo("flannel.1");
        assertThat(link.kind()).isEqualTo("vxlan");
        assertThat(link.mtu()).isEqualTo(1450);
        assertThat(link.mac()).isEqualTo(mac);
        assertThat(link.vxlan()).isEqualTo(info);
        // the port is the one big-endian attribute: 8472 = 0x2118 right after its header (len 6, type 15)
        assertThat(hex(b)).contains("06000f002118");
    }

    @Test
    void vethPeerCarriesItsOwnIfinfomsgNameAndNamespaceFd() {
        try (NetNs self = NetNs.open("/proc/self/ns/net")) {
            ByteBuffer b = encode(RTM_NEWLINK, 0, w -> Links.encodeNew(w,
                    NewLink.veth("veth0", NewLink.VethPeer.in(self, "eth0").withMtu(1400))));

            Attrs top = Attrs.parse(b, 32, b.limit(), IFLA_MAX_PARSED);
            Attrs info = top.nested(IFLA_LINKINFO, IFLA_INFO_MAX);
            assertThat(info.string(IFLA_INFO_KIND)).isEqualTo("veth");
            byte[] data = info.bytes(IFLA_INFO_DATA);
            ByteBuffer d = ByteBuffer.wrap(data).order(ByteOrder.nativeOrder());
            assertThat(d.getShort(2) & 0x3fff).as("VETH_INFO_PEER").isEqualTo(VETH_INFO_PEER);
            int peerLen = d.getShort(0);
            Attrs peer = Attrs.parse(d, 4 + 16, peerLen, IFLA_MAX_PARSED); // after the peer's ifinfomsg
            assertThat(peer.string(IFLA_IFNAME)).isEqualTo("eth0");
            assertThat(peer.u32(IFLA_MTU, 0)).isEqualTo(1400);
            assertThat(peer.u32(IFLA_NET_NS_FD, -1)).isEqualTo(self.fd());
        }
    }

    @Test
    void routeRoundTripsIncludingTableAbove255AndOnlink() {
        Route r = Route.ip4(Ip4Net.parse("10.5.7.0/24")).via(Ip4.parse("10.5.7.0")).device(9).withOnlink()
                .withTable(1000).withMetric(5).withProtocol(Route.PROTOCOL_STATIC);
        ByteBuffer b = encode(RTM_NEWROUTE, 0, w -> Routes.encode(w, r, false));

        assertThat(b.get(16 + 4) & 0xff).as("rtm_table says: see RTA_TABLE").isEqualTo(252);
        assertThat(Routes.decode(b, RTM_NEWROUTE, 16, b.limit())).isEqualTo(r);
    }

    @Test
    void routeDeletionMatchesAnyScopeProtocolAndType() {
        Route r = Route.ip4(Ip4Net.parse("10.5.8.0/24")).via(Ip4.parse("10.5.8.1"));
        ByteBuffer b = encode(RTM_DELROUTE, 0, w -> Routes.encode(w, r, true));
        assertThat(b.get(16 + 5) & 0xff).as("protocol").isZero();
        assertThat(b.get(16 + 6) & 0xff).as("scope nowhere").isEqualTo(255);
        assertThat(b.get(16 + 7) & 0xff).as("type").isZero();
    }

    @Test
    void defaultRouteHasNoDestinationAttribute() {
        Route r = Route.defaultIp4().via(Ip4.parse("10.0.0.1"));
        ByteBuffer b = encode(RTM_NEWROUTE, 0, w -> Routes.encode(w, r, false));
        Route back = Routes.decode(b, RTM_NEWROUTE, 16, b.limit());
        assertThat(back.isDefault()).isTrue();
        assertThat(back.ip4Destination()).isEqualTo(Ip4Net.parse("0.0.0.0/0"));
        assertThat(back.ip4Gateway()).isEqualTo(Ip4.parse("10.0.0.1"));
        assertThat(back.scope()).isEqualTo(Route.SCOPE_UNIVERSE);
    }

    @Test
    void ip4AddressCarriesLocalAddressAndBroadcast() {
        Address a = Address.ip4(4, Ip4Net.parseHost("10.1.2.3/24"));
        ByteBuffer b = encode(RTM_NEWADDR, 0, w -> Addresses.encode(w, a, true));

        Attrs attrs = Attrs.parse(b, 16 + 8, b.limit(), IFA_MAX_PARSED);
        assertThat(Ip4.fromBytes(attrs.bytes(IFA_LOCAL))).isEqualTo(Ip4.parse("10.1.2.3"));
        assertThat(Ip4.fromBytes(attrs.bytes(IFA_ADDRESS))).isEqualTo(Ip4.parse("10.1.2.3"));
        assertThat(Ip4.fromBytes(attrs.bytes(IFA_BROADCAST))).isEqualTo(Ip4.parse("10.1.2.255"));
        assertThat(Addresses.decode(b, RTM_NEWADDR, 16, b.limit())).isEqualTo(a);

        ByteBuffer p2p = encode(RTM_NEWADDR, 0, w -> Addresses.encode(w, Address.ip4(4, Ip4.parse("10.1.2.3"), 32), true));
        assertThat(Attrs.parse(p2p, 24, p2p.limit(), IFA_MAX_PARSED).has(IFA_BROADCAST)).as("no broadcast for /32").isFalse();
    }

    @Test
    void neighbourAndFdbEntriesRoundTrip() {
        MacAddress mac = MacAddress.parse("02:aa:00:00:00:01");
        Neighbour n = Neighbour.permanent(7, Ip4.parse("10.5.3.0"), mac);
        ByteBuffer nb = encode(RTM_NEWNEIGH, 0, w -> {
            w.ndmsg(AF_INET, n.linkIndex(), n.state(), n.flags(), 0);
            w.attr(NDA_DST, n.address().getAddress());
            w.attr(NDA_LLADDR, mac.bytes());
        });
        assertThat(Neighbours.decode(nb, RTM_NEWNEIGH, 16, nb.limit())).isEqualTo(n);

        FdbEntry e = FdbEntry.vxlan(7, mac, Ip4.parse("192.168.1.2"));
        ByteBuffer fb = encode(RTM_NEWNEIGH, 0, w -> {
            w.ndmsg(AF_BRIDGE, e.linkIndex(), e.state(), e.flags(), 0);
            w.attr(NDA_LLADDR, mac.bytes());
            w.attrIp4(NDA_DST, e.destination().value());
        });
        assertThat(Fdb.decode(fb, RTM_NEWNEIGH, 16, fb.limit())).isEqualTo(e);
        assertThat(e.isSelf()).isTrue();
        assertThat(e.isPermanent()).isTrue();
        assertThat(Neighbours.decode(fb, RTM_NEWNEIGH, 16, fb.limit())).as("AF_BRIDGE is not an ARP entry").isNull();
    }

    @Test
    void attributeParsingStripsFlagsAndStopsAtTruncation() {
        ByteBuffer b = ByteBuffer.allocate(64).order(ByteOrder.nativeOrder());
        b.putShort((short) 8).putShort((short) (3 | MessageWriter.NLA_F_NESTED)).putInt(42);
        b.putShort((short) 5).putShort((short) 4).put((byte) 'x').put(new byte[3]);     // "x" without NUL, padded
        b.putShort((short) 40).putShort((short) 5).putInt(1);                            // claims more than there is
        int end = b.position();

        Attrs a = Attrs.parse(b, 0, end, 10);

        assertThat(a.u32(3, -1)).isEqualTo(42);
        assertThat(a.string(4)).isEqualTo("x");
        assertThat(a.has(5)).isFalse();
        assertThat(a.u8(9, 77)).as("absent gives the default").isEqualTo(77);
    }

    @Test
    void nestedAttributeLengthCoversItsChildren() {
        ByteBuffer b = encode(RTM_SETLINK, 0, w -> {
            w.ifinfomsg(AF_BRIDGE, 5, 0, 0);
            int nest = w.nestStart(IFLA_PROTINFO);
            w.attrU8(IFLA_BRPORT_MODE, 1);
            w.nestEnd(nest);
        });
        assertThat(b.limit()).isEqualTo(16 + 16 + 4 + 8);
        assertThat(b.getShort(32)).as("nest length").isEqualTo((short) 12);
        assertThat(b.getShort(34) & 0xffff).isEqualTo(IFLA_PROTINFO | MessageWriter.NLA_F_NESTED);
        assertThat(Attrs.parse(b, 32, b.limit(), IFLA_MAX_PARSED).nested(IFLA_PROTINFO, 10).u8(IFLA_BRPORT_MODE, 0)).isEqualTo(1);
    }
}
