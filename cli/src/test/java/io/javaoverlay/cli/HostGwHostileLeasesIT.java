package io.javaoverlay.cli;

import java.util.Map;

import org.junit.jupiter.api.extension.RegisterExtension;

import io.javaoverlay.core.net.Ip4;

/** Hostile leases against the host-gw backend, whose routes go straight into the main table. */
class HostGwHostileLeasesIT extends HostileLeasesContract {

    @RegisterExtension
    static final OverlayCluster cluster = OverlayCluster.of("{\"Type\":\"host-gw\"}", 2, 2).withSubnetMax(199);

    @Override
    Map<String, String[]> backendSpecific(Ip4 peerIp, String peerMac) {
        return Map.of("10.244.246.0-24", new String[] {"{\"PublicIP\":\"" + stranger()
                + "\",\"BackendType\":\"vxlan\",\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"0e:00:00:00:f6:01\"}}", "backend-type"});
    }
}
