package io.javaoverlay.core.ipam;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.javaoverlay.core.config.SubnetEnv;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.Ip6Net;

class Allocator6Test {

    private static final SubnetEnv DUAL = SubnetEnv.of(Ip4Net.parse("10.5.0.0/16"), Ip4Net.parse("10.5.72.0/24"),
            Optional.of(Ip6Net.parse("fc00:5::/48")), Optional.of(Ip6Net.parse("fc00:5:0:34::/64")), 1450, true);

    private final MemoryStore store = new MemoryStore();
    private final Allocator6 allocator = Allocator6.forHost(DUAL, store).orElseThrow();

    @TempDir
    Path dir;

    private static Owner pod(String id) {
        return Owner.cni("podnet", id, "eth0");
    }

    private static BigInteger ip(String text) {
        return Ip6Net.parseAddress(text);
    }

    @Test
    void theHostsIpv6SubnetGivesTheAddressAfterTheGatewayWithTheSubnetsPrefix() {
        assertThat(allocator.gatewayAddress()).hasToString("fc00:5:0:34::1/64");
        Allocation6 a = allocator.allocate(pod("a"));
        assertThat(a.address()).hasToString("fc00:5:0:34::2/64");
        assertThat(a.gatewayText()).isEqualTo("fc00:5:0:34::1");
        assertThat(a.alreadyHeld()).isFalse();
    }

    @Test
    void noIpv6SubnetInSubnetEnvMeansNoIpv6Allocator() {
        SubnetEnv v4 = SubnetEnv.of(Ip4Net.parse("10.5.0.0/16"), Ip4Net.parse("10.5.72.0/24"), 1450, true);
        assertThat(Allocator6.forHost(v4, store)).isEmpty();
    }

    @Test
    void aRepeatedRequestGetsTheSameAddressBack() {
        BigInteger a = allocator.allocate(pod("a")).ip();
        Allocation6 again = allocator.allocate(pod("a"));
        assertThat(again.ip()).isEqualTo(a);
        assertThat(again.alreadyHeld()).isTrue();
        assertThat(new Reservations(store).all6()).hasSize(1);
    }

    @Test
    void aFreedAddressIsNotReusedAtOnceAndReleaseFreesBothFamilies() {
        Allocator v4 = Allocator.forHost(DUAL, store);
        Ip4 a4 = v4.allocate(pod("a")).ip();
        BigInteger a6 = allocator.allocate(pod("a")).ip();
        assertThat(new Reservations(store).release(pod("a"))).containsExactly(a4.toString(), Ip6Net.format(a6));
        assertThat(new Reservations(store).all()).isEmpty();
        assertThat(new Reservations(store).all6()).isEmpty();
        assertThat(allocator.allocate(pod("b")).ip()).isEqualTo(a6.add(BigInteger.ONE));
    }

    @Test
    void aSmallSubnetIsHandedOutOnceThenExhaustedWrappingPastItsLastAddress() {
        Allocator6 small = new Allocator6(Ip6Net.parse("fc00:5:34::/126"), ip("fc00:5:34::1"), store);
        Set<BigInteger> seen = new HashSet<>();
        seen.add(small.allocate(pod("p1")).ip());
        seen.add(small.allocate(pod("p2")).ip());
        assertThat(seen).containsExactlyInAnyOrder(ip("fc00:5:34::2"), ip("fc00:5:34::3"));
        assertThatThrownBy(() -> small.allocate(pod("p3")))
                .isInstanceOfSatisfying(IpamException.class, e -> assertThat(e.kind()).isEqualTo(IpamException.Kind.EXHAUSTED))
                .hasMessageContaining("no free IPv6 address in fc00:5:34::/126");
        new Reservations(store).release(pod("p1"));
        assertThat(small.allocate(pod("p4")).ip()).as("wraps around to the freed one").isEqualTo(ip("fc00:5:34::2"));
    }

    @Test
    void otherSubnetsReservationsAreNotTheOwnersAddressHere() {
        try (Store.Lock l = store.lock()) {
            store.ip6().reserve(ip("fc00:5:0:99::7"), pod("a")); // from an earlier lease
        }
        assertThat(allocator.allocate(pod("a")).address()).hasToString("fc00:5:0:34::2/64");
    }

    @Test
    void refusesASubnetWithNoRoomAndAGatewayOutside() {
        assertThatThrownBy(() -> new Allocator6(Ip6Net.parse("fc00::/127"), ip("fc00::1"), store)).hasMessageContaining("too small");
        assertThatThrownBy(() -> new Allocator6(Ip6Net.parse("fc00::/64"), ip("fc01::1"), store)).hasMessageContaining("not inside");
    }

    @Test
    void onDiskEachIpv6AddressIsAFileInRfc5952FormBesideTheIpv4OnesAndAnOlderReaderIgnoresThem() throws Exception {
        Path data = dir.resolve("ipam");
        DiskStore disk = DiskStore.open(data);
        Ip4 a4 = Allocator.forHost(DUAL, disk).allocate(pod("c0ffee")).ip();
        BigInteger a6 = Allocator6.forHost(DUAL, disk).orElseThrow().allocate(pod("c0ffee")).ip();
        assertThat(Files.readString(data.resolve("fc00:5:0:34::2"))).isEqualTo("client=cni/podnet\nid=c0ffee\nifname=eth0\n");
        assertThat(Files.readString(data.resolve(DiskStore.LAST_RESERVED6_FILE)).strip()).isEqualTo("fc00:5:0:34::2");
        try (var files = Files.list(data)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("lock", "last_reserved_ip",
                    "last_reserved_ip6", a4.toString(), "fc00:5:0:34::2");
        }
        DiskStore fresh = DiskStore.open(data);
        assertThat(new Reservations(fresh).all()).containsOnlyKeys(a4);
        assertThat(new Reservations(fresh).all6()).containsOnlyKeys(a6);
        assertThat(new Reservations(fresh).addressOf6(pod("c0ffee"))).contains(a6);
        // a record spelled otherwise (not what this store writes) holds nothing
        Files.writeString(data.resolve("fc00:5:0:34:0:0:0:9"), "client=x\nid=y\n");
        assertThat(new Reservations(fresh).all6()).containsOnlyKeys(a6);
        assertThat(Allocator6.forHost(DUAL, fresh).orElseThrow().allocate(pod("d")).ip()).as("round-robin remembered on disk")
                .isEqualTo(a6.add(BigInteger.ONE));
        assertThat(new Reservations(fresh).releaseAddress6(a6)).contains(pod("c0ffee"));
        assertThat(Files.exists(data.resolve("fc00:5:0:34::2"))).isFalse();
    }

    @Test
    void aRequestedAddressIsGivenWhenFreeAndInsideAndRefusedOtherwise() {
        assertThat(allocator.allocate(pod("a"), Optional.of(ip("fc00:5:0:34::99"))).address()).hasToString("fc00:5:0:34::99/64");
        assertThat(allocator.allocate(pod("a"), Optional.of(ip("fc00:5:0:34::99"))).alreadyHeld()).isTrue();
        for (String bad : new String[] {"fc00:5:0:34::99", "fc00:5:0:34::1", "fc00:5:0:34::", "fc00:5:0:35::9"}) {
            assertThatThrownBy(() -> allocator.allocate(pod("b"), Optional.of(ip(bad))))
                    .isInstanceOfSatisfying(IpamException.class, e -> assertThat(e.kind()).isEqualTo(IpamException.Kind.UNAVAILABLE));
        }
        assertThatThrownBy(() -> allocator.allocate(pod("a"), Optional.of(ip("fc00:5:0:34::98"))))
                .hasMessageContaining("already holds fc00:5:0:34::99");
        assertThat(new Reservations(store).all6()).hasSize(1);
    }
}
