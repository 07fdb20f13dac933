package io.javaoverlay.cli;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.WireguardKey;

/**
 * Lease values of hosts that do not run, in the shape a flannel host of each backend publishes
 * (pkg/backend/*, v0.28): IPv4 only, host-gw names its type, udp not even that, vxlan and
 * wireguard add their {@code BackendData}.
 */
final class LeaseValues {

    private LeaseValues() {}

    /**
     * A lease of a {@code backendType} host at {@code publicIp}; {@code vtepMac} is the VTEP MAC of
     * a vxlan lease (ignored by the others), and a wireguard lease gets a key of its own each time
     * (so no two such leases collide on the key by accident).
     */
    static String of(String backendType, Ip4 publicIp, String vtepMac) {
        return switch (backendType) {
            case "udp" -> "{\"PublicIP\":\"" + publicIp + "\",\"PublicIPv6\":null}";
            case "host-gw" -> "{\"PublicIP\":\"" + publicIp + "\",\"PublicIPv6\":null,\"BackendType\":\"host-gw\"}";
            case "vxlan" -> withData(publicIp, "vxlan", "{\"VNI\":1,\"VtepMAC\":\"" + vtepMac + "\"}");
            case "wireguard" -> withData(publicIp, "wireguard",
                    "{\"PublicKey\":\"" + WireguardKey.generatePrivate().publicKey() + "\",\"Port\":51820}");
            default -> throw new IllegalArgumentException("no lease shape for the " + backendType + " backend");
        };
    }

    /** A lease of a {@code backendType} host at {@code publicIp} whose {@code BackendData} is {@code backendData} (JSON). */
    static String withData(Ip4 publicIp, String backendType, String backendData) {
        return "{\"PublicIP\":\"" + publicIp + "\",\"PublicIPv6\":null,\"BackendType\":\"" + backendType + "\",\"BackendData\":"
                + backendData + "}";
    }
}
