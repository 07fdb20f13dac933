package io.javaoverlay.core.lease;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;

class LeaseWatcherTest {

    static final Ip4Net OWN = Ip4Net.parse("10.1.1.0/24");

    static Lease lease(String subnet, String ip, long rev) {
        return new Lease(Ip4Net.parse(subnet), Optional.empty(), LeaseAttrs.of(Ip4.parse(ip), Optional.of("vxlan"), Optional.empty()),
                false, Optional.empty(), rev);
    }

    @Test
    void aSnapshotBecomesTheDifferenceFromWhatWasKnown() {
        LeaseWatcher w = new LeaseWatcher(OWN);
        assertThat(w.reset(List.of(lease("10.1.1.0/24", "1.1.1.1", 1), lease("10.1.2.0/24", "1.1.1.2", 2),
                lease("10.1.3.0/24", "1.1.1.3", 3)))).extracting(e -> e.getClass().getSimpleName() + " " + e.lease().subnet())
                .containsExactlyInAnyOrder("Added 10.1.2.0/24", "Added 10.1.3.0/24");
        assertThat(w.ownLease()).isPresent();

        List<LeaseEvent> diff = w.reset(List.of(lease("10.1.1.0/24", "1.1.1.1", 1), lease("10.1.2.0/24", "9.9.9.9", 7),
                lease("10.1.4.0/24", "1.1.1.4", 8)));
        assertThat(diff).extracting(e -> e.getClass().getSimpleName() + " " + e.lease().subnet() + " " + e.lease().attrs().publicIp())
                .containsExactlyInAnyOrder("Changed 10.1.2.0/24 9.9.9.9", "Added 10.1.4.0/24 1.1.1.4", "Removed 10.1.3.0/24 1.1.1.3");
        assertThat(w.ownLeaseRemoved()).isFalse();
        w.reset(List.of());
        assertThat(w.ownLeaseRemoved()).isTrue();
    }

    @Test
    void keyEventsBecomePeerEventsAndTheOwnLeaseIsKeptApart() {
        LeaseWatcher w = new LeaseWatcher(OWN);
        w.reset(List.of(lease("10.1.1.0/24", "1.1.1.1", 1)));
        List<LeaseEvent> batch = w.update(List.of(
                new LeaseStore.KeyEvent.Put(lease("10.1.2.0/24", "1.1.1.2", 2)),
                new LeaseStore.KeyEvent.Put(lease("10.1.2.0/24", "1.1.1.2", 3)), // a flannel renewal: same attributes
                new LeaseStore.KeyEvent.Put(lease("10.1.1.0/24", "1.1.1.1", 4)),
                new LeaseStore.KeyEvent.Deleted(Ip4Net.parse("10.1.9.0/24")), // never known
                new LeaseStore.KeyEvent.Deleted(Ip4Net.parse("10.1.2.0/24"))));
        assertThat(batch).extracting(e -> e.getClass().getSimpleName() + " " + e.lease().attrs().publicIp())
                .containsExactly("Added 1.1.1.2", "Removed 1.1.1.2");
        assertThat(w.peers()).isEmpty();
        w.update(List.of(new LeaseStore.KeyEvent.Deleted(OWN)));
        assertThat(w.ownLeaseRemoved()).isTrue();
    }
}
