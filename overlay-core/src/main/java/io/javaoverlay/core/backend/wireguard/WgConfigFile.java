package io.javaoverlay.core.backend.wireguard;

import java.time.Duration;
import java.util.Collection;
import java.util.Comparator;
import java.util.Optional;

import io.javaoverlay.core.net.WireguardKey;

/**
 * The whole wanted state of the device as a {@code wg(8)} configuration file, for
 * {@code wg syncconf <dev> /dev/stdin}: the interface's private key and listen port, and one
 * {@code [Peer]} per accepted lease, sorted by the lease's (IPv4) subnet so that equal states give equal text.
 *
 * <pre>
 * [Interface]
 * PrivateKey = ...
 * ListenPort = 51820
 *
 * [Peer]
 * PublicKey = ...
 * PresharedKey = ...            (when Backend.PSK is set)
 * Endpoint = 192.168.1.12:51820
 * AllowedIPs = 10.244.12.0/24        (on flannel-wg-v6: the lease's IPv6 subnet, Endpoint [PublicIPv6]:Port)
 * PersistentKeepalive = 25      (when Backend.PersistentKeepaliveInterval is set)
 * </pre>
 *
 * The text holds the private key: it goes to {@code wg} on a pipe and is never written to disk or
 * logged. {@link #renderPeers} is the same without the interface, for {@code wg addconf}.
 */
final class WgConfigFile {

    private WgConfigFile() {}

    static String render(WireguardKey privateKey, int listenPort, Optional<WireguardKey> psk, Duration keepalive,
            Collection<WgPeer> peers) {
        StringBuilder b = new StringBuilder(128 + peers.size() * 200);
        b.append("[Interface]\n");
        b.append("PrivateKey = ").append(privateKey).append('\n');
        b.append("ListenPort = ").append(listenPort).append('\n');
        appendPeers(b, psk, keepalive, peers);
        return b.toString();
    }

    /**
     * Only {@code [Peer]} sections, for {@code wg addconf}: they add or update those peers and leave
     * the interface and every other peer as they are.
     */
    static String renderPeers(Optional<WireguardKey> psk, Duration keepalive, Collection<WgPeer> peers) {
        StringBuilder b = new StringBuilder(peers.size() * 200);
        appendPeers(b, psk, keepalive, peers);
        return b.toString();
    }

    private static void appendPeers(StringBuilder b, Optional<WireguardKey> psk, Duration keepalive, Collection<WgPeer> peers) {
        peers.stream().sorted(Comparator.comparing(WgPeer::lease)).forEach(p -> {
            b.append(b.length() == 0 ? "" : "\n").append("[Peer]\n");
            b.append("PublicKey = ").append(p.publicKey()).append('\n');
            psk.ifPresent(k -> b.append("PresharedKey = ").append(k).append('\n'));
            b.append("Endpoint = ").append(p.endpoint()).append('\n');
            b.append("AllowedIPs = ").append(p.allowedIps()).append('\n');
            if (!keepalive.isZero()) {
                b.append("PersistentKeepalive = ").append(keepalive.toSeconds()).append('\n');
            }
        });
    }
}
