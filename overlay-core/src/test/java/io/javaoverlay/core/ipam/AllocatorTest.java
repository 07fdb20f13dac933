package io.javaoverlay.core.ipam;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.junit.jupiter.api.Test;

import io.javaoverlay.core.config.SubnetEnv;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;

class AllocatorTest {

    private final MemoryStore store = new MemoryStore();
    private final Allocator allocator = Allocator.forHost(
            SubnetEnv.of(Ip4Net.parse("10.5.0.0/16"), Ip4Net.parse("10.5.72.0/24"), 1450, true), store);

    private static Owner pod(String id) {
        return Owner.cni("podnet", id, "eth0");
    }

    @Test
    void firstAddressIsTheOneAfterTheGatewayWithTheSubnetsPrefix() {
        Allocation a = allocator.allocate(pod("a"));
        assertThat(a.address()).hasToString("10.5.72.2/24");
        assertThat(a.gateway()).isEqualTo(Ip4.parse("10.5.72.1"));
        assertThat(a.alreadyHeld()).isFalse();
    }

    @Test
    void aFreedAddressIsNotReusedAtOnce() {
        Ip4 a = allocator.allocate(pod("a")).ip();
        assertThat(allocator.reservations().release(pod("a"))).containsExactly(a.toString());
        Ip4 b = allocator.allocate(pod("b")).ip();
        assertThat(b).isNotEqualTo(a).isEqualTo(a.plus(1));
    }

    @Test
    void handsOutEveryUsableAddressOnceThenSaysExhausted() {
        Set<Ip4> seen = new HashSet<>();
        for (int i = 0; i < 253; i++) {
            assertThat(seen.add(allocator.allocate(pod("p" + i)).ip())).isTrue();
        }
        assertThat(seen).doesNotContain(Ip4.parse("10.5.72.0"), Ip4.parse("10.5.72.1"), Ip4.parse("10.5.72.255"));
        assertThat(seen).allMatch(ip -> Ip4Net.parse("10.5.72.0/24").contains(ip));
        assertThatThrownBy(() -> allocator.allocate(pod("one-too-many")))
                .isInstanceOfSatisfying(IpamException.class, e -> assertThat(e.kind()).isEqualTo(IpamException.Kind.EXHAUSTED))
                .hasMessageContaining("no free address in 10.5.72.0/24");
    }

    @Test
    void wrapsAroundPastTheBroadcastAddressSkippingTheGateway() {
        for (int i = 0; i < 253; i++) {
            allocator.allocate(pod("p" + i));
        }
        // free an early one and the last one: the search resumes after .254, wraps, finds .5
        allocator.reservations().releaseAddress(Ip4.parse("10.5.72.5"));
        assertThat(allocator.allocate(pod("late")).ip()).isEqualTo(Ip4.parse("10.5.72.5"));
    }

    @Test
    void gatewayNeedNotBeDotOne() {
        Allocator odd = new Allocator(Ip4Net.parse("10.5.9.0/29"), Ip4.parse("10.5.9.3"), new MemoryStore());
        List<Ip4> got = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            got.add(odd.allocate(pod("p" + i)).ip());
        }
        assertThat(got).extracting(Ip4::toString)
                .containsExactly("10.5.9.1", "10.5.9.2", "10.5.9.4", "10.5.9.5", "10.5.9.6");
    }

    @Test
    void aRepeatedRequestReturnsTheSameAddressMarkedAlreadyHeld() {
        Allocation first = allocator.allocate(pod("a"));
        Allocation again = allocator.allocate(pod("a"));
        assertThat(again.ip()).isEqualTo(first.ip());
        assertThat(again.alreadyHeld()).isTrue();
        assertThat(allocator.reservations().all()).hasSize(1);
        // another interface of the same container is another owner
        assertThat(allocator.allocate(Owner.cni("podnet", "a", "eth1")).ip()).isNotEqualTo(first.ip());
    }

    @Test
    void honoursARequestedAddressWhenFree() {
        Ip4 want = Ip4.parse("10.5.72.77");
        assertThat(allocator.allocate(pod("a"), Optional.of(want)).ip()).isEqualTo(want);
        assertThatThrownBy(() -> allocator.allocate(pod("b"), Optional.of(want)))
                .isInstanceOfSatisfying(IpamException.class, e -> assertThat(e.kind()).isEqualTo(IpamException.Kind.UNAVAILABLE))
                .hasMessageContaining("already in use by cni/podnet:a/eth0");
        // round-robin continues after the requested one
        assertThat(allocator.allocate(pod("c")).ip()).isEqualTo(Ip4.parse("10.5.72.78"));
    }

    @Test
    void refusesToHandOutGatewayNetworkBroadcastOrForeignAddresses() {
        for (String bad : List.of("10.5.72.0", "10.5.72.1", "10.5.72.255", "10.5.73.4")) {
            assertThatThrownBy(() -> allocator.allocate(pod("x"), Optional.of(Ip4.parse(bad))))
                    .isInstanceOfSatisfying(IpamException.class, e -> assertThat(e.kind()).isEqualTo(IpamException.Kind.UNAVAILABLE))
                    .hasMessageContaining(bad);
        }
        assertThat(allocator.reservations().all()).isEmpty();
    }

    @Test
    void releaseIsIdempotentAndByOwnerOrAddress() {
        Ip4 a = allocator.allocate(pod("a")).ip();
        Ip4 b = allocator.allocate(pod("b")).ip();
        assertThat(allocator.reservations().release(pod("a"))).containsExactly(a.toString());
        assertThat(allocator.reservations().release(pod("a"))).isEmpty();
        assertThat(allocator.reservations().releaseAddress(b)).contains(pod("b"));
        assertThat(allocator.reservations().releaseAddress(b)).isEmpty();
        assertThat(allocator.reservations().all()).isEmpty();
    }

    @Test
    void releaseIfCollectsOnlyTheMatchingOwners() {
        allocator.allocate(pod("keep"));
        allocator.allocate(pod("stale"));
        Ip4 docker = allocator.allocate(Owner.of("docker", "pool1", "")).ip();
        List<String> freed = allocator.reservations().releaseIf(o -> o.client().equals("cni/podnet") && !o.id().equals("keep"));
        assertThat(freed).hasSize(1);
        assertThat(allocator.reservations().all().values()).containsExactlyInAnyOrder(pod("keep"), Owner.of("docker", "pool1", ""));
        assertThat(allocator.reservations().all()).containsKey(docker);
    }

    @Test
    void rejectsSubnetsWithNoRoomForContainers() {
        assertThatThrownBy(() -> new Allocator(Ip4Net.parse("10.5.72.0/31"), Ip4.parse("10.5.72.0"), store))
                .hasMessageContaining("too small");
        Allocator tiny = new Allocator(Ip4Net.parse("10.5.72.0/30"), Ip4.parse("10.5.72.1"), store);
        assertThat(tiny.allocate(pod("a")).ip()).isEqualTo(Ip4.parse("10.5.72.2"));
        assertThatThrownBy(() -> tiny.allocate(pod("b"))).isInstanceOf(IpamException.class);
    }

    @Test
    void ownerFieldsMustFitOneLine() {
        assertThatThrownBy(() -> Owner.cni("net", "a\nb", "eth0")).hasMessageContaining("control character");
        assertThatThrownBy(() -> Owner.cni("net", "", "eth0")).hasMessageContaining("id is missing");
    }
}
