package io.javaoverlay.cni.server;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * One CNI call as the launcher's client ({@code curl --unix-socket}) sends it: an HTTP/1.1
 * {@code POST /cni} whose headers carry the CNI environment variables ({@code CNI-Command:
 * ADD} for {@code CNI_COMMAND=ADD}, ...) and the caller's network namespace
 * ({@code JO-Caller-Netns: net:[4026531992]}), and whose body is the plugin's stdin.
 *
 * <p>Only what that client sends is understood: one request per connection, a body of
 * {@code Content-Length} bytes or, without that header, a POST's up to the end of the stream (the client
 * shuts its side down after the body; a shell client cannot count bytes cheaply), no chunking.
 *
 * @param env          the CNI variables, named as in the process environment
 * @param callerNetns  the caller's {@code readlink /proc/self/ns/net}; empty when not sent
 */
record CniRequest(String method, String target, Map<String, String> env, String callerNetns, byte[] body) {

    /** A config with a long prevResult is a few kB; anything near this is not a CNI call. */
    static final int MAX_BODY = 4 * 1024 * 1024;
    private static final int MAX_HEADER_LINE = 16 * 1024;
    private static final int MAX_HEADERS = 64;
    static final String CALLER_NETNS = "jo-caller-netns";

    /** Thrown for anything that is not such a request; answered with 400. */
    static final class BadRequest extends Exception {
        BadRequest(String message) {
            super(message);
        }
    }

    static CniRequest read(InputStream in) throws IOException, BadRequest {
        String requestLine = line(in);
        if (requestLine == null) {
            throw new BadRequest("connection closed before a request");
        }
        String[] parts = requestLine.split(" ");
        if (parts.length != 3 || !parts[2].startsWith("HTTP/1.")) {
            throw new BadRequest("not an HTTP/1.x request line: " + requestLine);
        }
        Map<String, String> env = new LinkedHashMap<>();
        String callerNetns = "";
        int length = -1;
        for (int n = 0; ; n++) {
            String header = line(in);
            if (header == null) {
                throw new BadRequest("connection closed in the headers");
            }
            if (header.isEmpty()) {
                break;
            }
            if (n == MAX_HEADERS) {
                throw new BadRequest("more than " + MAX_HEADERS + " headers");
            }
            int colon = header.indexOf(':');
            if (colon <= 0) {
                throw new BadRequest("malformed header: " + header);
            }
            String name = header.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = header.substring(colon + 1).trim();
            if (name.equals("content-length")) {
                try {
                    length = Integer.parseInt(value);
                } catch (NumberFormatException e) {
                    throw new BadRequest("bad Content-Length: " + value);
                }
                if (length < 0 || length > MAX_BODY) {
                    throw new BadRequest("Content-Length " + length + " out of range");
                }
            } else if (name.equals("transfer-encoding")) {
                throw new BadRequest("chunked bodies are not supported; send Content-Length");
            } else if (name.equals(CALLER_NETNS)) {
                callerNetns = value;
            } else if (name.startsWith("cni-")) {
                // CNI-Containerid -> CNI_CONTAINERID
                env.put(name.toUpperCase(Locale.ROOT).replace('-', '_'), value);
            }
        }
        if (length < 0 && !parts[0].equals("POST")) {
            return new CniRequest(parts[0], parts[1], env, callerNetns, new byte[0]);
        }
        if (length < 0) {
            byte[] body = in.readNBytes(MAX_BODY + 1);
            if (body.length > MAX_BODY) {
                throw new BadRequest("body longer than " + MAX_BODY + " bytes");
            }
            return new CniRequest(parts[0], parts[1], env, callerNetns, body);
        }
        byte[] body = in.readNBytes(length);
        if (body.length != length) {
            throw new BadRequest("body shorter than its Content-Length (" + body.length + " of " + length + " bytes)");
        }
        return new CniRequest(parts[0], parts[1], env, callerNetns, body);
    }

    /** A CRLF- (or LF-) terminated line in ISO-8859-1, as HTTP headers are; null at end of stream. */
    private static String line(InputStream in) throws IOException, BadRequest {
        ByteArrayOutputStream b = new ByteArrayOutputStream(128);
        int c;
        while ((c = in.read()) != -1) {
            if (c == '\n') {
                byte[] bytes = b.toByteArray();
                int len = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                return new String(bytes, 0, len, StandardCharsets.ISO_8859_1);
            }
            if (b.size() == MAX_HEADER_LINE) {
                throw new BadRequest("header line longer than " + MAX_HEADER_LINE + " bytes");
            }
            b.write(c);
        }
        return b.size() == 0 ? null : b.toString(StandardCharsets.ISO_8859_1);
    }
}
