package io.javaoverlay.core.backend.wireguard;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;

import io.javaoverlay.core.backend.PeerClaim;
import io.javaoverlay.core.backend.PeerRejection;
import io.javaoverlay.core.config.BackendType;
import io.javaoverlay.core.config.WireguardOptions;
import io.javaoverlay.core.lease.Lease;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip6Net;
import io.javaoverlay.core.net.WireguardKey;

/**
 * Other hosts' wireguard leases read as peers, and what makes one unusable. BackendData is
 * flannel's {@code {"PublicKey": "<base64>", "Port": 51820}}; flannel before v0.22 wrote no Port,
 * and a missing or zero Port means this host's own ListenPort, as flannel reads it. A dual-stack
 * lease has the same in {@code BackendV6Data} for its IPv6 half (flannel v0.28 writes the same key
 * and {@code ListenPortV6}), a peer of {@code flannel-wg-v6} at {@code [PublicIPv6]:Port}; there a
 * missing or zero Port means this host's own ListenPortV6.
 */
final class WgLeases {

    private WgLeases() {}

    /** The IPv4 peer a lease describes; an {@link IllegalArgumentException} says what is wrong with it. */
    static WgPeer parse(Lease l, int ownListenPort) {
        requireWireguard(l);
        JsonNode data = l.attrs().backendData()
                .orElseThrow(() -> new IllegalArgumentException("it has no BackendData (a PublicKey is needed)"));
        WireguardKey k = key(data, "BackendData");
        int port = port(data, ownListenPort, "");
        return new WgPeer(k, l.attrs().publicIp(), port, l.subnet());
    }

    /**
     * The IPv6 peer a dual-stack lease describes (empty for a lease without an IPv6 subnet): its
     * BackendV6Data's key and port, its PublicIPv6, its IPv6 subnet as AllowedIPs.
     */
    static Optional<WgPeer> parse6(Lease l, int ownListenPortV6) {
        if (l.ipv6Subnet().isEmpty()) {
            return Optional.empty();
        }
        requireWireguard(l);
        JsonNode data = l.attrs().backendV6Data()
                .orElseThrow(() -> new IllegalArgumentException("it has an IPv6 subnet but no BackendV6Data (a PublicKey is needed)"));
        WireguardKey k = key(data, "BackendV6Data");
        int port = port(data, ownListenPortV6, "BackendV6Data ");
        String ip = l.attrs().publicIpv6()
                .orElseThrow(() -> new IllegalArgumentException("it has an IPv6 subnet but no PublicIPv6"));
        return Optional.of(new WgPeer(k, ip, port, l.ipv6Subnet().get().toString(), l.id()));
    }

    private static void requireWireguard(Lease l) {
        Optional<String> type = l.attrs().backendType();
        if (type.isEmpty() || !type.get().equals(BackendType.WIREGUARD.flannelName())) {
            throw new IllegalArgumentException("BackendType");
        }
    }

    private static WireguardKey key(JsonNode data, String field) {
        JsonNode key = data.get("PublicKey");
        if (key == null || !key.isTextual()) {
            throw new IllegalArgumentException("its " + field + " has no PublicKey string");
        }
        try {
            return WireguardKey.parse(key.textValue());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("its " + (field.equals("BackendData") ? "" : field + " ") + "PublicKey: " + e.getMessage());
        }
    }

    private static int port(JsonNode data, int own, String field) {
        JsonNode p = data.get("Port");
        if (p != null && !p.isNull()) {
            if (!p.isIntegralNumber() || !p.canConvertToInt() || p.intValue() < 0 || p.intValue() > 65535) {
                throw new IllegalArgumentException("its " + field + "Port " + p + " is not a UDP port (0-65535)");
            }
            if (p.intValue() != 0) {
                return p.intValue();
            }
        }
        return own;
    }

    /** Why the lease cannot be a peer of a host whose public key is {@code own}, if it cannot (IPv4 only). */
    static Optional<PeerRejection> check(Lease l, int ownListenPort, WireguardKey own) {
        return check(l, ownListenPort, OptionalInt.empty(), own);
    }

    /**
     * Why the lease cannot be a peer of a host whose public key is {@code own}, if it cannot; with
     * {@code ownListenPortV6} (IPv6 enabled) its IPv6 half is checked too, and a bad one rejects
     * the whole lease, as {@code Ipv6PeerCheck} does.
     */
    static Optional<PeerRejection> check(Lease l, int ownListenPort, OptionalInt ownListenPortV6, WireguardKey own) {
        Optional<String> type = l.attrs().backendType();
        if (type.isEmpty() || !type.get().equals(BackendType.WIREGUARD.flannelName())) {
            return Optional.of(new PeerRejection(PeerRejection.Reason.BACKEND_TYPE,
                    "its BackendType is " + type.map(t -> "\"" + t + "\"").orElse("missing") + ", not \"wireguard\""));
        }
        List<WgPeer> ps = new ArrayList<>(2);
        try {
            if (l.isIpv6Only()) { // an IPv6-only network's lease: BackendV6Data alone, as flannel publishes it
                ps.add(parse6(l, ownListenPortV6.orElse(ownListenPort)).orElseThrow());
            } else {
                ps.add(parse(l, ownListenPort));
            }
            if (ownListenPortV6.isPresent()) {
                parse6(l, ownListenPortV6.getAsInt()).ifPresent(ps::add);
            }
        } catch (IllegalArgumentException e) {
            return Optional.of(new PeerRejection(PeerRejection.Reason.BAD_BACKEND_DATA, e.getMessage()));
        }
        for (WgPeer p : ps) {
            if (p.publicKey().equals(own)) {
                return Optional.of(new PeerRejection(PeerRejection.Reason.BAD_BACKEND_DATA,
                        "its " + (p == ps.get(0) ? "" : "BackendV6Data ") + "PublicKey " + p.publicKey()
                                + " is this host's own (a copied key file?)"));
            }
        }
        return Optional.empty();
    }

    /** IPv4 only: see {@link #claims(Lease, int, OptionalInt)}. */
    static List<PeerClaim> claims(Lease l, int ownListenPort) {
        return claims(l, ownListenPort, OptionalInt.empty());
    }

    /**
     * A WireGuard key names one peer: two public IPs publishing one key would take each other's
     * AllowedIPs. With IPv6 the BackendV6Data key is claimed too (the same claim when it is the
     * same key, as flannel publishes it).
     */
    static List<PeerClaim> claims(Lease l, int ownListenPort, OptionalInt ownListenPortV6) {
        Set<WireguardKey> keys = new LinkedHashSet<>();
        if (l.isIpv6Only()) { // the holder is its PublicIPv6: every IPv6-only lease's PublicIP is the same zero address
            try {
                return parse6(l, ownListenPortV6.orElse(ownListenPort)).map(p -> List.of(new PeerClaim(PeerRejection.Reason.PUBLIC_KEY_IN_USE,
                        "PublicKey " + p.publicKey(), "PublicIPv6 " + p.endpointIp()))).orElse(List.of());
            } catch (IllegalArgumentException e) {
                return List.of();
            }
        }
        try {
            keys.add(parse(l, ownListenPort).publicKey());
            if (ownListenPortV6.isPresent()) {
                parse6(l, ownListenPortV6.getAsInt()).ifPresent(p -> keys.add(p.publicKey()));
            }
        } catch (IllegalArgumentException e) {
            return List.of();
        }
        return keys.stream().map(k -> new PeerClaim(PeerRejection.Reason.PUBLIC_KEY_IN_USE, "PublicKey " + k, l.attrs().publicIp())).toList();
    }

    /**
     * The one peer a lease is in flannel's one-device modes ({@code auto}, {@code ipv4},
     * {@code ipv6}) with IPv6 on: both subnets as AllowedIPs (the IPv4 one alone for an IPv4-only
     * lease), the key of BackendV6Data when the lease has an IPv6 half (as flannel takes it), else
     * of BackendData, and the endpoint over the IPv4 or the IPv6 underlay as {@code mode} says
     * ({@link #underlayOf} for auto).
     *
     * <p>The port is the one the peer's one device listens on, which its lease publishes as
     * BackendData's Port (a missing or zero one: this host's ListenPort), over either underlay.
     * flannel v0.28 dials an IPv6 endpoint at BackendV6Data's Port instead, which it fills with
     * ListenPortV6 in these modes too, where no device listens unless both ports are set equal.
     *
     * @param ownPublicIpv6 this host's PublicIPv6, for auto's choice
     */
    static WgPeer parseOneDevice(Lease l, WireguardOptions.Mode mode, int ownListenPort, int ownListenPortV6, Optional<String> ownPublicIpv6) {
        WgPeer v4 = parse(l, ownListenPort);
        Optional<WgPeer> v6 = parse6(l, ownListenPortV6);
        WireguardKey key = v6.map(WgPeer::publicKey).orElse(v4.publicKey());
        String allowed = v4.allowedIps() + v6.map(p -> "," + p.allowedIps()).orElse("");
        WireguardOptions.Mode underlay = mode == WireguardOptions.Mode.AUTO
                ? underlayOf(l.attrs().publicIp(), v6.map(WgPeer::endpointIp), ownPublicIpv6) : mode;
        if (underlay == WireguardOptions.Mode.IPV6) {
            String ip = v6.map(WgPeer::endpointIp).orElseThrow(() -> new IllegalArgumentException(
                    "Mode ipv6 reaches peers at their PublicIPv6, and this lease has no IPv6 half"));
            return new WgPeer(key, ip, v4.endpointPort(), allowed, l.id());
        }
        return new WgPeer(key, v4.endpointIp(), v4.endpointPort(), allowed, l.id());
    }

    /**
     * flannel's {@code selectMode} for Mode auto: IPv4 unless the peer has a PublicIPv6; IPv4 when
     * the peer's IPv4 address is public; IPv6 when the peer's IPv6 address and this host's are
     * both public (not in RFC 4193's fc00::/7); else IPv4.
     */
    static WireguardOptions.Mode underlayOf(Ip4 peerIp, Optional<String> peerIpv6, Optional<String> ownPublicIpv6) {
        if (peerIpv6.isEmpty()) {
            return WireguardOptions.Mode.IPV4;
        }
        if (!isPrivate(peerIp)) {
            return WireguardOptions.Mode.IPV4;
        }
        if (!isPrivate6(peerIpv6.get()) && ownPublicIpv6.isPresent() && !isPrivate6(ownPublicIpv6.get())) {
            return WireguardOptions.Mode.IPV6;
        }
        return WireguardOptions.Mode.IPV4;
    }

    /** RFC 1918, as flannel's {@code IP4.IsPrivate}. */
    static boolean isPrivate(Ip4 ip) {
        long v = ip.unsigned();
        int a = (int) (v >>> 24);
        int b = (int) ((v >>> 16) & 0xff);
        return a == 10 || (a == 172 && (b & 0xf0) == 16) || (a == 192 && b == 168);
    }

    /** RFC 4193's fc00::/7, as flannel's {@code IP6.IsPrivate}. */
    static boolean isPrivate6(String ip) {
        return Ip6Net.parse("fc00::/7").contains(Ip6Net.parseAddress(ip));
    }
}
