package io.javaoverlay.cni.server;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The CNI socket's answers, in the shape of an HTTP/1.1 response so the launcher can read the
 * status from the first line with a shell pattern (and launchers of the earlier protocol, which
 * sent HTTP requests, fall back to their own JVM on a 503):
 * <ul>
 *   <li>200: the plugin's stdout (exit status 0);</li>
 *   <li>422: its error result (exit status 1);</li>
 *   <li>503: not served here, the body is the caller's stdin in base64, for the launcher to
 *       run the plugin itself with; the reason is in the {@code JO-Reason} header and the
 *       agent's log.</li>
 * </ul>
 */
final class Responses {

    private Responses() {}

    static void write(OutputStream out, int status, String reason, String why, byte[] body) throws IOException {
        StringBuilder head = new StringBuilder(160).append("HTTP/1.1 ").append(status).append(' ').append(reason).append("\r\n")
                .append("Content-Length: ").append(body.length).append("\r\n")
                .append("Connection: close\r\n");
        if (!why.isEmpty()) {
            head.append("JO-Reason: ").append(printable(why)).append("\r\n");
        }
        head.append("\r\n");
        out.write(head.toString().getBytes(StandardCharsets.UTF_8));
        out.write(body);
        out.flush();
    }

    /** Control characters shown as {@code \xNN}, so what a caller sent cannot forge log lines or headers. */
    static String printable(String s) {
        StringBuilder b = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                if (b == null) {
                    b = new StringBuilder(s.length() + 8).append(s, 0, i);
                }
                b.append("\\x").append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 0xf, 16));
            } else if (b != null) {
                b.append(c);
            }
        }
        return b == null ? s : b.toString();
    }
}
