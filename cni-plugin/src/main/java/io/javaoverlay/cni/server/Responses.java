package io.javaoverlay.cni.server;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Writes the CNI socket's answers as {@link CniSocketProtocol} describes them (launchers of the
 * earlier protocol, which sent HTTP requests, fall back to their own JVM on its 503).
 */
final class Responses {

    private Responses() {}

    static void write(OutputStream out, CniSocketProtocol.Status status, String why, byte[] body) throws IOException {
        StringBuilder head = new StringBuilder(160).append(status.linePrefix()).append(status.reason()).append("\r\n")
                .append("Content-Length: ").append(body.length).append("\r\n")
                .append("Connection: close\r\n");
        if (!why.isEmpty()) {
            head.append(CniSocketProtocol.REASON_HEADER).append(": ").append(printable(why)).append("\r\n");
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
