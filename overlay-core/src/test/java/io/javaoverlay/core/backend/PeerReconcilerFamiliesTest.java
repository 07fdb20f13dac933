package io.javaoverlay.core.backend;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.junit.jupiter.api.Test;

import io.javaoverlay.core.lease.Lease;
import io.javaoverlay.core.lease.LeaseEvent;
import io.javaoverlay.core.lease.LeaseId;
import io.javaoverlay.core.netlink.Errno;
import io.javaoverlay.core.netlink.NetlinkException;

/**
 * A backend's reconcilers, one per address family, driven together ({@link PeerReconciler#handleAll},
 * {@link PeerReconciler#recheckAll}, {@link PeerReconciler#programmedPeers}); a family not in use is null.
 */
class PeerReconcilerFamiliesTest {

    /** A family's paths in memory: a peer's path is {@code <family> <subnet>}; subnets in {@code refused} fail to program. */
    static final class Table implements PeerReconciler.Paths<String> {
        final String family;
        final Set<String> kernel = new HashSet<>();
        final Set<String> refused = new HashSet<>();

        Table(String family) {
            this.family = family;
        }

        @Override
        public Optional<String> path(Lease lease) {
            return Optional.of(family + " " + lease.subnet());
        }

        @Override
        public void program(String peer, String before, Map<LeaseId, String> programmed) {
            if (refused.contains(peer)) {
                throw new NetlinkException("RTM_NEWROUTE failed: Invalid argument (EINVAL)", Errno.EINVAL, "RTM_NEWROUTE");
            }
            kernel.add(peer);
        }

        @Override
        public void unprogram(String gone, Map<LeaseId, String> remaining) {
            kernel.remove(gone);
        }

        @Override
        public void cleanUpStale(Map<LeaseId, String> wanted) {}

        @Override
        public Map<LeaseId, String> damaged(Map<LeaseId, String> programmed) {
            return Map.of();
        }
    }

    private final Table v4 = new Table("IPv4");
    private final Table v6 = new Table("IPv6");
    private final PeerReconciler<String> peers = new PeerReconciler<>(v4);
    private final PeerReconciler<String> peers6 = new PeerReconciler<>(v6);

    @Test
    void everyFamilyInUseGetsTheBatchAndTheFirstOneInUseIsCounted() {
        Lease two = PeerAdmissionTest.lease("10.244.2.0/24", "192.168.213.12");
        PeerReconciler.handleAll(List.of(new LeaseEvent.Added(two), new LeaseEvent.Added(PeerAdmissionTest.lease("10.244.3.0/24",
                "192.168.213.13"))), peers, null, peers6);
        assertThat(v4.kernel).containsExactlyInAnyOrder("IPv4 10.244.2.0/24", "IPv4 10.244.3.0/24");
        assertThat(v6.kernel).containsExactlyInAnyOrder("IPv6 10.244.2.0/24", "IPv6 10.244.3.0/24");

        PeerReconciler.handleAll(List.of(new LeaseEvent.Removed(two)), peers, peers6);
        assertThat(v4.kernel).containsExactly("IPv4 10.244.3.0/24");
        assertThat(v6.kernel).containsExactly("IPv6 10.244.3.0/24");
        assertThat(PeerReconciler.programmedPeers(peers, peers6)).isEqualTo(1);
        assertThat(PeerReconciler.programmedPeers(null, peers6)).as("IPv6-only: the IPv6 family's").isEqualTo(1);
        assertThat(PeerReconciler.programmedPeers(null, null)).isZero();
    }

    @Test
    void aRecheckOfAllRetriesWhatFailedInEachFamily() {
        v4.refused.add("IPv4 10.244.2.0/24");
        v6.refused.add("IPv6 10.244.2.0/24");
        PeerReconciler.handleAll(List.of(new LeaseEvent.Added(PeerAdmissionTest.lease("10.244.2.0/24", "192.168.213.12"))), peers, peers6);
        assertThat(PeerReconciler.anyFailed(peers, peers6)).isTrue();
        assertThat(PeerReconciler.programmedPeers(peers, peers6)).isZero();

        v4.refused.clear();
        PeerReconciler.recheckAll(peers, null, peers6);
        assertThat(v4.kernel).containsExactly("IPv4 10.244.2.0/24");
        assertThat(PeerReconciler.anyFailed(peers, peers6)).as("IPv6 still refused").isTrue();

        v6.refused.clear();
        PeerReconciler.recheckAll(peers, peers6);
        assertThat(v6.kernel).containsExactly("IPv6 10.244.2.0/24");
        assertThat(PeerReconciler.anyFailed(peers, peers6)).isFalse();
    }
}
