package io.javaoverlay.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

import io.javaoverlay.core.netlink.NetNs;

/**
 * A plain HTTP GET to a server inside a network namespace: the socket is made on a thread
 * switched into the namespace ({@link NetNs#call}) and belongs to it from then on.
 */
public final class HttpInNamespace {

    private HttpInNamespace() {}

    /** The body of {@code GET path} at 127.0.0.1:port inside namespace {@code ns}; fails unless 200. */
    public static String get(String ns, int port, String path) {
        return get(ns, new InetSocketAddress(InetAddress.getLoopbackAddress(), port), path);
    }

    /**
     * The body of {@code GET path} from {@code server} (an address of either family), asked from inside
     * namespace {@code ns}; fails unless 200. One connection per request, closed by the server
     * (HTTP/1.0): no process per request, so a test can poll a server every few milliseconds.
     */
    public static String get(String ns, InetSocketAddress server, String path) {
        try (NetNs netns = NetNs.named(ns)) {
            Socket socket = netns.call(() -> {
                Socket s = new Socket();
                s.connect(server, 5000);
                return s;
            });
            try (socket) {
                socket.setSoTimeout(10_000);
                OutputStream out = socket.getOutputStream();
                out.write(("GET " + path + " HTTP/1.0\r\nHost: " + host(server) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                InputStream in = socket.getInputStream();
                String response = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                int body = response.indexOf("\r\n\r\n");
                if (!response.startsWith("HTTP/1.1 200") && !response.startsWith("HTTP/1.0 200")) {
                    throw new AssertionError("GET " + path + " in " + ns + " answered: " + response.lines().findFirst().orElse(""));
                }
                return response.substring(body + 4);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("GET " + path + " in " + ns, e);
        }
    }

    /** The Host header's value: an IPv6 literal in brackets. */
    private static String host(InetSocketAddress server) {
        String a = server.getAddress().getHostAddress();
        return (a.contains(":") ? "[" + a + "]" : a) + ":" + server.getPort();
    }
}
