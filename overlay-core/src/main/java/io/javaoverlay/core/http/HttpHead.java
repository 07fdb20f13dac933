package io.javaoverlay.core.http;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * A parsed request head: the request line and the few headers the server acts on.
 *
 * @param method    the request method, e.g. {@code GET}
 * @param path      the target's path, without query string
 * @param keepAlive the client keeps the connection for another request (HTTP/1.1 without
 *                  {@code Connection: close}); HTTP/1.0 connections are closed after the reply
 * @param hasBody   a body follows ({@code Content-Length} above 0, or {@code Transfer-Encoding}):
 *                  the server never reads one, so the connection closes after the reply
 */
public record HttpHead(String method, String path, boolean keepAlive, boolean hasBody) {

    /** The head cannot be understood; {@code status} is the reply to send before closing. */
    static final class Malformed extends Exception {
        private static final long serialVersionUID = 1L;
        final int status;

        Malformed(int status, String message) {
            super(message, null, false, false);
            this.status = status;
        }
    }

    /**
     * Where the head in {@code buf[0, len)} ends (the index after its blank line), or -1 while it
     * is incomplete. {@code from} is where to start looking: bytes already searched need no
     * second look, so a head that trickles in byte by byte costs linear time.
     */
    static int end(byte[] buf, int from, int len) {
        for (int i = Math.max(from, 1); i < len; i++) {
            if (buf[i] == '\n') {
                if (buf[i - 1] == '\n') {
                    return i + 1;
                }
                if (buf[i - 1] == '\r' && i >= 2 && buf[i - 2] == '\n') {
                    return i + 1;
                }
            }
        }
        return -1;
    }

    /** Parses the head in {@code buf[0, len)}, as found by {@link #end}. */
    static HttpHead parse(byte[] buf, int len) throws Malformed {
        // ISO-8859-1: one char per byte, so no byte sequence can fail to decode
        String[] lines = new String(buf, 0, len, StandardCharsets.ISO_8859_1).split("\r?\n", -1);
        int at = 0;
        while (at < lines.length && lines[at].isEmpty()) {
            at++; // RFC 9112 2.2: empty lines before the request line are ignored
        }
        if (at == lines.length) {
            throw new Malformed(400, "no request line");
        }
        String[] parts = lines[at].split(" ", -1);
        if (parts.length != 3 || !isToken(parts[0]) || parts[1].isEmpty() || hasControl(parts[1])) {
            throw new Malformed(400, "not a request line");
        }
        String version = parts[2];
        if (!version.equals("HTTP/1.1") && !version.equals("HTTP/1.0")) {
            throw new Malformed(version.startsWith("HTTP/") ? 505 : 400, "unsupported version");
        }
        boolean close = version.equals("HTTP/1.0");
        boolean hasBody = false;
        for (int i = at + 1; i < lines.length && !lines[i].isEmpty(); i++) {
            String line = lines[i];
            int colon = line.indexOf(':');
            if (colon <= 0 || !isToken(line.substring(0, colon)) || hasControl(line)) {
                throw new Malformed(400, "malformed header line"); // also obsolete line folding
            }
            String name = line.substring(0, colon).toLowerCase(Locale.ROOT);
            String value = line.substring(colon + 1).strip();
            switch (name) {
                case "connection" -> {
                    for (String token : value.split(",")) {
                        close |= token.strip().equalsIgnoreCase("close");
                    }
                }
                case "content-length" -> hasBody |= contentLength(value) > 0;
                case "transfer-encoding" -> hasBody = true;
                default -> { }
            }
        }
        return new HttpHead(parts[0], path(parts[1]), !close && !hasBody, hasBody);
    }

    private static String path(String target) {
        String p = target;
        if (!p.startsWith("/")) {
            // absolute form (http://host/path), which a proxy would send; "*" stays as it is
            int scheme = p.indexOf("://");
            if (scheme > 0) {
                int slash = p.indexOf('/', scheme + 3);
                p = slash < 0 ? "/" : p.substring(slash);
            }
        }
        int q = indexOfAny(p, '?', '#');
        return q < 0 ? p : p.substring(0, q);
    }

    private static long contentLength(String value) throws Malformed {
        if (value.isEmpty() || value.length() > 18 || !value.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new Malformed(400, "malformed Content-Length");
        }
        return Long.parseLong(value);
    }

    private static int indexOfAny(String s, char a, char b) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) == a || s.charAt(i) == b) {
                return i;
            }
        }
        return -1;
    }

    /** RFC 9110 token characters. */
    private static boolean isToken(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    private static boolean hasControl(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if ((c < 0x20 && c != '\t') || c == 0x7f) {
                return true;
            }
        }
        return false;
    }
}
