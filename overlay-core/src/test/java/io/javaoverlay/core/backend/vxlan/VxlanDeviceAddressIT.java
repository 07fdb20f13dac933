package io.javaoverlay.core.backend.vxlan;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import com.fasterxml.jackson.databind.JsonNode;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.Ip6Net;
import io.javaoverlay.core.net.MacAddress;
import io.javaoverlay.core.netlink.Link;
import io.javaoverlay.core.netlink.NamespaceFixture;
import io.javaoverlay.core.netlink.NetlinkSocket;
import io.javaoverlay.core.netlink.NewLink;
import io.javaoverlay.core.netlink.VxlanInfo;
import io.javaoverlay.testkit.TestNamespace;

/**
 * The VXLAN devices' own addresses against the real kernel ({@code ip -j addr} as the oracle): each
 * family keeps exactly this host's {@code <subnet>/32} or {@code <IPv6 subnet>/128} among its
 * addresses in the overlay network, addresses from an earlier lease go, and the rest stays.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class VxlanDeviceAddressIT {

    @RegisterExtension
    static final NamespaceFixture namespace = new NamespaceFixture("vxaddr");

    @Test
    void eachFamilyKeepsOnlyThisHostsSubnetAddressInTheOverlayNetwork() {
        TestNamespace host = namespace.ns();
        NetlinkSocket nl = namespace.nl();
        // the methods read only the device's name and index: a veth stands in for flannel.1
        Link link = nl.links().createVeth("vxa0", NewLink.VethPeer.named("vxa1"));
        VxlanDevice device = new VxlanDevice("vxa0", VxlanInfo.of(1, Ip4.parse("10.0.0.5"), 2, 8472),
                MacAddress.parse("0a:00:00:00:00:01"), 1450);
        host.ip("addr", "add", "10.5.7.0/32", "dev", "vxa0"); // an earlier lease's
        host.ip("addr", "add", "10.5.3.0/24", "dev", "vxa0"); // the right address, the wrong length
        host.ip("addr", "add", "192.168.9.1/24", "dev", "vxa0"); // outside the network: not the agent's
        host.ip("-6", "addr", "add", "fc00:5:0:7::/128", "dev", "vxa0", "nodad");
        host.ip("-6", "addr", "add", "fd00:99::1/64", "dev", "vxa0", "nodad");

        for (int round = 0; round < 2; round++) { // the second round finds everything in place
            device.ensureAddress(nl, link, Ip4Net.parse("10.5.0.0/16"), Ip4Net.parse("10.5.3.0/24"));
            assertThat(addresses(host, "-4")).as("round %d", round).containsExactlyInAnyOrder("10.5.3.0/32", "192.168.9.1/24");
            assertThat(addresses(host, "-6")).as("the IPv4 call leaves IPv6 alone")
                    .containsExactlyInAnyOrder("fc00:5:0:7::/128", "fd00:99::1/64");
        }
        for (int round = 0; round < 2; round++) {
            device.ensureAddress6(nl, link, Ip6Net.parse("fc00:5::/48"), Ip6Net.parse("fc00:5:0:3::/64"));
            assertThat(addresses(host, "-6")).as("round %d", round).containsExactlyInAnyOrder("fc00:5:0:3::/128", "fd00:99::1/64");
            assertThat(addresses(host, "-4")).as("the IPv6 call leaves IPv4 alone")
                    .containsExactlyInAnyOrder("10.5.3.0/32", "192.168.9.1/24");
        }
    }

    private static List<String> addresses(TestNamespace host, String family) {
        List<String> out = new ArrayList<>();
        for (JsonNode dev : host.ipJson(family, "addr", "show", "dev", "vxa0")) {
            for (JsonNode a : dev.path("addr_info")) {
                out.add(a.path("local").asText() + "/" + a.path("prefixlen").asInt());
            }
        }
        return out;
    }
}
