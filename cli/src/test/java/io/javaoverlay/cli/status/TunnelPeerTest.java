package io.javaoverlay.cli.status;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;

/** WireGuard peers as {@code status} reads them from the agent's /metrics. */
class TunnelPeerTest {

    static final String METRICS = """
            # HELP javaoverlay_tunnel_peer_bytes_total bytes of tunnel traffic
            # TYPE javaoverlay_tunnel_peer_bytes_total counter
            javaoverlay_tunnel_peer_bytes_total{backend="wireguard",direction="rx",public_key="xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=",subnet="10.244.9.0/24"} 4868.0
            javaoverlay_tunnel_peer_bytes_total{backend="wireguard",direction="tx",public_key="xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=",subnet="10.244.9.0/24"} 5204.0
            javaoverlay_tunnel_peer_bytes_total{backend="wireguard",direction="rx",public_key="TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0=",subnet="10.244.3.0/24"} 0.0
            javaoverlay_tunnel_peer_bytes_total{backend="wireguard",direction="tx",public_key="TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0=",subnet="10.244.3.0/24"} 148.0
            # TYPE javaoverlay_tunnel_peer_latest_handshake_seconds gauge
            javaoverlay_tunnel_peer_latest_handshake_seconds{backend="wireguard",public_key="xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=",subnet="10.244.9.0/24"} 1.76485E9
            javaoverlay_tunnel_peer_latest_handshake_seconds{backend="wireguard",public_key="TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0=",subnet="10.244.3.0/24"} 0.0
            javaoverlay_peers 2.0
            """;

    @Test
    void eachPeersHandshakeAndBytesBySubnet() {
        Map<String, TunnelPeer> t = TunnelPeer.fromMetrics(METRICS);
        assertThat(t).containsOnlyKeys("10.244.9.0/24", "10.244.3.0/24");
        assertThat(t.get("10.244.9.0/24")).isEqualTo(new TunnelPeer(Optional.of(Instant.ofEpochSecond(1764850000)), 4868, 5204));
        assertThat(t.get("10.244.3.0/24")).isEqualTo(new TunnelPeer(Optional.empty(), 0, 148));
        assertThat(t.get("10.244.9.0/24").renderHandshake(Instant.ofEpochSecond(1764850012))).isEqualTo("12s ago");
        assertThat(t.get("10.244.9.0/24").renderHandshake(Instant.ofEpochSecond(1764850184))).isEqualTo("3m04s ago");
        assertThat(t.get("10.244.3.0/24").renderHandshake(Instant.ofEpochSecond(1764850184))).isEqualTo("never");
        assertThat(TunnelPeer.fromMetrics("javaoverlay_peers 2.0\n")).isEmpty();
    }
}
