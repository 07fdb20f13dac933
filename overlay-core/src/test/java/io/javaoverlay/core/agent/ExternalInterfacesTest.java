package io.javaoverlay.core.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.javaoverlay.core.backend.ExternalInterface;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip6Net;

/** Interface selection on what every machine has: lo with 127.0.0.1/8, and a route table we write. */
class ExternalInterfacesTest {

    @TempDir
    Path dir;

    ExternalInterfaces withRoutes(String... lines) throws IOException {
        return withRoutes(List.of(lines), List.of());
    }

    /** An IPv4 table ({@code /proc/net/route} lines) and an IPv6 one ({@code /proc/net/ipv6_route} lines). */
    ExternalInterfaces withRoutes(List<String> v4, List<String> v6) throws IOException {
        Path f = dir.resolve("route");
        Files.writeString(f, "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
                + String.join("\n", v4) + "\n");
        Path f6 = dir.resolve("ipv6_route");
        Files.writeString(f6, v6.isEmpty() ? "" : String.join("\n", v6) + "\n");
        return new ExternalInterfaces(f, f6);
    }

    static final String LO_DEFAULT4 = "lo\t00000000\t00000000\t0001\t0\t0\t100\t00000000\t0\t0\t0";
    /** /proc/net/ipv6_route's lines for a default route via fd00::1 on {@code dev} (metric 1024), and the kernel's own reject entry. */
    static String default6(String dev) {
        return "00000000000000000000000000000000 00 00000000000000000000000000000000 00 fd000000000000000000000000000001 00000400 "
                + "00000003 00000000 00000003 " + dev;
    }
    static final String REJECT6 = "00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
            + "00000000000000000000000000000000 ffffffff 00000001 00000000 00200200 lo";

    @Test
    void theDefaultRouteWithTheLowestMetricPicksTheInterface() throws IOException {
        ExternalInterface e = withRoutes(
                "nosuch0\t00000000\t0100000A\t0003\t0\t0\t200\t00000000\t0\t0\t0",
                "lo\t00000000\t00000000\t0001\t0\t0\t100\t00000000\t0\t0\t0",
                "lo\t0000007F\t00000000\t0001\t0\t0\t0\t000000FF\t0\t0\t0").select(List.of(), List.of(), Optional.empty());
        assertThat(e.name()).isEqualTo("lo");
        assertThat(e.ifaceAddr()).isEqualTo(Ip4.parse("127.0.0.1"));
        assertThat(e.publicIp()).isEqualTo(e.ifaceAddr());
        assertThat(e.mtu()).isPositive();
    }

    @Test
    void withoutADefaultRouteItSaysWhatToPass() throws IOException {
        assertThatThrownBy(() -> withRoutes().select(List.of(), List.of(), Optional.empty()))
                .isInstanceOf(ExternalInterfaces.NoInterfaceException.class)
                .hasMessageContaining("pass --iface").hasMessageContaining("lo[127.0.0.1/8]");
    }

    @Test
    void ifaceTakesNamesAndAddressesInOrderThenRegexes() throws IOException {
        ExternalInterfaces x = withRoutes();
        assertThat(x.select(List.of("nosuch0", "lo"), List.of(), Optional.empty()).name()).isEqualTo("lo");
        assertThat(x.select(List.of("127.0.0.1"), List.of(), Optional.empty()).ifaceAddr()).isEqualTo(Ip4.parse("127.0.0.1"));
        assertThat(x.select(List.of("192.0.2.99"), List.of("^127\\.0\\."), Optional.empty()).name()).isEqualTo("lo");
        assertThat(x.select(List.of(), List.of("^l."), Optional.empty()).name()).isEqualTo("lo");
        assertThatThrownBy(() -> x.select(List.of("nosuch0"), List.of("^nomatch$"), Optional.empty()))
                .hasMessageContaining("no interface matches --iface [nosuch0] or --iface-regex [^nomatch$]");
        assertThatThrownBy(() -> x.select(List.of(), List.of("("), Optional.empty())).hasMessageContaining("not a valid regular expression");
    }

    @Test
    void aPublicIpInsideAnInterfacesPrefixPicksThatInterface() throws IOException {
        ExternalInterface e = withRoutes().select(List.of(), List.of(), Optional.of(Ip4.parse("127.0.0.42")));
        assertThat(e.name()).isEqualTo("lo");
        assertThat(e.publicIp()).isEqualTo(Ip4.parse("127.0.0.42"));
        assertThat(e.ifaceAddr()).isEqualTo(Ip4.parse("127.0.0.1"));
    }
    @Test
    void anIfaceIpv6AddressNoInterfaceHoldsMatchesNoneAndTheNextIsTried() throws IOException {
        ExternalInterfaces x = withRoutes();
        assertThatThrownBy(() -> x.select(List.of("2001:db8::dead"), List.of(), Optional.empty()))
                .isInstanceOf(ExternalInterfaces.NoInterfaceException.class).hasMessageContaining("--iface [2001:db8::dead]");
        ExternalInterface e = x.select(List.of("2001:db8::dead", "lo"), List.of(), Optional.empty());
        assertThat(e.name()).isEqualTo("lo");
        assertThat(e.matchedIpv6()).as("picked by name").isEmpty();
        assertThatThrownBy(() -> x.select(List.of("lo:9"), List.of(), Optional.empty()))
                .as("a name with a colon is an alias name, not an address").hasMessageContaining("--iface [lo:9]");
    }

    @Test
    void aPublicIpv6NoInterfaceHoldsLeavesTheChoiceToTheDefaultRoute() throws IOException {
        ExternalInterface e = withRoutes("lo\t00000000\t00000000\t0001\t0\t0\t100\t00000000\t0\t0\t0")
                .select(List.of(), List.of(), Optional.empty(), Optional.of("2001:db8::7"));
        assertThat(e.name()).isEqualTo("lo");
        assertThat(e.matchedIpv6()).isEmpty();
        assertThatThrownBy(() -> withRoutes().select(List.of(), List.of(), Optional.empty(), Optional.of("2001:db8::7")))
                .hasMessageContaining("no interface holds --public-ipv6 2001:db8::7");
    }

    @Test
    void withIpv6TheIpv4AndIpv6DefaultRoutesMustShareTheirInterfaceAsInFlannel() throws IOException {
        ExternalInterface both = withRoutes(List.of(LO_DEFAULT4), List.of(REJECT6, default6("lo")))
                .select(List.of(), List.of(), Optional.empty(), Optional.empty(), true);
        assertThat(both.name()).isEqualTo("lo");
        assertThatThrownBy(() -> withRoutes(List.of(LO_DEFAULT4), List.of(default6("nosuch0")))
                .select(List.of(), List.of(), Optional.empty(), Optional.empty(), true))
                .isInstanceOf(ExternalInterfaces.NoInterfaceException.class)
                .hasMessageContaining("the IPv6 default route leaves through nosuch0 but the IPv4 default route through lo")
                .hasMessageContaining("--iface-can-reach");
        assertThat(withRoutes(List.of(LO_DEFAULT4), List.of(default6("nosuch0")))
                .select(List.of(), List.of(), Optional.empty(), Optional.empty(), false).name())
                .as("without EnableIPv6 the IPv6 routes do not count").isEqualTo("lo");
    }

    @Test
    void withIpv6AndOnlyAnIpv6DefaultRouteItsInterfaceIsPicked() throws IOException {
        ExternalInterface e = withRoutes(List.of(), List.of(REJECT6, default6("lo")))
                .select(List.of(), List.of(), Optional.empty(), Optional.empty(), true);
        assertThat(e.name()).isEqualTo("lo");
        assertThat(e.ifaceAddr()).isEqualTo(Ip4.parse("127.0.0.1"));
        assertThatThrownBy(() -> withRoutes(List.of(), List.of(REJECT6)).select(List.of(), List.of(), Optional.empty(), Optional.empty(), true))
                .as("the kernel's reject entry is no default route").hasMessageContaining("there is no default route");
    }

    @Test
    void withIpv6ARegexMatchesGlobalThenLinkLocalIpv6AddressesInRfc5952Form() {
        List<BigInteger> addrs = Stream.of("fe80::1:2", "::1", "ff02::1", "fd00:0e2e:0000::0101", "2001:db8:0:0:0:0:0:7")
                .map(Ip6Net::parseAddress).toList();
        assertThat(ExternalInterfaces.firstMatching6(addrs, Pattern.compile("^fd00:e2e::101$"))).as("Go's net.IP form")
                .contains(Ip6Net.parseAddress("fd00:e2e::101"));
        assertThat(ExternalInterfaces.firstMatching6(addrs, Pattern.compile(":1"))).as("global ones first")
                .contains(Ip6Net.parseAddress("fd00:e2e::101"));
        assertThat(ExternalInterfaces.firstMatching6(addrs, Pattern.compile("^fe80:"))).contains(Ip6Net.parseAddress("fe80::1:2"));
        assertThat(ExternalInterfaces.firstMatching6(addrs, Pattern.compile("^(::1|ff02::1)$"))).as("no loopback or multicast, as flannel")
                .isEmpty();
    }

    @Test
    void withIpv6ARegexOnLoMatchesItsIpv4AddressAloneAndCarriesNoIpv6() throws IOException {
        assertThat(loHasIpv6()).as("this test needs lo's ::1 (IPv6 on)").isTrue();
        ExternalInterfaces x = withRoutes();
        assertThatThrownBy(() -> x.select(List.of(), List.of("^::1$"), Optional.empty(), Optional.empty(), true))
                .as("::1 is no address flannel matches").hasMessageContaining("no interface matches --iface [] or --iface-regex [^::1$]");
        ExternalInterface e = x.select(List.of(), List.of("^(127\\.0\\.0\\.1|::1)$"), Optional.empty(), Optional.empty(), true);
        assertThat(e.name()).isEqualTo("lo");
        assertThat(e.ifaceAddr()).isEqualTo(Ip4.parse("127.0.0.1"));
        assertThat(e.matchedIpv6()).isEmpty();
    }

    static boolean loHasIpv6() {
        try {
            return java.util.Collections.list(java.net.NetworkInterface.getByName("lo").getInetAddresses()).stream()
                    .anyMatch(a -> a instanceof java.net.Inet6Address);
        } catch (java.net.SocketException e) {
            return false;
        }
    }

    @Test
    void anIpv6OnlyNetworkPicksAnInterfaceWithoutIpv4AsFlannelsIpv6StackDoes() throws IOException {
        ExternalInterface byRoute = withRoutes(List.of(LO_DEFAULT4), List.of(default6("lo"), REJECT6))
                .selectIpv6Only(List.of(), List.of(), Optional.empty(), Optional.empty());
        assertThat(byRoute.name()).isEqualTo("lo");
        assertThat(byRoute.isIpv6Only()).isTrue();
        assertThatThrownBy(byRoute::ifaceAddr).as("no IPv4 address is used").isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(byRoute::publicIp).isInstanceOf(IllegalStateException.class);

        ExternalInterfaces noRoutes = withRoutes(List.of(LO_DEFAULT4), List.of());
        assertThat(noRoutes.selectIpv6Only(List.of("::1"), List.of(), Optional.empty(), Optional.empty()).matchedIpv6()).contains("::1");
        assertThat(noRoutes.selectIpv6Only(List.of("nosuch0", "lo"), List.of(), Optional.empty(), Optional.empty()).name()).isEqualTo("lo");
        assertThat(noRoutes.selectIpv6Only(List.of(), List.of("^l.$"), Optional.empty(), Optional.empty()).name()).isEqualTo("lo");
        assertThatThrownBy(() -> noRoutes.selectIpv6Only(List.of("127.0.0.1"), List.of(), Optional.empty(), Optional.empty()))
                .as("an IPv4 address picks nothing IPv6-only").hasMessageContaining("no interface matches --iface [127.0.0.1]");
        assertThatThrownBy(() -> noRoutes.selectIpv6Only(List.of(), List.of(), Optional.empty(), Optional.empty()))
                .as("the IPv4 default route does not count").hasMessageContaining("there is no IPv6 default route");
        assertThatThrownBy(() -> noRoutes.selectIpv6Only(List.of(), List.of(), Optional.of(Ip4.parse("127.0.0.1")), Optional.empty()))
                .hasMessageContaining("--public-ip 127.0.0.1 is an IPv4 address, but the network is IPv6-only").hasMessageContaining("--public-ipv6");
    }
}
