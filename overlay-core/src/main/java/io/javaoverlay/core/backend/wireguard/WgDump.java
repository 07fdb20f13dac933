package io.javaoverlay.core.backend.wireguard;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import io.javaoverlay.core.net.WireguardKey;

/**
 * What {@code wg show <dev> dump} prints, parsed: one tab-separated line for the interface
 * (private key, public key, listen port, fwmark) and one per peer (public key, preshared key,
 * endpoint, allowed IPs, latest handshake in Unix seconds, bytes received, bytes sent, persistent
 * keepalive). {@code (none)} and {@code off} stand for nothing; a handshake of 0 means none yet.
 */
record WgDump(WireguardKey publicKey, int listenPort, List<Peer> peers) {

    /** One peer's line. */
    record Peer(WireguardKey publicKey, Optional<String> endpoint, List<String> allowedIps, Optional<Instant> latestHandshake,
            long rxBytes, long txBytes) {}

    static WgDump parse(String text) {
        List<String> lines = text.lines().filter(l -> !l.isBlank()).toList();
        if (lines.isEmpty()) {
            throw new IllegalArgumentException("wg show dump printed nothing");
        }
        String[] itf = lines.get(0).split("\t", -1);
        if (itf.length != 4) {
            throw new IllegalArgumentException("unexpected interface line in wg show dump: " + itf.length + " fields");
        }
        List<Peer> peers = new ArrayList<>(lines.size() - 1);
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.split("\t", -1);
            if (f.length != 8) {
                throw new IllegalArgumentException("unexpected peer line in wg show dump: " + f.length + " fields");
            }
            long handshake = Long.parseLong(f[4]);
            peers.add(new Peer(WireguardKey.parse(f[0]), none(f[2]), none(f[3]).map(s -> List.of(s.split(","))).orElse(List.of()),
                    handshake == 0 ? Optional.empty() : Optional.of(Instant.ofEpochSecond(handshake)), Long.parseLong(f[5]),
                    Long.parseLong(f[6])));
        }
        return new WgDump(WireguardKey.parse(itf[1]), Integer.parseInt(itf[2]), List.copyOf(peers));
    }

    private static Optional<String> none(String s) {
        return s.equals("(none)") || s.isEmpty() ? Optional.empty() : Optional.of(s);
    }
}
