package io.javaoverlay.core.lease;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.Ip6Net;

/** A lease without an IPv4 half: no placeholder subnet exists, so IPv4 code cannot program one. */
class Ipv6OnlyLeaseTest {

    static final LeaseAttrs ATTRS = new LeaseAttrs(Ip4.parse("0.0.0.0"), Optional.of("fd00:e2e::2"), Optional.of("host-gw"),
            Optional.empty(), Optional.empty());

    @Test
    void anIpv6OnlyLeaseHasNoIpv4SubnetToHandOut() {
        Lease l = Lease.ipv6Only(Ip6Net.parse("fc00:5:0:3a::/64"), ATTRS, false, Optional.empty(), 0);
        assertThat(l.isIpv6Only()).isTrue();
        assertThat(l.ipv4Subnet()).isEmpty();
        assertThatThrownBy(l::subnet).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("the IPv6-only lease fc00:5:0:3a::/64 has no IPv4 subnet");
        assertThat(l.id()).isEqualTo(LeaseId.ofIpv6Only(Ip6Net.parse("fc00:5:0:3a::/64")));
        assertThat(l.keyName()).isEqualTo("fc00:5:0:3a::-64");
        assertThat(l).hasToString("fc00:5:0:3a::/64 (IPv6 only) " + ATTRS.toJson());
    }

    @Test
    void aLeaseNeedsASubnetOfSomeFamily() {
        assertThatThrownBy(() -> new Lease(Optional.empty(), Optional.empty(), ATTRS, false, Optional.empty(), 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Lease((Ip4Net) null, Optional.empty(), ATTRS, false, Optional.empty(), 0))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void ipv4AndDualStackLeasesAreNamedAndKeyedAsBefore() {
        Lease v4 = new Lease(Ip4Net.parse("10.5.52.0/24"), Optional.empty(), ATTRS, false, Optional.empty(), 0);
        Lease dual = new Lease(Ip4Net.parse("10.5.52.0/24"), Optional.of(Ip6Net.parse("fc00:5:34::/64")), ATTRS, false, Optional.empty(), 0);
        assertThat(v4.keyName()).isEqualTo("10.5.52.0-24");
        assertThat(dual.keyName()).isEqualTo("10.5.52.0-24&fc00:5:34::-64");
        assertThat(dual.id()).as("a dual-stack lease is named by its IPv4 half").isEqualTo(v4.id()).isEqualTo(LeaseId.of(Ip4Net.parse("10.5.52.0/24")));
        assertThat(dual.isIpv6Only()).isFalse();
        assertThat(dual.subnet()).isEqualTo(Ip4Net.parse("10.5.52.0/24"));
        assertThat(v4).hasToString("10.5.52.0/24 " + ATTRS.toJson());
        assertThat(dual).hasToString("10.5.52.0/24 fc00:5:34::/64 " + ATTRS.toJson());
    }

    @Test
    void theIpv6HalfOfADualStackLeaseIsAnIpv6OnlyLease() {
        Lease dual = new Lease(Ip4Net.parse("10.5.52.0/24"), Optional.of(Ip6Net.parse("fc00:5:34::/64")), ATTRS, false, Optional.empty(), 7);
        Lease half = dual.ipv6Half();
        assertThat(half.ipv4Subnet()).isEmpty();
        assertThat(half.ipv6Subnet()).contains(Ip6Net.parse("fc00:5:34::/64"));
        assertThat(half.attrs()).isEqualTo(dual.attrs());
        assertThat(half.revision()).isEqualTo(7);
        Lease v4 = new Lease(Ip4Net.parse("10.5.52.0/24"), Optional.empty(), ATTRS, false, Optional.empty(), 0);
        assertThatThrownBy(v4::ipv6Half).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void keysOfIpv6OnlyLeasesAreNotReadFromAStore() {
        // flannel's etcd manager writes no IPv6-only key; a key without an IPv4 half is no lease key here
        assertThat(Lease.parseKeyName("fc00:5:34::-64")).isEmpty();
        assertThat(Lease.parseKeyName("10.5.52.0-24&fc00:5:34::-64")).isPresent();
    }

    @Test
    void idsSortIpv4LeasesFirstThenIpv6OnlyOnes() {
        List<LeaseId> ids = new ArrayList<>(List.of(LeaseId.ofIpv6Only(Ip6Net.parse("fc00:5:0:3b::/64")),
                LeaseId.of(Ip4Net.parse("10.5.9.0/24")), LeaseId.ofIpv6Only(Ip6Net.parse("fc00:5:0:3a::/64")),
                LeaseId.of(Ip4Net.parse("10.5.1.0/24"))));
        Collections.sort(ids);
        assertThat(ids).extracting(LeaseId::toString).containsExactly("10.5.1.0/24", "10.5.9.0/24", "fc00:5:0:3a::/64", "fc00:5:0:3b::/64");
        assertThatThrownBy(() -> new LeaseId(Optional.of(Ip4Net.parse("10.5.1.0/24")), Optional.of(Ip6Net.parse("fc00::/64"))))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
