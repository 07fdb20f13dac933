package io.javaoverlay.cli.status;

import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An encrypted backend's view of one peer (wireguard: from {@code wg show dump}), as the agent
 * exports it on {@code /metrics}: {@code javaoverlay_tunnel_peer_latest_handshake_seconds} and
 * {@code javaoverlay_tunnel_peer_bytes_total{direction}}, labelled by subnet.
 *
 * @param latestHandshake empty before the first completed handshake
 */
record TunnelPeer(Optional<Instant> latestHandshake, long rxBytes, long txBytes) {

    private static final Pattern SAMPLE = Pattern.compile(
            "^javaoverlay_tunnel_peer_(latest_handshake_seconds|bytes_total)\\{([^}]*)} (\\S+)$", Pattern.MULTILINE);
    private static final Pattern LABEL = Pattern.compile("(\\w+)=\"([^\"]*)\"");

    /** The peers in a {@code /metrics} text, by subnet; empty when the backend exports none. */
    static Map<String, TunnelPeer> fromMetrics(String metrics) {
        Map<String, long[]> values = new HashMap<>();
        Matcher m = SAMPLE.matcher(metrics);
        while (m.find()) {
            Map<String, String> labels = new HashMap<>();
            Matcher l = LABEL.matcher(m.group(2));
            while (l.find()) {
                labels.put(l.group(1), l.group(2));
            }
            String subnet = labels.getOrDefault("subnet", "");
            if (subnet.isEmpty()) {
                continue;
            }
            long v = (long) Double.parseDouble(m.group(3));
            long[] a = values.computeIfAbsent(subnet, k -> new long[3]);
            if (m.group(1).equals("latest_handshake_seconds")) {
                a[0] = v;
            } else if ("rx".equals(labels.get("direction"))) {
                a[1] = v;
            } else if ("tx".equals(labels.get("direction"))) {
                a[2] = v;
            }
        }
        Map<String, TunnelPeer> out = new HashMap<>();
        values.forEach((subnet, a) -> out.put(subnet, new TunnelPeer(a[0] == 0 ? Optional.empty()
                : Optional.of(Instant.ofEpochSecond(a[0])), a[1], a[2])));
        return out;
    }

    /** {@code 12s ago}, {@code 3m04s ago}, or {@code never}. */
    String renderHandshake(Instant now) {
        if (latestHandshake.isEmpty()) {
            return "never";
        }
        long s = Math.max(0, now.getEpochSecond() - latestHandshake.get().getEpochSecond());
        return s < 60 ? s + "s ago" : s / 60 + "m" + String.format("%02d", s % 60) + "s ago";
    }
}
