package io.javaoverlay.core.lease;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.junit.jupiter.api.Test;

import io.javaoverlay.core.config.NetworkConfig;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;

class PickFreeTest {

    static Lease lease(String subnet, boolean reservation) {
        return new Lease(Ip4Net.parse(subnet), Optional.empty(), LeaseAttrs.of(Ip4.parse("1.1.1.1"), Optional.empty(), Optional.empty()),
                reservation, Optional.empty(), 1);
    }

    @Test
    void picksOnlyFreeSubnetsAndReachesEveryOne() {
        NetworkConfig c = NetworkConfig.parse("{\"Network\":\"10.0.0.0/24\",\"SubnetLen\":28}");
        List<Lease> taken = List.of(lease("10.0.0.16/28", false), lease("10.0.0.32/28", true),
                // a lease of another size (the config changed): every /28 it overlaps is taken
                lease("10.0.0.64/26", false), lease("10.1.0.0/28", false));
        Set<Ip4Net> seen = new HashSet<>();
        for (int i = 0; i < 2000; i++) {
            seen.add(SubnetManager.pickFree(c, taken, List.of()));
        }
        List<String> expected = new ArrayList<>();
        for (int i = 3; i < 16; i++) {
            if (i < 4 || i > 7) {
                expected.add("10.0.0." + (i * 16) + "/28");
            }
        }
        assertThat(seen).extracting(Ip4Net::toString).containsExactlyInAnyOrderElementsOf(expected);
    }

    @Test
    void saysWhenTheRangeIsFull() {
        NetworkConfig c = NetworkConfig.parse("{\"Network\":\"10.0.0.0/28\"}"); // /30s: 3 leasable
        List<Lease> taken = List.of(lease("10.0.0.4/30", false), lease("10.0.0.8/30", false), lease("10.0.0.12/30", true));
        assertThatThrownBy(() -> SubnetManager.pickFree(c, taken, List.of())).isInstanceOf(LeaseException.SubnetsExhaustedException.class)
                .hasMessage("no free subnet: all 3 subnets from 10.0.0.4/30 to 10.0.0.12/30 are taken (2 leases, 1 reservations);"
                        + " delete stale leases or widen the range (SubnetMin/SubnetMax, Network)");
    }

    @Test
    void neverPicksASubnetTheHostAlreadyRoutes() {
        // a SubnetMin/Max window over the underlay's own /24 (10.5.7.0/24 connected on eth0)
        NetworkConfig c = NetworkConfig.parse("{\"Network\":\"10.5.0.0/16\",\"SubnetMin\":\"10.5.6.0\",\"SubnetMax\":\"10.5.8.0\"}");
        List<Ip4Net> routes = List.of(Ip4Net.parse("10.5.7.0/24"), Ip4Net.parse("10.5.8.128/25"));
        Set<Ip4Net> seen = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            seen.add(SubnetManager.pickFree(c, List.of(), routes));
        }
        assertThat(seen).extracting(Ip4Net::toString).containsExactly("10.5.6.0/24");
        List<Lease> leased = List.of(lease("10.5.6.0/24", false));
        assertThatThrownBy(() -> SubnetManager.pickFree(c, leased, routes)).isInstanceOf(LeaseException.SubnetsExhaustedException.class)
                .hasMessageContaining("(1 leases, 0 reservations, 2 routed by this host: [10.5.7.0/24, 10.5.8.128/25])");
    }

    @Test
    void aKeyWiderThanTheNetworkDoesNotTakeEverySubnet() {
        NetworkConfig c = NetworkConfig.parse("{\"Network\":\"10.0.0.0/28\"}"); // /30s: 3 leasable
        List<Lease> hostile = List.of(lease("0.0.0.0/0", true), lease("0.0.0.0/1", false), lease("10.0.0.4/30", false));
        Set<Ip4Net> seen = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            seen.add(SubnetManager.pickFree(c, hostile, List.of()));
        }
        assertThat(seen).extracting(Ip4Net::toString).containsExactlyInAnyOrder("10.0.0.8/30", "10.0.0.12/30");
    }
}
