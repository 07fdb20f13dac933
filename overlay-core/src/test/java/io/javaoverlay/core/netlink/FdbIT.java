package io.javaoverlay.core.netlink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.MacAddress;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** vxlan FDB entries against the real kernel, checked through the API and {@code bridge -j fdb}. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FdbIT {

    @RegisterExtension
    static final NamespaceFixture host = new NamespaceFixture("fdb");

    private static Link vxlan(String name, int vni) {
        Link vx = host.nl().links().createVxlan(name, VxlanInfo.of(vni, Ip4.parse("10.50.0.1"), 0, 8472));
        host.nl().links().setUp(vx.index());
        return vx;
    }

    /** "mac dst" of the permanent self entries bridge(8) shows for the device. */
    private static List<String> oracle(String dev) {
        List<String> out = new ArrayList<>();
        for (JsonNode e : host.ns().bridgeJson("fdb", "show", "dev", dev)) {
            if (e.get("flags").toString().contains("self") && "permanent".equals(e.path("state").asText())) {
                out.add(e.get("mac").asText() + " " + e.path("dst").asText());
            }
        }
        return out;
    }

    private static List<String> ours(Link vx) {
        return host.nl().fdb().list(vx.index()).stream().filter(e -> e.isSelf() && e.isPermanent())
                .map(e -> e.mac() + " " + (e.destination() == null ? "" : e.destination())).toList();
    }

    @Test
    void appendedFloodEntriesAreListedAndDeletedOneByOne() {
        Link vx = vxlan("vx-fl", 1);

        host.nl().fdb().append(FdbEntry.flood(vx.index(), Ip4.parse("10.50.0.2")));
        host.nl().fdb().append(FdbEntry.flood(vx.index(), Ip4.parse("10.50.0.3")));

        List<String> expected = List.of("00:00:00:00:00:00 10.50.0.2", "00:00:00:00:00:00 10.50.0.3");
        assertThat(ours(vx)).containsExactlyInAnyOrderElementsOf(expected);
        assertThat(oracle("vx-fl")).containsExactlyInAnyOrderElementsOf(expected);

        host.nl().fdb().delete(FdbEntry.flood(vx.index(), Ip4.parse("10.50.0.2")));
        assertThat(ours(vx)).containsExactly("00:00:00:00:00:00 10.50.0.3");
        assertThat(oracle("vx-fl")).containsExactly("00:00:00:00:00:00 10.50.0.3");
    }

    @Test
    void addIsExclusiveReplaceMovesTheMacDeleteOfMissingIsNotFound() {
        Link vx = vxlan("vx-mac", 2);
        MacAddress mac = MacAddress.parse("02:11:22:33:44:55");

        host.nl().fdb().add(FdbEntry.vxlan(vx.index(), mac, Ip4.parse("10.50.1.2")));
        assertThat(ours(vx)).containsExactly("02:11:22:33:44:55 10.50.1.2");
        assertThat(oracle("vx-mac")).containsExactly("02:11:22:33:44:55 10.50.1.2");
        assertThatThrownBy(() -> host.nl().fdb().add(FdbEntry.vxlan(vx.index(), mac, Ip4.parse("10.50.1.2"))))
                .isInstanceOf(NetlinkException.Exists.class);

        host.nl().fdb().replace(FdbEntry.vxlan(vx.index(), mac, Ip4.parse("10.50.1.3")));
        assertThat(ours(vx)).containsExactly("02:11:22:33:44:55 10.50.1.3");
        assertThat(oracle("vx-mac")).containsExactly("02:11:22:33:44:55 10.50.1.3");

        host.nl().fdb().delete(FdbEntry.vxlan(vx.index(), mac, Ip4.parse("10.50.1.3")));
        assertThat(ours(vx)).isEmpty();
        assertThat(oracle("vx-mac")).isEmpty();
        assertThatThrownBy(() -> host.nl().fdb().delete(FdbEntry.vxlan(vx.index(), mac, Ip4.parse("10.50.1.3"))))
                .isInstanceOf(NetlinkException.NotFound.class);
    }

    /** The entries of {@code flannel-v6.<VNI>}: a VTEP MAC sent to a peer's PublicIPv6. */
    @Test
    void entriesWithIpv6DestinationsAreWrittenListedAndDeleted() throws Exception {
        java.net.Inet6Address local = (java.net.Inet6Address) java.net.InetAddress.getByName("fd00:50::1");
        Link vx = host.nl().links().createVxlan("vx6-fdb", VxlanInfo.ofIpv6(5, local, 0, 8472));
        host.nl().links().setUp(vx.index());
        MacAddress mac = MacAddress.parse("02:11:22:33:44:66");
        java.net.Inet6Address peer = (java.net.Inet6Address) java.net.InetAddress.getByName("fd00:50::2");

        host.nl().fdb().replace(FdbEntry.vxlan6(vx.index(), mac, peer));
        assertThat(oracle("vx6-fdb")).containsExactly("02:11:22:33:44:66 fd00:50::2");
        assertThat(host.nl().fdb().list(vx.index())).filteredOn(e -> e.remote() != null).singleElement().satisfies(e -> {
            assertThat(e.destination6()).isEqualTo(peer);
            assertThat(e.destination()).isNull();
        });

        host.nl().fdb().delete(FdbEntry.vxlan6(vx.index(), mac, peer));
        assertThat(oracle("vx6-fdb")).isEmpty();
    }

    @Test
    void entriesOfOneDeviceDoNotLeakIntoAnother() {
        Link a = vxlan("vx-one", 3);
        Link b = vxlan("vx-two", 4);
        host.nl().fdb().append(FdbEntry.flood(a.index(), Ip4.parse("10.50.2.2")));
        host.nl().fdb().append(FdbEntry.flood(b.index(), Ip4.parse("10.50.2.3")));

        assertThat(ours(a)).containsExactly("00:00:00:00:00:00 10.50.2.2");
        assertThat(ours(b)).containsExactly("00:00:00:00:00:00 10.50.2.3");
        assertThat(host.nl().fdb().list()).extracting(FdbEntry::linkIndex).contains(a.index(), b.index());
    }
}
