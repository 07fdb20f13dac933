package io.javaoverlay.core.backend.wireguard;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.WireguardKey;

/**
 * One peer as this host programs it: the key from its lease's BackendData, the endpoint
 * {@code PublicIP:Port}, and its subnet as the only AllowedIPs entry (so WireGuard accepts from
 * it, and sends to it, only that subnet's addresses).
 */
record WgPeer(WireguardKey publicKey, Ip4 endpointIp, int endpointPort, Ip4Net subnet) {

    WgPeer {
        if (publicKey == null || endpointIp == null || subnet == null) {
            throw new IllegalArgumentException("a peer needs a key, an endpoint and a subnet");
        }
        if (endpointPort < 1 || endpointPort > 65535) {
            throw new IllegalArgumentException("endpoint port " + endpointPort + " is not 1-65535");
        }
    }

    String endpoint() {
        return endpointIp + ":" + endpointPort;
    }
}
