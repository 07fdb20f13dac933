package io.javaoverlay.core.backend.wireguard;

import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;

import io.javaoverlay.core.backend.PeerClaim;
import io.javaoverlay.core.backend.PeerRejection;
import io.javaoverlay.core.config.BackendType;
import io.javaoverlay.core.lease.Lease;
import io.javaoverlay.core.net.WireguardKey;

/**
 * Other hosts' wireguard leases read as peers, and what makes one unusable. BackendData is
 * flannel's {@code {"PublicKey": "<base64>", "Port": 51820}}; flannel before v0.22 wrote no Port,
 * and a missing or zero Port means this host's own ListenPort, as flannel reads it.
 */
final class WgLeases {

    private WgLeases() {}

    /** The peer a lease describes; an {@link IllegalArgumentException} says what is wrong with it. */
    static WgPeer parse(Lease l, int ownListenPort) {
        Optional<String> type = l.attrs().backendType();
        if (type.isEmpty() || !type.get().equals(BackendType.WIREGUARD.flannelName())) {
            throw new IllegalArgumentException("BackendType");
        }
        JsonNode data = l.attrs().backendData()
                .orElseThrow(() -> new IllegalArgumentException("it has no BackendData (a PublicKey is needed)"));
        JsonNode key = data.get("PublicKey");
        if (key == null || !key.isTextual()) {
            throw new IllegalArgumentException("its BackendData has no PublicKey string");
        }
        WireguardKey k;
        try {
            k = WireguardKey.parse(key.textValue());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("its PublicKey: " + e.getMessage());
        }
        int port = ownListenPort;
        JsonNode p = data.get("Port");
        if (p != null && !p.isNull()) {
            if (!p.isIntegralNumber() || !p.canConvertToInt() || p.intValue() < 0 || p.intValue() > 65535) {
                throw new IllegalArgumentException("its Port " + p + " is not a UDP port (0-65535)");
            }
            if (p.intValue() != 0) {
                port = p.intValue();
            }
        }
        return new WgPeer(k, l.attrs().publicIp(), port, l.subnet());
    }

    /** Why the lease cannot be a peer of a host whose public key is {@code own}, if it cannot. */
    static Optional<PeerRejection> check(Lease l, int ownListenPort, WireguardKey own) {
        Optional<String> type = l.attrs().backendType();
        if (type.isEmpty() || !type.get().equals(BackendType.WIREGUARD.flannelName())) {
            return Optional.of(new PeerRejection(PeerRejection.Reason.BACKEND_TYPE,
                    "its BackendType is " + type.map(t -> "\"" + t + "\"").orElse("missing") + ", not \"wireguard\""));
        }
        WgPeer p;
        try {
            p = parse(l, ownListenPort);
        } catch (IllegalArgumentException e) {
            return Optional.of(new PeerRejection(PeerRejection.Reason.BAD_BACKEND_DATA, e.getMessage()));
        }
        if (p.publicKey().equals(own)) {
            return Optional.of(new PeerRejection(PeerRejection.Reason.BAD_BACKEND_DATA,
                    "its PublicKey " + p.publicKey() + " is this host's own (a copied key file?)"));
        }
        return Optional.empty();
    }

    /** A WireGuard key names one peer: two public IPs publishing one key would take each other's AllowedIPs. */
    static List<PeerClaim> claims(Lease l, int ownListenPort) {
        try {
            WgPeer p = parse(l, ownListenPort);
            return List.of(new PeerClaim(PeerRejection.Reason.PUBLIC_KEY_IN_USE, "PublicKey " + p.publicKey(), l.attrs().publicIp()));
        } catch (IllegalArgumentException e) {
            return List.of();
        }
    }
}
