package io.javaoverlay.core.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

class HttpHeadTest {

    @Test
    void theEndOfAHeadIsFoundWithCrLfOrBareLf() {
        assertThat(end("GET / HTTP/1.1\r\nHost: a\r\n\r\n")).isEqualTo(27);
        assertThat(end("GET / HTTP/1.1\nHost: a\n\n")).isEqualTo(24);
        assertThat(end("GET / HTTP/1.1\r\nHost: a\r\n")).isEqualTo(-1);
        assertThat(end("GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /next")).as("a pipelined request stays").isEqualTo(27);
    }

    @Test
    void theRequestLineAndTheHeadersThatMatterAreRead() throws Exception {
        HttpHead get = parse("GET /metrics?name=x HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\n");
        assertThat(get).isEqualTo(new HttpHead("GET", "/metrics", true, false));
        assertThat(parse("\r\nGET /healthz HTTP/1.1\r\nConnection: Keep-Alive, close\r\n\r\n").keepAlive()).isFalse();
        assertThat(parse("GET /healthz HTTP/1.0\r\n\r\n").keepAlive()).as("HTTP/1.0 closes").isFalse();
        assertThat(parse("GET http://agent:8471/readyz HTTP/1.1\r\n\r\n").path()).isEqualTo("/readyz");
        HttpHead post = parse("POST /healthz HTTP/1.1\r\nContent-Length: 5\r\n\r\n");
        assertThat(post.hasBody()).isTrue();
        assertThat(post.keepAlive()).as("the body is never read, so the connection cannot be reused").isFalse();
        assertThat(parse("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n").hasBody()).isTrue();
    }

    @Test
    void malformedHeadsAreRefusedWithTheStatusToSend() {
        assertStatus("GET /healthz\r\n\r\n", 400);
        assertStatus("GET  /healthz HTTP/1.1\r\n\r\n", 400);
        assertStatus("G\u00e9T /healthz HTTP/1.1\r\n\r\n", 400);
        assertStatus("GET /health\u0000z HTTP/1.1\r\n\r\n", 400);
        assertStatus("GET /healthz HTTP/2.0\r\n\r\n", 505);
        assertStatus("GET /healthz HTTP/1.1\r\nNo colon here\r\n\r\n", 400);
        assertStatus("GET /healthz HTTP/1.1\r\nX-A: 1\r\n folded\r\n\r\n", 400);
        assertStatus("GET /healthz HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400);
        assertStatus("GET /healthz HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n", 400);
        assertStatus("\r\n\r\n", 400);
    }

    private static int end(String s) {
        byte[] b = s.getBytes(StandardCharsets.ISO_8859_1);
        return HttpHead.end(b, 0, b.length);
    }

    private static HttpHead parse(String s) throws HttpHead.Malformed {
        byte[] b = s.getBytes(StandardCharsets.ISO_8859_1);
        return HttpHead.parse(b, HttpHead.end(b, 0, b.length));
    }

    private static void assertStatus(String head, int status) {
        byte[] b = head.getBytes(StandardCharsets.ISO_8859_1);
        int end = HttpHead.end(b, 0, b.length);
        assertThatThrownBy(() -> HttpHead.parse(b, end < 0 ? b.length : end)).as(head)
                .isInstanceOfSatisfying(HttpHead.Malformed.class, e -> assertThat(e.status).isEqualTo(status));
    }
}
