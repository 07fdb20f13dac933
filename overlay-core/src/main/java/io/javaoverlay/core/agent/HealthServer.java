package io.javaoverlay.core.agent;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.javaoverlay.core.http.HttpLimits;
import io.javaoverlay.core.http.HttpReply;
import io.javaoverlay.core.http.HttpRoute;
import io.javaoverlay.core.http.SmallHttpServer;
import io.javaoverlay.core.metrics.MetricsExposition;
import io.javaoverlay.core.metrics.OverlayMetrics;
import io.javaoverlay.core.metrics.RuntimeMetrics;

/**
 * flanneld's health endpoints on {@code --healthz-ip:--healthz-port}: {@code /healthz} answers
 * 200 while the agent runs; {@code /readyz} answers 200 once subnet.env is written, 503 before.
 * {@code /peers} (ours) lists the peer leases the agent knows, as JSON, for operators and tests.
 * {@code /status} (ours) is this host's lease, backend and readiness as JSON ({@link AgentStatus}).
 * {@code /metrics} serves the Prometheus metrics the agent was given ({@link OverlayMetrics}).
 *
 * <p>GET and HEAD only, on {@link SmallHttpServer}: slow or idle clients cost no thread and are
 * cut off at deadlines, so they cannot starve a liveness probe, which would restart the agent.
 * {@code /healthz} and {@code /readyz} are answered on the server's selector thread, never behind
 * a metrics scrape or a long peer list.
 */
final class HealthServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(HealthServer.class);

    private final SmallHttpServer server;

    HealthServer(String ip, int port, Supplier<String> notReadyReason, Supplier<String> peersJson, Supplier<String> statusJson,
                 OverlayMetrics metrics) throws IOException {
        this(new InetSocketAddress(ip, port), HttpLimits.AGENT, notReadyReason, peersJson, statusJson, metrics);
    }

    HealthServer(InetSocketAddress address, HttpLimits limits, Supplier<String> notReadyReason, Supplier<String> peersJson,
                 Supplier<String> statusJson, OverlayMetrics metrics) throws IOException {
        server = SmallHttpServer.start(address, limits, List.of(
                HttpRoute.instant("/healthz", r -> HttpReply.text(200, "text/plain", "javaoverlay is running")),
                HttpRoute.instant("/readyz", r -> {
                    String reason = notReadyReason.get();
                    return reason == null ? HttpReply.text(200, "text/plain", "javaoverlay is ready")
                            : HttpReply.text(503, "text/plain", "javaoverlay is not ready yet: " + reason);
                }),
                HttpRoute.of("/peers", r -> HttpReply.text(200, "application/json", peersJson.get())),
                HttpRoute.of("/status", r -> HttpReply.text(200, "application/json", statusJson.get())),
                HttpRoute.of("/metrics", r -> {
                    RuntimeMetrics.register(metrics); // at once if scraped before the agent is ready and registers them itself
                    return new HttpReply(200, MetricsExposition.contentType(), MetricsExposition.scrape(metrics));
                })), "healthz");
        LOG.info("health server listening on {}:{}", address.getHostString(), server.port());
    }

    int port() {
        return server.port();
    }

    @Override
    public void close() {
        server.close();
    }
}
