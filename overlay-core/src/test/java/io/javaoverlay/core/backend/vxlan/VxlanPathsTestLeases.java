package io.javaoverlay.core.backend.vxlan;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.javaoverlay.core.backend.FakeKernelTables;
import io.javaoverlay.core.backend.PeerReconciler;
import io.javaoverlay.core.lease.Lease;
import io.javaoverlay.core.lease.LeaseAttrs;
import io.javaoverlay.core.lease.LeaseEvent;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;

/** Leases, and the check of a removed peer, for the vxlan path tests of both families. */
final class VxlanPathsTestLeases {

    private VxlanPathsTestLeases() {}

    /** An IPv4-only vxlan lease. */
    static Lease ipv4(String subnet, String publicIp, String mac) {
        return new Lease(Ip4Net.parse(subnet), Optional.empty(), LeaseAttrs.of(Ip4.parse(publicIp), Optional.of("vxlan"),
                Optional.of(new ObjectMapper().createObjectNode().put("VNI", 1).put("VtepMAC", mac))), false, Optional.empty(), 1);
    }

    /** Removes {@code lease}'s peer: the kernel sees exactly {@code writes}, in order, and keeps no route, neighbour or FDB entry. */
    static void removeLeavesNothing(PeerReconciler<VxlanPeer> peers, FakeKernelTables kernel, Lease lease, String... writes) {
        kernel.writes.clear();
        peers.handle(List.of(new LeaseEvent.Removed(lease)));
        assertThat(kernel.writes).containsExactly(writes);
        assertThat(kernel.routes).isEmpty();
        assertThat(kernel.neighbours).isEmpty();
        assertThat(kernel.fdb).isEmpty();
    }
}
