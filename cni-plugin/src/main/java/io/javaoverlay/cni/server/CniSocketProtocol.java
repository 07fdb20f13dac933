package io.javaoverlay.cni.server;

import io.javaoverlay.cni.Dispatcher;

/**
 * The CNI socket's protocol, described once: what the launcher ({@code bin/javaoverlay}, a shell
 * script) and the agent's {@link CniSocketServer} both speak. {@code CniSocketProtocolTest} checks
 * the launcher's text against these values, and the server writes nothing but them.
 *
 * <ol>
 *   <li>The launcher connects to the socket ({@link #SOCKET_VARIABLE}, default
 *       {@link #DEFAULT_SOCKET}; empty turns the socket off) and sends the plugin's stdin, at most
 *       {@link #STDIN_LIMIT} bytes, and nothing else: the agent reads the caller's uid, network
 *       namespace and CNI variables from the kernel.</li>
 *   <li>The agent answers in the shape of an HTTP/1.1 response, whose first line a shell pattern
 *       reads: {@link #RESULT} with the plugin's stdout (the launcher exits 0), {@link #ERROR_RESULT}
 *       with its error result (exit 1), or {@link #NOT_SERVED} with the caller's stdin in base64
 *       as the body and the reason in the {@link #REASON_HEADER} header: the launcher then runs
 *       the plugin in a JVM of its own with that stdin.</li>
 * </ol>
 */
public final class CniSocketProtocol {

    private CniSocketProtocol() {}

    /** The environment variable naming the socket in the runtime's environment. */
    public static final String SOCKET_VARIABLE = "JAVAOVERLAY_CNI_SOCKET";

    /** Where the agent serves CNI calls unless told otherwise ({@code agent --cni-socket}). */
    public static final String DEFAULT_SOCKET = "/run/javaoverlay/cni.sock";

    /** One byte more than the plugin accepts, so that an oversized stdin is reported as such and never buffered whole. */
    public static final int STDIN_LIMIT = Dispatcher.MAX_CONFIG_BYTES + 1;

    /** The plugin's result follows. */
    public static final Status RESULT = new Status(200, "OK");

    /** The plugin's error result follows. */
    public static final Status ERROR_RESULT = new Status(422, "Unprocessable Entity");

    /** Not served here: the caller's stdin, base64, follows. */
    public static final Status NOT_SERVED = new Status(503, "Service Unavailable");

    /** The header that says why a call is not served. */
    public static final String REASON_HEADER = "JO-Reason";

    /** An answer's status. */
    public record Status(int code, String reason) {
        /** The first line's start, as the launcher matches it: {@code HTTP/1.1 200 }. */
        public String linePrefix() {
            return "HTTP/1.1 " + code + " ";
        }
    }
}
