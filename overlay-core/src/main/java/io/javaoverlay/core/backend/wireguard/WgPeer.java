package io.javaoverlay.core.backend.wireguard;

import io.javaoverlay.core.lease.LeaseId;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.WireguardKey;

/**
 * One peer of one device as this host programs it: the key from its lease's BackendData (or
 * BackendV6Data, for {@code flannel-wg-v6}), the endpoint {@code PublicIP:Port} (or
 * {@code [PublicIPv6]:Port}), and one subnet of the lease as the only AllowedIPs entry (so
 * WireGuard accepts from it, and sends to it, only that subnet's addresses).
 *
 * @param endpointIp an IPv4 or IPv6 address in its text form
 * @param allowedIps the lease's IPv4 subnet on {@code flannel-wg}, its IPv6 subnet on {@code flannel-wg-v6},
 *                   written as {@code wg show dump} prints it
 * @param lease      what names the lease ({@link io.javaoverlay.core.lease.Lease#id()}): the key leases (and so peers) are known by, in either device
 */
record WgPeer(WireguardKey publicKey, String endpointIp, int endpointPort, String allowedIps, LeaseId lease) {

    WgPeer {
        if (publicKey == null || endpointIp == null || allowedIps == null || lease == null) {
            throw new IllegalArgumentException("a peer needs a key, an endpoint, its AllowedIPs and its lease");
        }
        if (endpointPort < 1 || endpointPort > 65535) {
            throw new IllegalArgumentException("endpoint port " + endpointPort + " is not 1-65535");
        }
    }

    /** An IPv4 peer: its lease's subnet is its AllowedIPs. */
    WgPeer(WireguardKey publicKey, Ip4 endpointIp, int endpointPort, Ip4Net subnet) {
        this(publicKey, endpointIp.toString(), endpointPort, subnet.toString(), LeaseId.of(subnet));
    }

    /** {@code 192.168.1.12:51820}, {@code [fd00::12]:51821}: as {@code wg} reads and prints it. */
    String endpoint() {
        return endpointIp.indexOf(':') >= 0 ? "[" + endpointIp + "]:" + endpointPort : endpointIp + ":" + endpointPort;
    }
}
