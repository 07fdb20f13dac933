package io.javaoverlay.core.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.javaoverlay.core.net.Ip6Net;

class Ipv6RouteTableTest {

    // /proc/net/ipv6_route as the kernel prints it (captured in a namespace, devices renamed):
    // fd00:e2e::/64 on eth0, fd00:e2e:0:1::/64 on eth1 (metric 1024) and again on eth2 (metric 256),
    // fd00:99::/64 on eth3 but not up, default routes via eth1 (1024) and eth2 (2048),
    // the local table's entry for this host's fd00:e2e::2 and the kernel's reject entry
    static final String TABLE = """
            fd000e2e000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0
            fd000e2e000000010000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000400 00000001 00000000 00000001     eth1
            fd000e2e000000010000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth2
            fd000099000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000000     eth3
            00000000000000000000000000000000 00 00000000000000000000000000000000 00 fd000e2e000000010000000000000001 00000400 00000003 00000000 00000003     eth1
            00000000000000000000000000000000 00 00000000000000000000000000000000 00 fd000e2e000000010000000000000001 00000800 00000003 00000000 00000003     eth2
            fd000e2e000000000000000000000002 80 00000000000000000000000000000000 00 00000000000000000000000000000000 00000000 00000004 00000000 80200001     eth0
            00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo
            """;

    @Test
    void theLongestPrefixThenTheLowestMetricWins(@TempDir Path dir) throws IOException {
        Ipv6RouteTable t = Ipv6RouteTable.read(Files.writeString(dir.resolve("ipv6_route"), TABLE));
        assertThat(t.interfaceFor(Ip6Net.parseAddress("fd00:e2e::7"), false)).contains("eth0");
        assertThat(t.interfaceFor(Ip6Net.parseAddress("fd00:e2e:0:1::9"), false)).as("metric 256 beats 1024").contains("eth2");
        assertThat(t.interfaceFor(Ip6Net.parseAddress("fd00:99::1"), false)).as("eth3's route is down: the default route").contains("eth1");
        assertThat(t.interfaceFor(Ip6Net.parseAddress("2001:db8::1"), false)).contains("eth1");
        assertThat(t.interfaceFor(Ip6Net.parseAddress("fd00:e2e::2"), true)).as("an address of this host").contains("lo");
        assertThat(t.defaultInterface()).as("lowest metric; the reject entry is none").contains("eth1");
    }

    @Test
    void noRouteIsEmptyAndAMissingFileIsAnEmptyTable(@TempDir Path dir) throws IOException {
        Ipv6RouteTable t = Ipv6RouteTable.read(Files.writeString(dir.resolve("ipv6_route"), TABLE.lines().skip(7).findFirst().orElseThrow()));
        assertThat(t.defaultInterface()).isEmpty();
        assertThat(t.interfaceFor(Ip6Net.parseAddress("fd00::1"), false)).isEmpty();
        assertThat(Ipv6RouteTable.read(dir.resolve("absent")).defaultInterface()).isEmpty();
    }
}
