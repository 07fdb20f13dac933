package io.javaoverlay.core.http;

import java.nio.charset.StandardCharsets;

/**
 * A reply, whole in memory.
 *
 * @param status      the HTTP status code
 * @param contentType the body's media type
 * @param body        the body (left out for HEAD; its length is still sent)
 */
public record HttpReply(int status, String contentType, byte[] body) {

    public HttpReply {
        if (status < 100 || status > 599) {
            throw new IllegalArgumentException("not an HTTP status: " + status);
        }
        if (contentType == null || contentType.isEmpty() || body == null) {
            throw new IllegalArgumentException("a reply needs a content type and a body");
        }
    }

    /** A UTF-8 text reply. */
    public static HttpReply text(int status, String type, String body) {
        return new HttpReply(status, type + "; charset=utf-8", body.getBytes(StandardCharsets.UTF_8));
    }

    static String reason(int status) {
        return switch (status) {
            case 200 -> "OK";
            case 400 -> "Bad Request";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 413 -> "Content Too Large";
            case 431 -> "Request Header Fields Too Large";
            case 500 -> "Internal Server Error";
            case 503 -> "Service Unavailable";
            case 505 -> "HTTP Version Not Supported";
            default -> "Status " + status;
        };
    }
}
