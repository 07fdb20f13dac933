package io.javaoverlay.core.netlink;

import static org.assertj.core.api.Assertions.assertThat;

import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.testkit.Requirements;
import io.javaoverlay.testkit.TestNamespace;
import io.javaoverlay.testkit.TestNetwork;

import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two namespaces talk through a bridge in a third, all of it built with this API only: veth
 * pairs with the peer created inside each namespace, the bridge, addresses, links up.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BridgePingIT {

    @RegisterExtension
    static final TestNetwork net = TestNetwork.namespacesOnly();

    @Test
    void namespacesPingEachOtherThroughTheBridge() {
        Requirements.check().command("ping", "iputils-ping").orAbort();
        TestNamespace sw = net.createNamespace("sw");
        TestNamespace a = net.createNamespace("a");
        TestNamespace b = net.createNamespace("b");

        try (NetNs swNs = sw.open(); NetNs aNs = a.open(); NetNs bNs = b.open();
                NetlinkSocket swNl = NetlinkSocket.open(swNs);
                NetlinkSocket aNl = NetlinkSocket.open(aNs);
                NetlinkSocket bNl = NetlinkSocket.open(bNs)) {
            Link bridge = swNl.links().ensureBridge("br0");
            swNl.links().setUp(bridge.index());
            attach(swNl, bridge, "pa", aNs, aNl, "10.70.0.1/24");
            attach(swNl, bridge, "pb", bNs, bNl, "10.70.0.2/24");
        }

        assertThat(a.ping("10.70.0.2", 3)).as("a reaches b through the bridge").isTrue();
        assertThat(b.ping("10.70.0.1", 3)).as("b reaches a through the bridge").isTrue();
        assertThat(a.ping("10.70.0.3", 1)).as("nobody has .3").isFalse();
    }

    private static void attach(NetlinkSocket sw, Link bridge, String port, NetNs ns, NetlinkSocket nl, String address) {
        Link p = sw.links().createVeth(port, NewLink.VethPeer.in(ns, "eth0"));
        sw.links().setMaster(p.index(), bridge.index());
        sw.links().setUp(p.index());
        Link eth0 = nl.links().require("eth0");
        nl.addresses().add(Address.ip4(eth0.index(), Ip4Net.parseHost(address)));
        nl.links().setUp(eth0.index());
    }
}
