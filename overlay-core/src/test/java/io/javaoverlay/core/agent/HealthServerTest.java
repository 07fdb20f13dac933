package io.javaoverlay.core.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.javaoverlay.core.http.HttpLimits;
import io.javaoverlay.core.http.RawHttp;
import io.javaoverlay.core.metrics.OverlayMetrics;

/**
 * The agent's HTTP server against clients that do not play along: slow, silent, many, or asking
 * for what it does not serve. {@code /healthz} must answer within a liveness probe's second
 * through all of it.
 */
@Timeout(60)
class HealthServerTest {

    /** Short, so that the tests of the deadline stay quick; the agent's is {@link HttpLimits#AGENT}. */
    static final Duration HEAD_TIMEOUT = Duration.ofSeconds(2);
    static final HttpLimits LIMITS = new HttpLimits(HEAD_TIMEOUT, Duration.ofSeconds(30), Duration.ofSeconds(5), 8192, 64);
    static final Duration PROBE = Duration.ofSeconds(1);

    volatile String notReady = "acquiring a subnet lease";
    volatile Duration peersTake = Duration.ZERO;
    final List<Socket> clients = new ArrayList<>();
    HealthServer server;

    @AfterEach
    void stop() throws IOException {
        for (Socket s : clients) {
            s.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void tenClientsHoldingHalfARequestNeitherDelayHealthzNorStayOpenPastTheDeadline() throws Exception {
        start(LIMITS);
        long opened = System.nanoTime();
        for (int i = 0; i < 10; i++) {
            Socket s = hold("GET /healthz HTTP/1.1\r\nHost: agent\r\n");
            clients.add(s);
        }
        for (int i = 0; i < 5; i++) {
            assertProbeAnswers("/healthz", 200);
            Thread.sleep(200);
        }
        assertThat(clients).as("not cut off before the deadline").noneMatch(RawHttp::closedByServer);
        Awaitility.await("the slow clients are closed").atMost(HEAD_TIMEOUT.plusSeconds(2)).pollInterval(Duration.ofMillis(100))
                .until(() -> clients.stream().allMatch(RawHttp::closedByServer));
        assertThat(Duration.ofNanos(System.nanoTime() - opened)).isGreaterThanOrEqualTo(HEAD_TIMEOUT.minusMillis(100));
        assertProbeAnswers("/healthz", 200);
    }

    @Test
    void aClientTricklingItsRequestByteByByteIsCutAtTheDeadlineAnyway() throws Exception {
        start(LIMITS);
        Socket s = hold("G");
        clients.add(s);
        long opened = System.nanoTime();
        byte[] rest = "ET /healthz HTTP/1.1\r\nX-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n".getBytes(StandardCharsets.US_ASCII);
        boolean cut = false;
        for (int i = 0; i < rest.length && !cut; i++) {
            Thread.sleep(150); // a per-read timeout (SO_TIMEOUT) would never fire
            try {
                s.getOutputStream().write(rest[i]);
                s.getOutputStream().flush();
            } catch (IOException e) {
                cut = true;
            }
            assertProbeAnswers("/healthz", 200);
            cut |= Duration.ofNanos(System.nanoTime() - opened).compareTo(HEAD_TIMEOUT.plusSeconds(1)) > 0;
        }
        Awaitility.await().atMost(Duration.ofSeconds(2)).until(() -> RawHttp.closedByServer(s));
        assertThat(Duration.ofNanos(System.nanoTime() - opened)).isLessThan(HEAD_TIMEOUT.plusSeconds(3));
    }

    @Test
    void aFloodOfIdleConnectionsCannotKeepAProbeOut() throws Exception {
        start(LIMITS);
        for (int i = 0; i < 200; i++) {
            // a connect waits out a SYN retransmit (1 s) when the flood outruns accept
            clients.add(RawHttp.connect(server.port(), Duration.ofSeconds(5)));
        }
        for (int i = 0; i < 3; i++) {
            assertProbeAnswers("/healthz", 200);
        }
    }

    @Test
    void aSlowHandlerDoesNotHoldUpHealthzOrReadyz() throws Exception {
        start(LIMITS);
        peersTake = Duration.ofSeconds(3);
        CompletableFuture<RawHttp.Reply> peers = CompletableFuture.supplyAsync(() -> {
            try {
                return RawHttp.exchange(server.port(), "GET /peers HTTP/1.1\r\nHost: a\r\n\r\n", Duration.ofSeconds(10));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        Thread.sleep(200);
        assertProbeAnswers("/healthz", 200);
        assertProbeAnswers("/readyz", 503);
        assertThat(peers.get().status()).isEqualTo(200);
        assertThat(peers.get().body()).isEqualTo("[]");
    }

    @Test
    void onlyGetAndHeadAreServed() throws Exception {
        start(LIMITS);
        for (String method : List.of("POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE", "CONNECT")) {
            RawHttp.Reply r = RawHttp.exchange(server.port(), method + " /healthz HTTP/1.1\r\nHost: a\r\n\r\n", PROBE);
            assertThat(r.status()).as(method).isEqualTo(405);
            assertThat(r.header("Allow")).as(method).isEqualTo("GET, HEAD");
        }
        // a body is never read: the reply still arrives whole, then the connection closes
        RawHttp.Reply post = RawHttp.exchange(server.port(),
                "POST /metrics HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world", PROBE);
        assertThat(post.status()).isEqualTo(405);
        assertThat(post.header("Connection")).isEqualTo("close");

        RawHttp.Reply head = RawHttp.exchange(server.port(), "HEAD /healthz HTTP/1.1\r\nHost: a\r\n\r\n", PROBE);
        assertThat(head.status()).isEqualTo(200);
        assertThat(head.header("Content-Length")).isEqualTo(Integer.toString("javaoverlay is running".length()));
        assertThat(RawHttp.exchange(server.port(), "GET /nope HTTP/1.1\r\nHost: a\r\n\r\n", PROBE).status()).isEqualTo(404);
    }

    @Test
    void malformedAndOversizedHeadsGetAnErrorAndAClose() throws Exception {
        start(LIMITS);
        assertThat(RawHttp.exchange(server.port(), "GET /healthz\r\n\r\n", PROBE).status()).isEqualTo(400);
        assertThat(RawHttp.exchange(server.port(), "GET /healthz HTTP/2.0\r\n\r\n", PROBE).status()).isEqualTo(505);
        assertThat(RawHttp.exchange(server.port(), "GET /healthz HTTP/1.1\r\nBad Header\r\n\r\n", PROBE).status()).isEqualTo(400);
        RawHttp.Reply big = RawHttp.exchange(server.port(), "GET /healthz HTTP/1.1\r\nX: " + "a".repeat(9000) + "\r\n\r\n", PROBE);
        assertThat(big.status()).isEqualTo(431);
        assertProbeAnswers("/healthz", 200);
    }

    @Test
    void keptAliveAndPipelinedRequestsAreAnswered() throws Exception {
        start(LIMITS);
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/status"))
                    .timeout(PROBE).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("{\"Ready\":false}");
        }
        try (Socket s = RawHttp.connect(server.port(), PROBE)) {
            s.getOutputStream().write(("GET /healthz HTTP/1.1\r\nHost: a\r\n\r\nGET /readyz?verbose HTTP/1.1\r\nHost: a\r\n\r\n"
                    + "HEAD /healthz HTTP/1.1\r\nHost: a\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            assertThat(RawHttp.read(s.getInputStream(), true).status()).isEqualTo(200);
            assertThat(RawHttp.read(s.getInputStream(), true).body()).contains("acquiring a subnet lease");
            assertThat(RawHttp.read(s.getInputStream(), false).status()).isEqualTo(200);
            notReady = null;
            s.getOutputStream().write("GET /readyz HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(RawHttp.read(s.getInputStream(), true).status()).isEqualTo(200);
            assertThat(RawHttp.closedByServer(s)).isTrue();
        }
    }

    @Test
    void theAgentsServerServesMetricsOnTheConfiguredAddress() throws Exception {
        server = new HealthServer("127.0.0.1", 0, () -> notReady, () -> "[]", () -> "{}", new OverlayMetrics());
        RawHttp.Reply metrics = RawHttp.exchange(server.port(), "GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n", Duration.ofSeconds(10));
        assertThat(metrics.status()).isEqualTo(200);
        assertThat(metrics.header("Content-Type")).startsWith("text/plain; version=0.0.4");
        assertProbeAnswers("/healthz", 200);
    }

    // --- helpers ---

    private void start(HttpLimits limits) throws IOException {
        server = new HealthServer(new InetSocketAddress("127.0.0.1", 0), limits, () -> notReady, this::peers,
                () -> notReady == null ? "{\"Ready\":true}" : "{\"Ready\":false}", new OverlayMetrics());
    }

    private String peers() {
        try {
            Thread.sleep(peersTake.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return "[]";
    }

    /** A connection that sent {@code part} of a request and waits. */
    private Socket hold(String part) throws IOException {
        Socket s = RawHttp.connect(server.port(), Duration.ofMillis(50));
        s.getOutputStream().write(part.getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
        return s;
    }

    /** A probe as the kubelet makes one: a new connection, one GET, one second for the answer. */
    private void assertProbeAnswers(String path, int status) throws IOException {
        long start = System.nanoTime();
        RawHttp.Reply r = RawHttp.exchange(server.port(), "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "User-Agent: kube-probe/1.29\r\nConnection: close\r\n\r\n", PROBE);
        assertThat(r.status()).as(path).isEqualTo(status);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as(path).isLessThan(PROBE);
    }
}
