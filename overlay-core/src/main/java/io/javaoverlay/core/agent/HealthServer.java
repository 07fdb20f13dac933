package io.javaoverlay.core.agent;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import io.javaoverlay.core.metrics.MetricsExposition;
import io.javaoverlay.core.metrics.RuntimeMetrics;

/**
 * flanneld's health endpoints on {@code --healthz-ip:--healthz-port}: {@code /healthz} answers
 * 200 while the agent runs; {@code /readyz} answers 200 once subnet.env is written, 503 before.
 * {@code /peers} (ours) lists the peer leases the agent knows, as JSON, for operators and tests.
 * {@code /status} (ours) is this host's lease, backend and readiness as JSON ({@link AgentStatus}).
 * {@code /metrics} serves the Prometheus metrics ({@link io.javaoverlay.core.metrics.OverlayMetrics}).
 */
final class HealthServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(HealthServer.class);

    static {
        // TCP_NODELAY on the server's connections. The JDK's server writes a reply's headers and
        // body separately: with Nagle on, every request after the first on a kept-alive
        // connection (Prometheus scrapes, a poller) waited for the client's delayed ACK, ~40 ms
        // (measured: 42-50 ms per request, 1-3 ms with it; docs/benchmarks.md). Read once, when
        // the JDK's server first loads its configuration, so it must be set before any server
        // is made; an explicit -Dsun.net.httpserver.nodelay wins.
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
    }

    private final HttpServer server;
    private final ExecutorService pool;

    HealthServer(String ip, int port, Supplier<String> notReadyReason, Supplier<String> peersJson, Supplier<String> statusJson)
            throws IOException {
        server = HttpServer.create(new InetSocketAddress(ip, port), 16);
        pool = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "healthz");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(pool);
        server.createContext("/healthz", ex -> reply(ex, 200, "text/plain", "javaoverlay is running"));
        server.createContext("/readyz", ex -> {
            String reason = notReadyReason.get();
            if (reason == null) {
                reply(ex, 200, "text/plain", "javaoverlay is ready");
            } else {
                reply(ex, 503, "text/plain", "javaoverlay is not ready yet: " + reason);
            }
        });
        server.createContext("/peers", ex -> reply(ex, 200, "application/json", peersJson.get()));
        server.createContext("/status", ex -> reply(ex, 200, "application/json", statusJson.get()));
        server.createContext("/metrics", ex -> {
            RuntimeMetrics.register(); // at once if scraped before the agent is ready and registers them itself
            reply(ex, 200, MetricsExposition.contentType(), MetricsExposition.scrape());
        });
        server.start();
        LOG.info("health server listening on {}:{}", ip, server.getAddress().getPort());
    }

    int port() {
        return server.getAddress().getPort();
    }

    private static void reply(HttpExchange ex, int status, String type, String body) throws IOException {
        reply(ex, status, type + "; charset=utf-8", body.getBytes(StandardCharsets.UTF_8));
    }

    private static void reply(HttpExchange ex, int status, String contentType, byte[] bytes) throws IOException {
        ex.getResponseHeaders().set("Content-Type", contentType);
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        pool.shutdownNow();
    }
}
