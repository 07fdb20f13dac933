package io.javaoverlay.docker;

import java.nio.charset.StandardCharsets;
import java.util.function.Function;

import io.javaoverlay.core.net.MacAddress;
import io.javaoverlay.docker.state.Ids;

/**
 * Checks of the strings dockerd hands the plugin before they name a file, an interface or an
 * owner in the shared IPAM store, or reach a log line. dockerd sends well-formed values, but
 * the socket takes whatever a caller writes: a value that is not what Docker would send is a
 * {@link PluginException.BadRequest} naming the field, never an exception from deeper down
 * (which would be answered as a plugin bug, HTTP 500).
 *
 * <p>Values are quoted in messages with {@link #quote}: control characters escaped (a newline
 * must not start a forged log line) and long values cut, so that a megabyte of junk does not
 * come back as a megabyte of error message.
 */
public final class DockerInput {

    /** Where a quoted value is cut: longer than any ID, path or address dockerd sends. */
    static final int QUOTE_LIMIT = 160;
    /** PATH_MAX: a sandbox key is a path dockerd made (/var/run/docker/netns/...). */
    static final int MAX_PATH_BYTES = 4096;
    /** Where a whole error message is cut. */
    static final int MESSAGE_LIMIT = 2000;

    private DockerInput() {}

    /** A network or endpoint ID: letters, digits and {@code _.:-} ({@link Ids}), so it can name a file. */
    public static String id(String field, String value) {
        if (value == null || value.isEmpty()) {
            throw new PluginException.BadRequest(field + " is missing");
        }
        if (!Ids.isValid(value)) {
            throw new PluginException.BadRequest(field + " " + quote(value) + " is not a Docker ID (up to 128 letters, digits"
                    + " and _.:- characters)");
        }
        return value;
    }

    /**
     * {@code value} of {@code field} read by {@code parser} (an address or network parser of
     * {@code io.javaoverlay.core.net}); a value it refuses with an IllegalArgumentException is a
     * BadRequest that names the field and gives the parser's reason.
     */
    public static <T> T parsed(String field, String value, Function<String, T> parser) {
        try {
            return parser.apply(value);
        } catch (IllegalArgumentException e) {
            throw new PluginException.BadRequest(field + ": " + e.getMessage());
        }
    }

    /** A MAC address as Go prints one ({@code 02:42:0a:05:48:02}). */
    public static MacAddress mac(String field, String value) {
        if (value == null || value.isEmpty()) {
            throw new PluginException.BadRequest(field + " is missing");
        }
        try {
            return MacAddress.parse(value);
        } catch (IllegalArgumentException e) {
            throw new PluginException.BadRequest(field + " " + quote(value) + " is not a MAC address (expected aa:bb:cc:dd:ee:ff)");
        }
    }

    /** The container's namespace path: absolute, printable, no longer than a path can be. */
    public static String sandboxKey(String value) {
        if (value == null || value.isEmpty()) {
            throw new PluginException.BadRequest("SandboxKey is missing");
        }
        if (!value.startsWith("/") || hasControl(value) || value.getBytes(StandardCharsets.UTF_8).length > MAX_PATH_BYTES) {
            throw new PluginException.BadRequest("SandboxKey " + quote(value) + " is not the path of a network namespace");
        }
        return value;
    }

    /** {@code value} in double quotes for a message, control characters escaped, cut after {@value #QUOTE_LIMIT} characters. */
    public static String quote(String value) {
        if (value == null) {
            return "null";
        }
        StringBuilder sb = new StringBuilder(Math.min(value.length(), QUOTE_LIMIT) + 32).append('"');
        escape(value, QUOTE_LIMIT, sb);
        sb.append('"');
        if (value.length() > QUOTE_LIMIT) {
            sb.append("... (").append(value.length()).append(" characters)");
        }
        return sb.toString();
    }

    /**
     * A whole message made safe for a log line and a reply (the edge's last guard, for messages
     * that carry a value from deeper down): control characters escaped, cut after
     * {@value #MESSAGE_LIMIT} characters.
     */
    public static String printable(String message) {
        if (message == null || (!hasControl(message) && message.length() <= MESSAGE_LIMIT)) {
            return message;
        }
        StringBuilder sb = new StringBuilder(Math.min(message.length(), MESSAGE_LIMIT) + 32);
        escape(message, MESSAGE_LIMIT, sb);
        if (message.length() > MESSAGE_LIMIT) {
            sb.append("... (").append(message.length()).append(" characters)");
        }
        return sb.toString();
    }

    private static void escape(String value, int limit, StringBuilder sb) {
        int end = Math.min(value.length(), limit);
        for (int i = 0; i < end; i++) {
            char c = value.charAt(i);
            switch (c) {
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (isControl(c)) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
    }

    /** True when {@code value} holds a character that would break a line or a terminal. */
    public static boolean hasControl(String value) {
        for (int i = 0; i < value.length(); i++) {
            if (isControl(value.charAt(i))) {
                return true;
            }
        }
        return false;
    }

    private static boolean isControl(char c) {
        return c < 0x20 || (c >= 0x7f && c < 0xa0) || c == '\u2028' || c == '\u2029';
    }
}
