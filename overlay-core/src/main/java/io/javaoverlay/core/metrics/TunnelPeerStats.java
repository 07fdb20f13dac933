package io.javaoverlay.core.metrics;

/**
 * One encrypted tunnel's peer as its device reports it (wireguard: a line of
 * {@code wg show <dev> dump}).
 *
 * @param publicKey             the peer's public key (base64)
 * @param subnet                the peer's subnet, or empty when no lease names the key
 * @param endpoint              where its packets go and come from, {@code ip:port}, or empty
 * @param latestHandshakeSeconds Unix time of the last completed handshake, 0 for none yet
 */
public record TunnelPeerStats(String publicKey, String subnet, String endpoint, long latestHandshakeSeconds, long rxBytes,
        long txBytes) {}
