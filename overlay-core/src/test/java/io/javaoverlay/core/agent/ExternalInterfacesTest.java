package io.javaoverlay.core.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.javaoverlay.core.backend.ExternalInterface;
import io.javaoverlay.core.net.Ip4;

/** Interface selection on what every machine has: lo with 127.0.0.1/8, and a route table we write. */
class ExternalInterfacesTest {

    @TempDir
    Path dir;

    ExternalInterfaces withRoutes(String... lines) throws IOException {
        Path f = dir.resolve("route");
        Files.writeString(f, "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
                + String.join("\n", lines) + "\n");
        return new ExternalInterfaces(f);
    }

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
}
