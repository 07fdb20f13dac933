package io.javaoverlay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.javaoverlay.core.net.Ip4;

class RouteToAddressTest {

    // /proc/net/route as the kernel prints it: a default route via eth0 (metric 100) and via eth1
    // (metric 200), 10.1.0.0/16 on eth1, 10.1.2.0/24 on eth2, and a route that is down on eth3
    static final String TABLE = """
            Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
            eth0\t00000000\t0101A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0
            eth1\t00000000\t0101A8C0\t0003\t0\t0\t200\t00000000\t0\t0\t0
            eth1\t0000010A\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0
            eth2\t0002010A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
            eth3\t0003010A\t00000000\t0000\t0\t0\t0\t00FFFFFF\t0\t0\t0
            """;

    @Test
    void theLongestPrefixThenTheLowestMetricWins(@TempDir Path dir) throws IOException {
        Path table = Files.writeString(dir.resolve("route"), TABLE);
        RouteToAddress routes = new RouteToAddress(table, table.resolveSibling("ipv6_route"));
        assertThat(routes.interfaceFor(Ip4.parse("10.1.2.3"))).contains("eth2");
        assertThat(routes.interfaceFor(Ip4.parse("10.1.9.9"))).contains("eth1");
        assertThat(routes.interfaceFor(Ip4.parse("10.1.3.1"))).as("eth3's route is down").contains("eth1");
        assertThat(routes.interfaceFor(Ip4.parse("8.8.8.8"))).contains("eth0");
        assertThat(routes.interfaceFor(Ip4.parse("127.0.0.9"))).as("the local table comes first").contains("lo");
    }

    @Test
    void noRouteIsEmpty(@TempDir Path dir) throws IOException {
        Path table = Files.writeString(dir.resolve("route"), TABLE.lines().limit(1).findFirst().orElseThrow() + "\n");
        assertThat(new RouteToAddress(table, table.resolveSibling("ipv6_route")).interfaceFor(Ip4.parse("10.9.9.9"))).isEmpty();
    }

    @Test
    void anIpv6AddressIsLookedUpInTheIpv6Table(@TempDir Path dir) throws IOException {
        Path table = Files.writeString(dir.resolve("route"), TABLE);
        Files.writeString(dir.resolve("ipv6_route"), """
                fd000e2e000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth1
                00000000000000000000000000000000 00 00000000000000000000000000000000 00 fd000e2e000000000000000000000001 00000400 00000003 00000000 00000003     eth0
                """);
        RouteToAddress routes = new RouteToAddress(table, dir.resolve("ipv6_route"));
        assertThat(routes.interfaceFor6("fd00:e2e::9")).contains("eth1");
        assertThat(routes.interfaceFor6("2001:db8::1")).contains("eth0");
        assertThat(routes.interfaceFor6("::1")).as("an address of this host").contains("lo");
        Files.writeString(dir.resolve("ipv6_route"), "");
        assertThat(routes.interfaceFor6("2001:db8::1")).isEmpty();
    }
}
