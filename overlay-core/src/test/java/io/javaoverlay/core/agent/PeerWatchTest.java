package io.javaoverlay.core.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.javaoverlay.core.lease.DiskLeaseStore;
import io.javaoverlay.core.lease.Lease;
import io.javaoverlay.core.lease.LeaseAttrs;
import io.javaoverlay.core.lease.LeaseEvent;
import io.javaoverlay.core.lease.LeaseId;
import io.javaoverlay.core.lease.SubnetManager;
import io.javaoverlay.core.metrics.OverlayMetrics;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;

/** What the agent's watch does when the store's history changed, against a real embedded store. */
class PeerWatchTest {

    static final Ip4 OURS = Ip4.parse("192.168.1.5");

    @TempDir
    Path dir;

    SubnetManager sm;
    StoreEvents events = new StoreEvents();
    PeerWatch watch;

    static LeaseAttrs attrs(Ip4 ip) {
        return LeaseAttrs.of(ip, Optional.empty(), Optional.empty());
    }

    @BeforeEach
    void start() {
        sm = new SubnetManager(new DiskLeaseStore(dir.resolve("leases"), Optional.empty()), Duration.ofHours(1));
        sm.store().create(Ip4Net.parse("10.5.1.0/24"), attrs(OURS), sm.ttl());
        watch = new PeerWatch(sm, LeaseId.of(Ip4Net.parse("10.5.1.0/24")), OURS, events, SubnetManager.listener(b -> {}, o -> {}), Duration.ZERO, new OverlayMetrics());
        watch.start(sm.leases());
    }

    @AfterEach
    void stop() {
        watch.close();
        sm.close();
    }

    @Test
    void afterAHistoryChangeItsOwnStaleLeaseGoesAndPeersStillMissingAfterTheGraceAreRemoved() {
        // a backup from before this host moved: its old subnet, under its public IP
        sm.store().create(Ip4Net.parse("10.5.9.0/24"), attrs(OURS), sm.ttl());
        Lease back = sm.store().create(Ip4Net.parse("10.5.2.0/24"), attrs(Ip4.parse("192.168.1.6")), sm.ttl());
        Lease lost = new Lease(Ip4Net.parse("10.5.3.0/24"), Optional.empty(), attrs(Ip4.parse("192.168.1.7")), false, Optional.empty(), 1);

        assertThat(watch.afterGuard(true, () -> List.of(back, lost))).as("nothing removed at the relisting").isEmpty();
        assertThat(sm.store().get(Ip4Net.parse("10.5.9.0/24"))).as("this host's stale lease").isEmpty();
        assertThat(events.recent()).anySatisfy(e -> assertThat(e.event()).contains("deleted the stale lease 10.5.9.0/24"));

        assertThat(watch.afterGuard(false, () -> List.of(back, lost))).containsExactly(new LeaseEvent.Removed(lost));
        assertThat(watch.afterGuard(false, () -> List.of(back, lost))).as("once").isEmpty();
    }

    @Test
    void withoutAHistoryChangeNothingIsListedOrRemoved() {
        Lease lost = new Lease(Ip4Net.parse("10.5.3.0/24"), Optional.empty(), attrs(Ip4.parse("192.168.1.7")), false, Optional.empty(), 1);
        assertThat(watch.afterGuard(false, () -> List.of(lost))).isEmpty();
    }
}
