package io.javaoverlay.cli.status;

import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;

/**
 * One peer as {@code /peers} lists it, and how it answers: at its public IP over the underlay,
 * and at its overlay address through the data path (the VTEP or TUN address {@code <subnet>.0}
 * for vxlan and udp, the bridge {@code <subnet>.1} for host-gw, which exists once a container
 * is attached there).
 */
record PeerRow(Ip4Net subnet, Ip4 publicIp, String backend, Optional<String> vtepMac,
               Optional<Reachability> underlay, Optional<Reachability> overlay, Optional<TunnelPeer> tunnel) {

    static PeerRow from(JsonNode peer) {
        Ip4Net subnet = Ip4Net.parse(peer.path("Subnet").asText());
        JsonNode lease = peer.path("Lease");
        Ip4 publicIp = Ip4.parse(lease.path("PublicIP").asText());
        String backend = lease.path("BackendType").asText("-"); // flannel's udp leases may carry none
        Optional<String> mac = Optional.ofNullable(lease.path("BackendData").path("VtepMAC").textValue());
        return new PeerRow(subnet, publicIp, backend, mac, Optional.empty(), Optional.empty(), Optional.empty());
    }

    /** The address that answers through the overlay, by backend. */
    Ip4 overlayAddress() {
        return backend.equals("host-gw") ? subnet.firstHost() : subnet.address();
    }

    PeerRow withProbes(Reachability u, Reachability o) {
        return new PeerRow(subnet, publicIp, backend, vtepMac, Optional.of(u), Optional.of(o), tunnel);
    }

    /** With what the encrypted backend reports about this peer (wireguard's latest handshake and bytes). */
    PeerRow withTunnel(Optional<TunnelPeer> t) {
        return new PeerRow(subnet, publicIp, backend, vtepMac, underlay, overlay, t);
    }

    boolean reachable() {
        return underlay.map(Reachability::reachable).orElse(true) && overlay.map(Reachability::reachable).orElse(true);
    }
}
