package io.javaoverlay.cli.status;

import java.math.BigInteger;
import java.net.InetAddress;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.Ip6Net;

/**
 * One peer as {@code /peers} lists it, and how it answers: at its public IP over the underlay,
 * and at its overlay address through the data path (the VTEP or TUN address {@code <subnet>.0}
 * for vxlan and udp, the bridge {@code <subnet>.1} for host-gw, which exists once a container
 * is attached there). A peer of an IPv6-only network ({@code EnableIPv4: false}) is listed by its
 * IPv6 subnet and {@code PublicIPv6}, with its {@code BackendV6Data}'s VTEP MAC.
 *
 * @param subnet   the peer's IPv4 subnet, or an IPv6-only peer's IPv6 subnet
 * @param publicIp its PublicIP, or an IPv6-only peer's PublicIPv6
 */
record PeerRow(String subnet, InetAddress publicIp, String backend, Optional<String> vtepMac,
               Optional<Reachability> underlay, Optional<Reachability> overlay, Optional<TunnelPeer> tunnel) {

    static PeerRow from(JsonNode peer) {
        JsonNode lease = peer.path("Lease");
        String backend = lease.path("BackendType").asText("-"); // flannel's udp leases may carry none
        if (!peer.has("Subnet") && peer.has("IPv6Subnet")) { // an IPv6-only lease
            Ip6Net subnet6 = Ip6Net.parse(peer.path("IPv6Subnet").asText());
            InetAddress publicIpv6 = Ip6Net.toInetAddress(Ip6Net.parseAddress(lease.path("PublicIPv6").asText()));
            Optional<String> mac6 = Optional.ofNullable(lease.path("BackendV6Data").path("VtepMAC").textValue());
            return new PeerRow(subnet6.toString(), publicIpv6, backend, mac6, Optional.empty(), Optional.empty(), Optional.empty());
        }
        Ip4Net subnet = Ip4Net.parse(peer.path("Subnet").asText());
        Ip4 publicIp = Ip4.parse(lease.path("PublicIP").asText());
        Optional<String> mac = Optional.ofNullable(lease.path("BackendData").path("VtepMAC").textValue());
        return new PeerRow(subnet.toString(), publicIp.toInetAddress(), backend, mac, Optional.empty(), Optional.empty(), Optional.empty());
    }

    /** The address that answers through the overlay, by backend. */
    InetAddress overlayAddress() {
        boolean hostGw = backend.equals("host-gw");
        if (subnet.indexOf(':') >= 0) {
            BigInteger a = Ip6Net.parse(subnet).address();
            return Ip6Net.toInetAddress(hostGw ? a.add(BigInteger.ONE) : a);
        }
        Ip4Net s = Ip4Net.parse(subnet);
        return (hostGw ? s.firstHost() : s.address()).toInetAddress();
    }

    /** {@link #publicIp} as people write it (RFC 5952 for IPv6). */
    String publicIpText() {
        return Reachability.text(publicIp);
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
