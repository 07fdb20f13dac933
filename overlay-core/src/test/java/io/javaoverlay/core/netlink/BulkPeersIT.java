package io.javaoverlay.core.netlink;

import static org.assertj.core.api.Assertions.assertThat;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.MacAddress;
import io.javaoverlay.testkit.TestNamespace;
import io.javaoverlay.testkit.TestNetwork;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What the vxlan backend does for a large cluster: 5,000 peers, each an ARP entry, an FDB
 * entry and an onlink route, through one socket. The agent's budget is 5 s for all of it.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class BulkPeersIT {

    private static final int PEERS = 5_000;
    private static final Duration BUDGET = Duration.ofSeconds(5);

    @RegisterExtension
    static final TestNetwork net = TestNetwork.namespacesOnly();

    @Test
    void fiveThousandPeersFitInTheBudget() {
        TestNamespace ns = net.createNamespace("bulk");
        try (NetNs h = ns.open(); NetlinkSocket nl = NetlinkSocket.open(h)) {
            Link vtep = nl.links().createVxlan("flannel.1", VxlanInfo.of(1, Ip4.parse("10.250.0.1"), 0, 8472));
            nl.links().setUp(vtep.index());
            Ip4Net cluster = Ip4Net.parse("10.128.0.0/10");

            long start = System.nanoTime();
            for (int i = 0; i < PEERS; i++) {
                Ip4Net subnet = cluster.subnet(24, i + 1);
                Ip4 vtepIp = subnet.address();
                MacAddress mac = new MacAddress(new byte[] {2, 0, 0, 0, (byte) (i >> 8), (byte) i});
                Ip4 publicIp = Ip4.parse("10.251.0.0").plus(i + 1);
                nl.neighbours().replace(Neighbour.permanent(vtep.index(), vtepIp, mac));
                nl.fdb().replace(FdbEntry.vxlan(vtep.index(), mac, publicIp));
                nl.routes().replace(Route.ip4(subnet).via(vtepIp).device(vtep).withOnlink());
            }
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            System.out.printf("applied %d peers (%d requests) in %d ms%n", PEERS, 3 * PEERS, took.toMillis());

            long onlinkRoutes = nl.routes().listIp4().stream().filter(Route::onlink).count();
            assertThat(onlinkRoutes).isEqualTo(PEERS);
            assertThat(nl.neighbours().listIp4(vtep.index())).hasSize(PEERS);
            assertThat(nl.fdb().list(vtep.index())).filteredOn(FdbEntry::isPermanent).hasSize(PEERS);
            assertThat(ns.ipJson("route", "show", "dev", "flannel.1")).hasSize(PEERS);
            assertThat(took).as("time for %d peers", PEERS).isLessThan(BUDGET);
        }
    }
}
