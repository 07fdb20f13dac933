package io.javaoverlay.docker;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Speaks to the plugin socket the way dockerd's plugin client does: raw HTTP/1.1 POSTs with a
 * JSON body and no Content-Type. Raw so that tests can also send what no real client would.
 */
public final class PluginClient {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path socket;

    public PluginClient(Path socket) {
        this.socket = socket;
    }

    public record Reply(int status, Map<String, String> headers, String body) {
        public JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("reply is not JSON: " + body, e);
            }
        }

        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    /** POSTs {@code body} (may be null for none) to {@code /method}. */
    public Reply post(String method, String body) {
        return request("POST", "/" + method, body);
    }

    /** POSTs a JSON object built from alternating keys and values. */
    public JsonNode call(String method, Object body) {
        try {
            Reply r = post(method, body == null ? null : JSON.writeValueAsString(body));
            if (r.status() != 200) {
                throw new AssertionError(method + " answered " + r.status() + ": " + r.body());
            }
            return r.json();
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    }

    public Reply request(String verb, String path, String body) {
        byte[] payload = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
        String head = verb + " " + path + " HTTP/1.1\r\n"
                + "Host: plugin\r\n"
                + "Accept: application/vnd.docker.plugins.v1.2+json\r\n"
                + "Content-Length: " + payload.length + "\r\n"
                + "Connection: close\r\n\r\n";
        return raw(concat(head.getBytes(StandardCharsets.US_ASCII), payload));
    }

    /** Sends bytes as they are and reads the reply until the server closes. */
    public Reply raw(byte[] request) {
        return raw(request, false);
    }

    /**
     * Sends bytes as they are; with {@code keepAlive} (a request without Connection: close, as
     * dockerd sends them) the output is shut after the request so the server closes when done.
     */
    public Reply raw(byte[] request, boolean keepAlive) {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            // written on another thread: a server that refuses a huge body answers and closes
            // before the body is all sent, and the answer must still be read
            Thread writer = new Thread(() -> {
                try {
                    java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(request);
                    while (buf.hasRemaining()) {
                        ch.write(buf);
                    }
                    if (keepAlive) {
                        ch.shutdownOutput();
                    }
                } catch (IOException ignored) {
                    // the reply says why the server stopped reading
                }
            }, "plugin-client-writer");
            writer.start();
            byte[] reply = readAll(ch);
            writer.join(5000);
            return parse(reply);
        } catch (IOException e) {
            throw new UncheckedIOException("talking to " + socket, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Reads with the channel itself: a stream from Channels would hold a lock the writer needs. */
    private static byte[] readAll(SocketChannel ch) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(8192);
        try {
            while (ch.read(buf) >= 0) {
                out.write(buf.array(), 0, buf.position());
                buf.clear();
            }
        } catch (java.net.SocketException e) {
            // a server that stopped reading a body it refused resets the connection after its
            // reply; keep the reply when it arrived whole
            if (out.size() == 0) {
                throw e;
            }
        }
        return out.toByteArray();
    }

    private static Reply parse(byte[] bytes) {
        String text = new String(bytes, StandardCharsets.UTF_8);
        int end = text.indexOf("\r\n\r\n");
        if (end < 0) {
            throw new AssertionError("not an HTTP reply: " + text);
        }
        String[] lines = text.substring(0, end).split("\r\n");
        String[] statusLine = lines[0].split(" ");
        if (statusLine.length < 2 || !statusLine[0].startsWith("HTTP/") || !statusLine[1].matches("\\d{3}")) {
            throw new AssertionError("not an HTTP status line: \"" + lines[0] + "\" in a reply of " + bytes.length + " bytes: "
                    + (text.length() > 2000 ? text.substring(0, 2000) + "..." : text));
        }
        int status = Integer.parseInt(statusLine[1]);
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            headers.put(lines[i].substring(0, colon).strip().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).strip());
        }
        String body = text.substring(end + 4);
        if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            body = dechunk(body);
        }
        return new Reply(status, headers, body);
    }

    private static String dechunk(String body) {
        StringBuilder out = new StringBuilder();
        int pos = 0;
        while (true) {
            int eol = body.indexOf("\r\n", pos);
            int size = Integer.parseInt(body.substring(pos, eol).strip(), 16);
            if (size == 0) {
                return out.toString();
            }
            out.append(body, eol + 2, eol + 2 + size);
            pos = eol + 2 + size + 2;
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
