package io.javaoverlay.core.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import io.javaoverlay.core.backend.ExternalInterface;
import io.javaoverlay.core.config.NetworkConfig;
import io.javaoverlay.core.config.NetworkConfigException;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip6Net;

/**
 * PublicIPv6 as flannel v0.28's {@code LookupExtIface} picks it: {@code --public-ipv6}, else the
 * address {@code --iface} named, else the interface's first global IPv6 address; and flannel's
 * error for an interface without one.
 */
class PublicIpv6Test {

    static final BigInteger LINK_LOCAL = Ip6Net.parseAddress("fe80::5054:ff:fe12:3456");
    static final BigInteger GLOBAL_1 = Ip6Net.parseAddress("fd00:e2e::1");
    static final BigInteger GLOBAL_2 = Ip6Net.parseAddress("2001:db8::1");

    @Test
    void parseWritesTheAddressAsFlannelWritesPublicIpv6() {
        assertThat(PublicIpv6.parse("FD00:0E2E:0000:0000:0000:0000:0000:0101")).isEqualTo("fd00:e2e::101");
        assertThat(PublicIpv6.parse(" 2001:db8::5 ")).isEqualTo("2001:db8::5");
        assertThat(PublicIpv6.parse("fc00::1")).as("a unique local address is global unicast in Go's sense").isEqualTo("fc00::1");
    }

    @Test
    void parseRefusesWhatOtherHostsCannotSendTo() {
        assertThatThrownBy(() -> PublicIpv6.parse("10.0.0.1")).hasMessageContaining("not an IPv6 address");
        assertThatThrownBy(() -> PublicIpv6.parse("::ffff:10.0.0.1")).hasMessageContaining("not an IPv6 address");
        assertThatThrownBy(() -> PublicIpv6.parse("")).hasMessageContaining("not an IPv6 address");
        assertThatThrownBy(() -> PublicIpv6.parse("::")).hasMessageContaining("unspecified");
        assertThatThrownBy(() -> PublicIpv6.parse("::1")).hasMessageContaining("loopback");
        assertThatThrownBy(() -> PublicIpv6.parse("fe80::1")).hasMessageContaining("link-local");
        assertThatThrownBy(() -> PublicIpv6.parse("febf::1")).hasMessageContaining("link-local");
        assertThatThrownBy(() -> PublicIpv6.parse("ff05::2")).hasMessageContaining("multicast");
    }

    @Test
    void withoutFlagsTheFirstGlobalAddressIsPublishedSkippingLinkLocalOnes() {
        assertThat(PublicIpv6.choose("eth0", List.of(LINK_LOCAL, GLOBAL_1, GLOBAL_2), Optional.empty(), Optional.empty()))
                .isEqualTo("fd00:e2e::1");
    }

    @Test
    void theAddressIfaceNamedIsPublishedRatherThanTheFirstOne() {
        assertThat(PublicIpv6.choose("eth0", List.of(GLOBAL_1, GLOBAL_2), Optional.of("2001:db8::1"), Optional.empty()))
                .isEqualTo("2001:db8::1");
    }

    @Test
    void publicIpv6WinsAndNeedNotBeThisHostsAddress() {
        assertThat(PublicIpv6.choose("eth0", List.of(GLOBAL_1), Optional.of("fd00:e2e::1"), Optional.of("2001:db8:99::7")))
                .as("a host behind NAT publishes an address of the NAT").isEqualTo("2001:db8:99::7");
        assertThat(PublicIpv6.choose("eth0", List.of(LINK_LOCAL), Optional.empty(), Optional.of("2001:db8:99::7")))
                .as("flannel: any IPv6 address on the interface will do then").isEqualTo("2001:db8:99::7");
    }

    @Test
    void anInterfaceWithoutAGlobalAddressGetsFlannelsError() {
        assertThatThrownBy(() -> PublicIpv6.choose("eth0", List.of(), Optional.empty(), Optional.empty()))
                .isInstanceOf(NetworkConfigException.class)
                .hasMessageStartingWith("failed to find IPv6 address for interface eth0")
                .hasMessageContaining("give it a global IPv6 address").hasMessageContaining("--public-ipv6");
        assertThatThrownBy(() -> PublicIpv6.choose("eth0", List.of(LINK_LOCAL), Optional.empty(), Optional.empty()))
                .hasMessageStartingWith("failed to find IPv6 address for interface eth0").hasMessageContaining("only link-local");
        assertThatThrownBy(() -> PublicIpv6.choose("eth0", List.of(), Optional.empty(), Optional.of("2001:db8::7")))
                .as("flannel needs an IPv6 address on the interface even with --public-ipv6")
                .hasMessageStartingWith("failed to find IPv6 address for interface eth0");
    }

    @Test
    void aPublicIpv6InsideTheOverlayIsRefusedAndWithoutIpv6ItIsUnused() {
        NetworkConfig dual = NetworkConfig.parse("{\"Network\":\"10.5.0.0/16\",\"EnableIPv6\":true,\"IPv6Network\":\"fc00:5::/48\","
                + "\"Backend\":{\"Type\":\"host-gw\"}}");
        ExternalInterface lo = new ExternalInterface("lo", 1, 65536, Ip4.parse("127.0.0.1"), Ip4.parse("127.0.0.1"));
        assertThatThrownBy(() -> DualStack.publicIpv6(dual, lo, Optional.of("fc00:5:0:1::1")))
                .isInstanceOf(NetworkConfigException.class).hasMessageContaining("--public-ipv6 fc00:5:0:1::1 lies inside IPv6Network");
        NetworkConfig v4 = NetworkConfig.parse("{\"Network\":\"10.5.0.0/16\",\"Backend\":{\"Type\":\"host-gw\"}}");
        assertThat(DualStack.publicIpv6(v4, lo, Optional.of("2001:db8::7"))).isEmpty();
    }

    @Test
    void agentOptionsNameTheFlagOfABadAddress() {
        assertThatThrownBy(() -> new AgentOptions(Optional.empty(), Path.of("/tmp/l"), Optional.empty(), List.of(), List.of(),
                Optional.empty(), null, null, null, false, null, 0, null, Duration.ofSeconds(1), true, null, true, true,
                Optional.of("fe80::1"))).hasMessageStartingWith("--public-ipv6: fe80::1 is a link-local address");
    }
}
