package io.javaoverlay.cli.status;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** The agent's HTTP server ({@code --healthz-ip:--healthz-port}): {@code /status}, {@code /peers} and {@code /metrics}. */
final class AgentEndpoint {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI base;
    private final HttpClient http;
    private final Duration timeout;

    AgentEndpoint(String ip, int port, Duration timeout) {
        String host = ip.contains(":") ? "[" + ip + "]" : ip;
        this.base = URI.create("http://" + host + ":" + port);
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
    }

    URI base() {
        return base;
    }

    JsonNode status() throws IOException {
        return get("/status");
    }

    JsonNode peers() throws IOException {
        return get("/peers");
    }

    /** {@code /metrics}, Prometheus text. */
    String metrics() throws IOException {
        return text("/metrics");
    }

    private JsonNode get(String path) throws IOException {
        return JSON.readTree(text(path));
    }

    private String text(String path) throws IOException {
        HttpResponse<String> r;
        try {
            r = http.send(HttpRequest.newBuilder(base.resolve(path)).timeout(timeout).build(), HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
        if (r.statusCode() != 200) {
            throw new IOException("GET " + base.resolve(path) + " answered " + r.statusCode()
                    + (r.statusCode() == 404 ? " (an agent older than this command?)" : ""));
        }
        return r.body();
    }
}
