package io.javaoverlay.cli;

import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.api.extension.RegisterExtension;

import io.javaoverlay.core.net.Ip4;

/** Hostile leases against the udp backend, whose peer table once froze on one bad lease. */
class UdpHostileLeasesIT extends HostileLeasesContract {

    @RegisterExtension
    static final OverlayCluster cluster = OverlayCluster.of("{\"Type\":\"udp\"}", 2, 2).withSubnetMax(199);

    @Override
    Map<String, String[]> backendSpecific(Ip4 peerIp, String peerMac) {
        Map<String, String[]> m = new LinkedHashMap<>();
        // datagrams are matched to a subnet by their source: a second subnet at host 2's address would take its traffic
        m.put("10.244.246.0-24", new String[] {leaseValue(peerIp, peerMac), "public-ip-in-use"});
        m.put("10.244.247.0-24", new String[] {"{\"PublicIP\":\"" + stranger()
                + "\",\"BackendType\":\"vxlan\",\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"0e:00:00:00:f7:01\"}}", "backend-type"});
        return m;
    }
}
