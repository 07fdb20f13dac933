package io.javaoverlay.cli;

import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.api.extension.RegisterExtension;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.WireguardKey;

/** Hostile leases against the wireguard backend (on wireguard-go): bad keys, its own key, a key two hosts publish. */
class WireguardHostileLeasesIT extends HostileLeasesContract {

    @RegisterExtension
    static final OverlayCluster cluster = WireguardHosts.configure(OverlayCluster.of("{\"Type\":\"wireguard\"}", 2, 2).withSubnetMax(199));

    static String lease(Ip4 publicIp, String data) {
        return LeaseValues.withData(publicIp, "wireguard", data);
    }

    static String publicKeyOf(int host) {
        return backendData(cluster, host).path("PublicKey").asText();
    }

    @Override
    Map<String, String[]> backendSpecific(Ip4 peerIp, String peerMac) {
        Ip4 stranger = cluster.net.underlaySubnet().address().plus(98);
        Map<String, String[]> m = new LinkedHashMap<>();
        m.put("10.244.246.0-24", new String[] {lease(stranger, "{\"PublicKey\":\"not-a-key\",\"Port\":51820}"), "bad-backend-data"});
        m.put("10.244.247.0-24", new String[] {lease(stranger, "{\"Port\":51820}"), "bad-backend-data"});
        m.put("10.244.248.0-24", new String[] {lease(stranger, "{\"PublicKey\":\"" + WireguardKey.generatePrivate().publicKey()
                + "\",\"Port\":70000}"), "bad-backend-data"});
        // host 1's own key at another address: a copied key file
        m.put("10.244.249.0-24", new String[] {lease(stranger, "{\"PublicKey\":\"" + publicKeyOf(1) + "\",\"Port\":51820}"),
            "bad-backend-data"});
        // host 2's key at another address: WireGuard would move host 2's AllowedIPs to it
        m.put("10.244.250.0-24", new String[] {lease(stranger, "{\"PublicKey\":\"" + publicKeyOf(2) + "\",\"Port\":51820}"),
            "public-key-in-use"});
        m.put("10.244.252.0-24", new String[] {"{\"PublicIP\":\"" + stranger + "\",\"BackendType\":\"vxlan\","
                + "\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"0e:00:00:00:fc:01\"}}", "backend-type"});
        return m;
    }
}
