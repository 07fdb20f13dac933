package io.javaoverlay.core.backend.wireguard;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import io.javaoverlay.core.lease.Lease;
import io.javaoverlay.core.net.WireguardKey;

/** The wg(8) configuration the backend gives {@code wg syncconf}, built from leases. */
class WgConfigFileTest {

    static final WireguardKey PRIVATE = WireguardKey.parse("YAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=");
    static final WireguardKey PSK = WireguardKey.parse("FpCyhws9cxwWoV4xELtfJvjJN+zQVRPISllRWgeopVE=");

    static List<WgPeer> peersFromLeases() {
        Lease b = WgLeasesTest.lease("10.244.9.0/24", "192.168.1.9", "wireguard",
                "{\"PublicKey\":\"xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=\",\"Port\":51820}");
        Lease a = WgLeasesTest.lease("10.244.3.0/24", "192.168.1.3", "wireguard",
                "{\"PublicKey\":\"TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0=\"}");
        return List.of(WgLeases.parse(b, 51820), WgLeases.parse(a, 51820));
    }

    @Test
    void theWholeStateWithPskAndKeepaliveSortedBySubnet() {
        String text = WgConfigFile.render(PRIVATE, 51820, Optional.of(PSK), Duration.ofSeconds(25), peersFromLeases());
        assertThat(text).isEqualTo("""
                [Interface]
                PrivateKey = YAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=
                ListenPort = 51820

                [Peer]
                PublicKey = TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0=
                PresharedKey = FpCyhws9cxwWoV4xELtfJvjJN+zQVRPISllRWgeopVE=
                Endpoint = 192.168.1.3:51820
                AllowedIPs = 10.244.3.0/24
                PersistentKeepalive = 25

                [Peer]
                PublicKey = xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=
                PresharedKey = FpCyhws9cxwWoV4xELtfJvjJN+zQVRPISllRWgeopVE=
                Endpoint = 192.168.1.9:51820
                AllowedIPs = 10.244.9.0/24
                PersistentKeepalive = 25
                """);
    }

    @Test
    void withoutPskOrKeepaliveTheirLinesAreLeftOutAndNoPeersLeavesOnlyTheInterface() {
        String text = WgConfigFile.render(PRIVATE, 51000, Optional.empty(), Duration.ZERO, peersFromLeases());
        assertThat(text).doesNotContain("PresharedKey").doesNotContain("PersistentKeepalive").contains("ListenPort = 51000\n");
        assertThat(WgConfigFile.render(PRIVATE, 51820, Optional.empty(), Duration.ZERO, List.of()))
                .isEqualTo("[Interface]\nPrivateKey = YAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=\nListenPort = 51820\n");
    }

    /** For wg addconf: the changed peers alone, nothing of the interface (no private key, no listen port). */
    @Test
    void peersAloneForAddconf() {
        String text = WgConfigFile.renderPeers(Optional.of(PSK), Duration.ZERO, peersFromLeases());
        assertThat(text).isEqualTo("""
                [Peer]
                PublicKey = TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0=
                PresharedKey = FpCyhws9cxwWoV4xELtfJvjJN+zQVRPISllRWgeopVE=
                Endpoint = 192.168.1.3:51820
                AllowedIPs = 10.244.3.0/24

                [Peer]
                PublicKey = xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=
                PresharedKey = FpCyhws9cxwWoV4xELtfJvjJN+zQVRPISllRWgeopVE=
                Endpoint = 192.168.1.9:51820
                AllowedIPs = 10.244.9.0/24
                """);
        assertThat(text).doesNotContain("PrivateKey").doesNotContain("ListenPort");
    }

    /** flannel-wg-v6: the IPv6 halves of the same leases, at [PublicIPv6]:Port with their IPv6 subnets. */
    @Test
    void theIpv6DeviceHasThePeersAtTheirPublicIpv6WithTheirIpv6Subnets() {
        Lease b = WgLeasesTest.lease6("10.244.9.0/24", "fc00:5:0:9::/64", "192.168.1.9", "fd00::9",
                "{\"PublicKey\":\"xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=\",\"Port\":51820}",
                "{\"PublicKey\":\"xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=\",\"Port\":51821}");
        Lease a = WgLeasesTest.lease6("10.244.3.0/24", "fc00:5:0:3::/64", "192.168.1.3", "fd00::3",
                "{\"PublicKey\":\"TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0=\"}",
                "{\"PublicKey\":\"TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0=\"}");
        String text = WgConfigFile.render(PRIVATE, 51821, Optional.empty(), Duration.ZERO,
                List.of(WgLeases.parse6(b, 51821).orElseThrow(), WgLeases.parse6(a, 51821).orElseThrow()));
        assertThat(text).isEqualTo("""
                [Interface]
                PrivateKey = YAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=
                ListenPort = 51821

                [Peer]
                PublicKey = TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0=
                Endpoint = [fd00::3]:51821
                AllowedIPs = fc00:5:0:3::/64

                [Peer]
                PublicKey = xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=
                Endpoint = [fd00::9]:51821
                AllowedIPs = fc00:5:0:9::/64
                """);
    }
}
