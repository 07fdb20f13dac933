package io.javaoverlay.core.backend.wireguard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.javaoverlay.core.backend.AdmissionOnlyBackend;
import io.javaoverlay.core.backend.HostView;
import io.javaoverlay.core.backend.PeerAdmission;
import io.javaoverlay.core.backend.PeerClaim;
import io.javaoverlay.core.backend.PeerRejection;
import io.javaoverlay.core.config.NetworkConfig;
import io.javaoverlay.core.config.WireguardOptions;
import io.javaoverlay.core.lease.Lease;
import io.javaoverlay.core.lease.LeaseAttrs;
import io.javaoverlay.core.lease.LeaseEvent;
import io.javaoverlay.core.lease.LeaseId;
import io.javaoverlay.core.metrics.OverlayMetrics;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.Ip6Net;
import io.javaoverlay.core.net.WireguardKey;

/** Other hosts' wireguard leases, as flannel writes them, read as peers; and the ones refused. */
class WgLeasesTest {

    static final WireguardKey OWN = WireguardKey.parse("hB+gK8eWuUOhkPm3vxkVCDD1E7yKz1VkuxeL+3mW6g8=");
    static final String PEER_KEY = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=";

    static Lease lease(String subnet, String ip, String type, String data) {
        Optional<String> t = Optional.ofNullable(type);
        String json = "{\"PublicIP\":\"" + ip + "\"" + t.map(x -> ",\"BackendType\":\"" + x + "\"").orElse("")
                + (data == null ? "" : ",\"BackendData\":" + data) + "}";
        return new Lease(Ip4Net.parse(subnet), Optional.empty(), LeaseAttrs.parse(json), false, Optional.empty(), 1);
    }

    static Lease lease6(String subnet, String subnet6, String ip, String ip6, String data, String data6) {
        String json = "{\"PublicIP\":\"" + ip + "\"" + (ip6 == null ? "" : ",\"PublicIPv6\":\"" + ip6 + "\"")
                + ",\"BackendType\":\"wireguard\",\"BackendData\":" + data + (data6 == null ? "" : ",\"BackendV6Data\":" + data6) + "}";
        return new Lease(Ip4Net.parse(subnet), Optional.of(Ip6Net.parse(subnet6)), LeaseAttrs.parse(json), false, Optional.empty(), 1);
    }

    /** flannel v0.28's dual-stack wireguard lease (newSubnetAttrs, Mode separate): the same key, ListenPortV6 in BackendV6Data. */
    static final String FLANNEL_DUAL_STACK_VALUE = "{\"PublicIP\":\"192.168.1.7\",\"PublicIPv6\":\"fd00::7\",\"BackendType\":\"wireguard\","
            + "\"BackendData\":{\"PublicKey\":\"" + PEER_KEY + "\",\"Port\":51820},"
            + "\"BackendV6Data\":{\"PublicKey\":\"" + PEER_KEY + "\",\"Port\":51821}}";

    @Test
    void flannelsDualStackLeaseIsAnIpv4PeerAndAnIpv6PeerAtPublicIpv6AndListenPortV6() {
        Lease l = new Lease(Ip4Net.parse("10.244.7.0/24"), Optional.of(Ip6Net.parse("fc00:5:0:7::/64")),
                LeaseAttrs.parse(FLANNEL_DUAL_STACK_VALUE), false, Optional.empty(), 1);
        assertThat(WgLeases.parse(l, 51820)).isEqualTo(new WgPeer(WireguardKey.parse(PEER_KEY), Ip4.parse("192.168.1.7"), 51820,
                Ip4Net.parse("10.244.7.0/24")));
        WgPeer p6 = WgLeases.parse6(l, 51821).orElseThrow();
        assertThat(p6).isEqualTo(new WgPeer(WireguardKey.parse(PEER_KEY), "fd00::7", 51821, "fc00:5:0:7::/64", LeaseId.of(Ip4Net.parse("10.244.7.0/24"))));
        assertThat(p6.endpoint()).isEqualTo("[fd00::7]:51821");
        assertThat(WgLeases.check(l, 51820, OptionalInt.of(51821), OWN)).isEmpty();
        assertThat(WgLeases.claims(l, 51820, OptionalInt.of(51821))).as("one key, one claim").hasSize(1);
        // a missing or zero Port in BackendV6Data: this host's ListenPortV6, as flannel reads it
        Lease old = lease6("10.244.7.0/24", "fc00:5:0:7::/64", "192.168.1.7", "fd00::7", "{\"PublicKey\":\"" + PEER_KEY + "\"}",
                "{\"PublicKey\":\"" + PEER_KEY + "\",\"Port\":0}");
        assertThat(WgLeases.parse6(old, 51999).orElseThrow().endpointPort()).isEqualTo(51999);
        // an IPv4-only lease in a dual-stack network: no IPv6 peer
        assertThat(WgLeases.parse6(lease("10.244.7.0/24", "192.168.1.7", "wireguard", "{\"PublicKey\":\"" + PEER_KEY + "\"}"), 51821))
                .isEmpty();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', nullValues = "NULL", value = {
        "fd00::7|NULL|it has an IPv6 subnet but no BackendV6Data",
        "fd00::7|{}|its BackendV6Data has no PublicKey string",
        "fd00::7|{\"PublicKey\":\"c2hvcnQ=\"}|its BackendV6Data PublicKey: not a WireGuard key",
        "fd00::7|{\"PublicKey\":\"xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=\",\"Port\":70000}|its BackendV6Data Port 70000 is not a UDP port",
        "fd00::7|{\"PublicKey\":\"hB+gK8eWuUOhkPm3vxkVCDD1E7yKz1VkuxeL+3mW6g8=\"}|its BackendV6Data PublicKey hB+gK8eWuUOhkPm3vxkVCDD1E7yKz1VkuxeL+3mW6g8= is this host's own",
        "NULL|{\"PublicKey\":\"xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=\"}|it has an IPv6 subnet but no PublicIPv6",
    })
    void aBadIpv6HalfRejectsTheWholeLeaseWithIpv6OnAndIsNotReadWithIpv6Off(String ip6, String data6, String detail) {
        Lease l = lease6("10.244.7.0/24", "fc00:5:0:7::/64", "192.168.1.7", ip6, "{\"PublicKey\":\"" + PEER_KEY + "\",\"Port\":51820}", data6);
        Optional<PeerRejection> r = WgLeases.check(l, 51820, OptionalInt.of(51821), OWN);
        assertThat(r).isPresent();
        assertThat(r.get().reason()).isEqualTo(PeerRejection.Reason.BAD_BACKEND_DATA);
        assertThat(r.get().detail()).contains(detail);
        assertThat(WgLeases.check(l, 51820, OWN)).as("IPv6 off: only the IPv4 half counts").isEmpty();
    }

    /** A host's IPv6 key published by another public IP is the same public-key-in-use claim as an IPv4 one. */
    @Test
    void anIpv6KeyIsClaimedToo() {
        String other = "TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0=";
        Lease l = lease6("10.244.7.0/24", "fc00:5:0:7::/64", "192.168.1.7", "fd00::7", "{\"PublicKey\":\"" + PEER_KEY + "\"}",
                "{\"PublicKey\":\"" + other + "\"}");
        assertThat(WgLeases.claims(l, 51820, OptionalInt.of(51821))).extracting(PeerClaim::key)
                .containsExactly("PublicKey " + PEER_KEY, "PublicKey " + other);
        assertThat(WgLeases.claims(l, 51820)).extracting(PeerClaim::key).containsExactly("PublicKey " + PEER_KEY);
    }

    @Test
    void flannelsLeaseIsAPeerAtPublicIpAndPortWithItsSubnetAsAllowedIps() {
        WgPeer p = WgLeases.parse(lease("10.244.7.0/24", "192.168.1.7", "wireguard", "{\"PublicKey\":\"" + PEER_KEY + "\",\"Port\":51000}"), 51820);
        assertThat(p).isEqualTo(new WgPeer(WireguardKey.parse(PEER_KEY), Ip4.parse("192.168.1.7"), 51000, Ip4Net.parse("10.244.7.0/24")));
        assertThat(p.endpoint()).isEqualTo("192.168.1.7:51000");
    }

    /** flannel before v0.22 published only the key; flannel reads a missing or zero Port as its own ListenPort. */
    @Test
    void aLeaseWithoutPortOrWithPortZeroUsesThisHostsListenPort() {
        assertThat(WgLeases.parse(lease("10.244.7.0/24", "192.168.1.7", "wireguard", "{\"PublicKey\":\"" + PEER_KEY + "\"}"), 51820)
                .endpointPort()).isEqualTo(51820);
        assertThat(WgLeases.parse(lease("10.244.7.0/24", "192.168.1.7", "wireguard", "{\"PublicKey\":\"" + PEER_KEY + "\",\"Port\":0}"), 51234)
                .endpointPort()).isEqualTo(51234);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', nullValues = "NULL", value = {
        "vxlan|{\"VNI\":1,\"VtepMAC\":\"0e:00:00:00:00:01\"}|backend-type|its BackendType is \"vxlan\", not \"wireguard\"",
        "NULL|NULL|backend-type|its BackendType is missing",
        "wireguard|NULL|bad-backend-data|it has no BackendData",
        "wireguard|{}|bad-backend-data|its BackendData has no PublicKey string",
        "wireguard|{\"PublicKey\":42}|bad-backend-data|its BackendData has no PublicKey string",
        "wireguard|{\"PublicKey\":\"c2hvcnQ=\"}|bad-backend-data|its PublicKey: not a WireGuard key",
        "wireguard|{\"PublicKey\":\"xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=\",\"Port\":65536}|bad-backend-data|its Port 65536 is not a UDP port",
        "wireguard|{\"PublicKey\":\"xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=\",\"Port\":-1}|bad-backend-data|its Port -1 is not a UDP port",
        "wireguard|{\"PublicKey\":\"xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=\",\"Port\":\"51820\"}|bad-backend-data|its Port \"51820\"",
        "wireguard|{\"PublicKey\":\"hB+gK8eWuUOhkPm3vxkVCDD1E7yKz1VkuxeL+3mW6g8=\"}|bad-backend-data|is this host's own",
    })
    void checkPeerRefusesWhatCannotBeAPeerAndSaysWhy(String type, String data, String reason, String detail) {
        Optional<PeerRejection> r = WgLeases.check(lease("10.244.7.0/24", "192.168.1.7", type, data), 51820, OWN);
        assertThat(r).isPresent();
        assertThat(r.get().reason().label()).isEqualTo(reason);
        assertThat(r.get().detail()).contains(detail);
        if (type != null && type.equals("wireguard") && !detail.contains("own")) {
            assertThatThrownBy(() -> WgLeases.parse(lease("10.244.7.0/24", "192.168.1.7", type, data), 51820))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    /**
     * A small backend that checks and claims as the wireguard backend does, for PeerAdmission:
     * with {@code listenPortV6} (IPv6 on) the IPv6 halves are checked and claimed too.
     */
    static final class Claims extends AdmissionOnlyBackend {
        private final OptionalInt listenPortV6;

        Claims(OptionalInt listenPortV6) {
            this.listenPortV6 = listenPortV6;
        }

        @Override
        public Optional<PeerRejection> checkPeer(Lease peer) {
            return WgLeases.check(peer, 51820, listenPortV6, OWN);
        }

        @Override
        public List<PeerClaim> claims(Lease peer) {
            return WgLeases.claims(peer, 51820, listenPortV6);
        }
    }

    @Test
    void aPublicKeyPublishedByTwoPublicIpsIsACollisionTheFirstLeaseKeeps() {
        NetworkConfig c = NetworkConfig.parse("{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"wireguard\"}}");
        PeerAdmission a = new PeerAdmission(c, Ip4Net.parse("10.244.1.0/24"), Ip4.parse("192.168.1.1"), new Claims(OptionalInt.empty()), true, new OverlayMetrics());
        String data = "{\"PublicKey\":\"" + PEER_KEY + "\",\"Port\":51820}";
        Lease first = lease("10.244.7.0/24", "192.168.1.7", "wireguard", data);
        Lease thief = lease("10.244.8.0/24", "192.168.1.8", "wireguard", data);
        List<LeaseEvent> out = a.admit(List.of(new LeaseEvent.Added(first), new LeaseEvent.Added(thief)), HostView.none());
        assertThat(out).containsExactly(new LeaseEvent.Added(first));
        assertThat(a.rejected()).singleElement().satisfies(r -> {
            assertThat(r.lease()).isEqualTo(thief);
            assertThat(r.why().reason()).isEqualTo(PeerRejection.Reason.PUBLIC_KEY_IN_USE);
            assertThat(r.why().detail()).contains("PublicKey " + PEER_KEY + " is already published by 192.168.1.7");
        });
        // the first goes: the other one is accepted now
        assertThat(a.admit(List.of(new LeaseEvent.Removed(first)), HostView.none()))
                .containsExactly(new LeaseEvent.Removed(first), new LeaseEvent.Added(thief));
    }

    /**
     * Through the whole trust boundary with IPv6 on: the shared IPv6 checks first (a PublicIPv6 that
     * is no host's), then the wireguard ones (this host's key in BackendV6Data), then the key claim
     * (another host's key in BackendV6Data); a good dual-stack lease in flannel's format passes.
     */
    @Test
    void dualStackLeasesPassTheSharedIpv6ChecksTheWireguardChecksAndTheKeyClaim() {
        NetworkConfig c = NetworkConfig.parse("{\"Network\":\"10.244.0.0/16\",\"EnableIPv6\":true,\"IPv6Network\":\"fc00:5::/48\","
                + "\"Backend\":{\"Type\":\"wireguard\"}}");
        PeerAdmission a = new PeerAdmission(c, Ip4Net.parse("10.244.1.0/24"), Ip4.parse("192.168.1.1"), Optional.of(Ip6Net.parse("fc00:5:0:1::/64")),
                Optional.of("fd00::1"), new Claims(OptionalInt.of(51821)), true, new OverlayMetrics());
        String mine = "{\"PublicKey\":\"" + PEER_KEY + "\",\"Port\":51820}";
        Lease good = new Lease(Ip4Net.parse("10.244.7.0/24"), Optional.of(Ip6Net.parse("fc00:5:0:7::/64")),
                LeaseAttrs.parse(FLANNEL_DUAL_STACK_VALUE), false, Optional.empty(), 1);
        Lease linkLocal = lease6("10.244.8.0/24", "fc00:5:0:8::/64", "192.168.1.8", "fe80::8", mine, mine);
        Lease ownKey6 = lease6("10.244.9.0/24", "fc00:5:0:9::/64", "192.168.1.9", "fd00::9",
                "{\"PublicKey\":\"TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0=\"}", "{\"PublicKey\":\"" + OWN + "\"}");
        Lease thief6 = lease6("10.244.10.0/24", "fc00:5:0:10::/64", "192.168.1.10", "fd00::10",
                "{\"PublicKey\":\"TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0=\"}", mine);
        List<LeaseEvent> out = a.admit(List.of(new LeaseEvent.Added(good), new LeaseEvent.Added(linkLocal), new LeaseEvent.Added(ownKey6),
                new LeaseEvent.Added(thief6)), HostView.none());
        assertThat(out).containsExactly(new LeaseEvent.Added(good));
        assertThat(a.rejected()).extracting(r -> r.lease().subnet().toString() + " " + r.why().reason().label()).containsExactlyInAnyOrder(
                "10.244.8.0/24 bad-public-ip", "10.244.9.0/24 bad-backend-data", "10.244.10.0/24 public-key-in-use");
    }

    static final Lease DUAL = new Lease(Ip4Net.parse("10.244.7.0/24"), Optional.of(Ip6Net.parse("fc00:5:0:7::/64")),
            LeaseAttrs.parse(FLANNEL_DUAL_STACK_VALUE), false, Optional.empty(), 1);

    /**
     * flannel's one-device modes: one peer with both subnets; over the IPv4 underlay for ipv4, the
     * IPv6 one for ipv6, at the port the peer's one device listens on (BackendData's Port).
     */
    @Test
    void theOneDeviceModesMakeOnePeerWithBothSubnetsOverTheUnderlayTheModeNames() {
        WgPeer v4 = WgLeases.parseOneDevice(DUAL, WireguardOptions.Mode.IPV4, 51820, 51821, Optional.of("fd00::1"));
        assertThat(v4).isEqualTo(new WgPeer(WireguardKey.parse(PEER_KEY), "192.168.1.7", 51820, "10.244.7.0/24,fc00:5:0:7::/64",
                LeaseId.of(Ip4Net.parse("10.244.7.0/24"))));
        WgPeer v6 = WgLeases.parseOneDevice(DUAL, WireguardOptions.Mode.IPV6, 51820, 51821, Optional.of("fd00::1"));
        assertThat(v6.endpoint()).as("BackendData's Port, where the peer's one device listens, not BackendV6Data's 51821")
                .isEqualTo("[fd00::7]:51820");
        assertThat(v6.allowedIps()).isEqualTo("10.244.7.0/24,fc00:5:0:7::/64");
        Lease v4only = lease("10.244.8.0/24", "192.168.1.8", "wireguard", "{\"PublicKey\":\"" + PEER_KEY + "\",\"Port\":51000}");
        assertThat(WgLeases.parseOneDevice(v4only, WireguardOptions.Mode.AUTO, 51820, 51821, Optional.of("2001:db8::1")))
                .isEqualTo(new WgPeer(WireguardKey.parse(PEER_KEY), Ip4.parse("192.168.1.8"), 51000, Ip4Net.parse("10.244.8.0/24")));
        assertThatThrownBy(() -> WgLeases.parseOneDevice(v4only, WireguardOptions.Mode.IPV6, 51820, 51821, Optional.of("fd00::1")))
                .hasMessageContaining("Mode ipv6 reaches peers at their PublicIPv6, and this lease has no IPv6 half");
    }

    /** flannel's selectMode, case by case. */
    @ParameterizedTest
    @CsvSource(nullValues = "NULL", value = {
        "192.168.1.7, NULL,          2001:db8::1, IPV4",  // no PublicIPv6: IPv4
        "203.0.113.7, 2001:db8::7,   2001:db8::1, IPV4",  // a public IPv4 address: IPv4
        "10.0.0.7,    2001:db8::7,   2001:db8::1, IPV6",  // private IPv4, both IPv6 public: IPv6
        "172.16.0.7,  2001:db8::7,   2001:db8::1, IPV6",
        "172.32.0.7,  2001:db8::7,   2001:db8::1, IPV4",  // 172.32/16 is public
        "10.0.0.7,    fd00::7,       2001:db8::1, IPV4",  // the peer's IPv6 is ULA
        "10.0.0.7,    2001:db8::7,   fc00::1,     IPV4",  // this host's IPv6 is ULA
        "10.0.0.7,    2001:db8::7,   NULL,        IPV4",
    })
    void autoPicksTheUnderlayAsFlannelsSelectMode(String ip, String ip6, String own6, WireguardOptions.Mode want) {
        assertThat(WgLeases.underlayOf(Ip4.parse(ip), Optional.ofNullable(ip6), Optional.ofNullable(own6))).isEqualTo(want);
    }

    /** flannel v0.28's IPv6-only wireguard lease (newSubnetAttrs with EnableIPv4 false): BackendV6Data alone, PublicIP its zero address. */
    static Lease ipv6Only(String subnet6, String ip6, String key) {
        return Lease.ipv6Only(Ip6Net.parse(subnet6), LeaseAttrs.parse("{\"PublicIP\":\"0.0.0.0\",\"PublicIPv6\":\"" + ip6
                + "\",\"BackendType\":\"wireguard\",\"BackendV6Data\":{\"PublicKey\":\"" + key + "\",\"Port\":51821}}"), false,
                Optional.empty(), 1);
    }

    @Test
    void anIpv6OnlyLeaseIsAPeerOfFlannelWgV6ByItsIpv6SubnetAndClaimsItsKeyForItsPublicIpv6() {
        Lease l = ipv6Only("fc00:5:0:7::/64", "fd00::7", PEER_KEY);
        WireguardKey own = WireguardKey.parse("yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=").publicKey();
        assertThat(WgLeases.check(l, 51820, OptionalInt.of(51821), own)).isEmpty();
        WgPeer p6 = WgLeases.parse6(l, 51821).orElseThrow();
        assertThat(p6.lease()).isEqualTo(LeaseId.ofIpv6Only(Ip6Net.parse("fc00:5:0:7::/64")));
        assertThat(p6.endpoint()).isEqualTo("[fd00::7]:51821");
        assertThat(p6.allowedIps()).isEqualTo("fc00:5:0:7::/64");
        assertThat(WgLeases.claims(l, 51820, OptionalInt.of(51821))).singleElement()
                .satisfies(c -> assertThat(c.holder()).isEqualTo("PublicIPv6 fd00::7"));
        // this host's own key copied into another lease
        assertThat(WgLeases.check(ipv6Only("fc00:5:0:8::/64", "fd00::8", own.toString()), 51820, OptionalInt.of(51821), own))
                .hasValueSatisfying(r -> assertThat(r.detail()).contains("is this host's own"));
        // no BackendV6Data: nothing to reach it with
        Lease bare = Lease.ipv6Only(Ip6Net.parse("fc00:5:0:9::/64"), LeaseAttrs.parse("{\"PublicIP\":\"0.0.0.0\",\"PublicIPv6\":\"fd00::9\","
                + "\"BackendType\":\"wireguard\"}"), false, Optional.empty(), 1);
        assertThat(WgLeases.check(bare, 51820, OptionalInt.of(51821), own)).hasValueSatisfying(r -> assertThat(r.reason())
                .isEqualTo(PeerRejection.Reason.BAD_BACKEND_DATA));
    }
}
