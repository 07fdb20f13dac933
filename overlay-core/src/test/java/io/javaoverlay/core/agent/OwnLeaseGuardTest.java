package io.javaoverlay.core.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;

import io.javaoverlay.core.lease.DiskLeaseStore;
import io.javaoverlay.core.lease.Lease;
import io.javaoverlay.core.lease.LeaseAttrs;
import io.javaoverlay.core.lease.SubnetManager;
import io.javaoverlay.core.metrics.OverlayMetrics;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;

/** The guard of this host's lease against a real embedded store in a temporary directory. */
class OwnLeaseGuardTest {

    static final Ip4Net SUBNET = Ip4Net.parse("10.5.7.0/24");

    @TempDir
    Path dir;

    SubnetManager sm;
    LeaseAttrs ours;
    Lease own;
    StoreEvents events;
    OwnLeaseGuard guard;

    static LeaseAttrs attrs(String ip, String mac) {
        return LeaseAttrs.of(Ip4.parse(ip), Optional.of("vxlan"),
                Optional.of(JsonNodeFactory.instance.objectNode().put("VNI", 1).put("VtepMAC", mac)));
    }

    @BeforeEach
    void start() {
        sm = new SubnetManager(new DiskLeaseStore(dir.resolve("leases"), Optional.empty()), Duration.ofHours(1));
        ours = attrs("192.168.1.5", "0e:00:00:00:00:05");
        own = sm.store().create(SUBNET, ours, sm.ttl());
        events = new StoreEvents();
        guard = new OwnLeaseGuard(sm, own, ours, sm.leases().revision(), events, new OverlayMetrics());
    }

    @Test
    void aKeyAsItWasWrittenIsLeftAlone() {
        long revision = sm.leases().revision();
        OwnLeaseGuard.Result r = guard.check();
        assertThat(r.takenBy()).isEmpty();
        assertThat(r.historyChanged()).isEmpty();
        assertThat(sm.leases().revision()).as("nothing written").isEqualTo(revision);
        assertThat(events.recent()).isEmpty();
    }

    @Test
    void aDeletedKeyIsPutBackWithTheSameSubnetAndAttributes() {
        sm.store().delete(SUBNET);
        guard.deletionSeen();
        OwnLeaseGuard.Result r = guard.check();
        assertThat(r.takenBy()).isEmpty();
        assertThat(r.historyChanged()).as("a deletion the watch saw is not a new history").isEmpty();
        assertThat(sm.store().get(SUBNET)).hasValueSatisfying(l -> assertThat(l.attrs()).isEqualTo(ours));
        assertThat(events.recent()).singleElement().satisfies(e -> assertThat(e.event()).contains("put it back"));
    }

    @Test
    void aKeyGoneUnseenIsTakenForAStoreRebuiltAndPutBack() {
        sm.store().delete(SUBNET);
        OwnLeaseGuard.Result r = guard.check();
        assertThat(r.historyChanged()).isPresent();
        assertThat(sm.store().get(SUBNET)).isPresent();
    }

    @Test
    void anotherHostsLeaseOnTheSubnetIsNeverOverwritten() {
        LeaseAttrs theirs = attrs("192.168.1.9", "0e:00:00:00:00:09");
        Lease there = sm.store().get(SUBNET).orElseThrow();
        sm.store().update(there, theirs, sm.ttl());
        OwnLeaseGuard.Result r = guard.check();
        assertThat(r.takenBy()).hasValueSatisfying(l -> assertThat(l.attrs().publicIp()).isEqualTo(Ip4.parse("192.168.1.9")));
        assertThat(sm.store().get(SUBNET)).hasValueSatisfying(l -> assertThat(l.attrs()).isEqualTo(theirs));
    }

    @Test
    void oldAttributesUnderThisHostsPublicIpAreWrittenBack() {
        Lease there = sm.store().get(SUBNET).orElseThrow();
        sm.store().update(there, attrs("192.168.1.5", "0e:00:00:00:00:99"), sm.ttl());
        OwnLeaseGuard.Result r = guard.check();
        assertThat(r.takenBy()).isEmpty();
        assertThat(sm.store().get(SUBNET)).hasValueSatisfying(l -> assertThat(l.attrs()).isEqualTo(ours));
    }

    @Test
    void republishingWritesTheNewAttributesAndKeepsThem() {
        LeaseAttrs next = attrs("192.168.1.5", "0e:00:00:00:00:77");
        guard.republish(next);
        assertThat(sm.store().get(SUBNET)).hasValueSatisfying(l -> assertThat(l.attrs()).isEqualTo(next));
        long revision = sm.leases().revision();
        guard.check();
        assertThat(sm.leases().revision()).as("the new attributes are this host's now: nothing to write back").isEqualTo(revision);
    }
}
