package io.javaoverlay.core.http;

import java.time.Duration;

/**
 * The bounds of {@link SmallHttpServer}.
 *
 * @param headTimeout    a request head must arrive whole within this, however slowly it trickles
 * @param idleTimeout    a kept-alive connection with no request in progress is closed after this
 * @param writeTimeout   a reply must be taken by the client within this
 * @param maxHeadBytes   the largest request head (request line and headers) accepted
 * @param maxConnections connections open at once; a new one beyond closes the oldest waiting one
 */
public record HttpLimits(Duration headTimeout, Duration idleTimeout, Duration writeTimeout, int maxHeadBytes,
                         int maxConnections) {

    /**
     * For the agent: probes and scrapers send their whole request at once, so a few seconds is
     * plenty; Prometheus keeps its connection between scrapes (15 s to 1 min apart), so kept-alive
     * connections idle for up to 2 min; 8 KiB is what common servers take as a head; 64
     * connections is far above the agent's few clients, and at most 64 buffers of memory.
     */
    public static final HttpLimits AGENT = new HttpLimits(Duration.ofSeconds(5), Duration.ofMinutes(2),
            Duration.ofSeconds(10), 8 * 1024, 64);

    public HttpLimits {
        positive("headTimeout", headTimeout);
        positive("idleTimeout", idleTimeout);
        positive("writeTimeout", writeTimeout);
        if (maxHeadBytes < 256) {
            throw new IllegalArgumentException("maxHeadBytes must be at least 256, got " + maxHeadBytes);
        }
        if (maxConnections < 2) {
            throw new IllegalArgumentException("maxConnections must be at least 2, got " + maxConnections);
        }
    }

    private static void positive(String name, Duration d) {
        if (d == null || d.isZero() || d.isNegative()) {
            throw new IllegalArgumentException(name + " must be positive, got " + d);
        }
    }
}
