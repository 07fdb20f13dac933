package io.javaoverlay.core.http;

/**
 * A path the server answers (GET and HEAD).
 *
 * @param path    the exact path, e.g. {@code /healthz}; a query string is ignored
 * @param handler makes the reply
 * @param instant the handler returns at once without blocking (reads a field, formats a short
 *                string): it runs on the selector thread and never waits behind a slow one
 */
public record HttpRoute(String path, Handler handler, boolean instant) {

    /** Makes a reply for a request of the route's path. */
    @FunctionalInterface
    public interface Handler {
        HttpReply handle(HttpHead request) throws Exception;
    }

    public HttpRoute {
        if (path == null || !path.startsWith("/") || handler == null) {
            throw new IllegalArgumentException("a route needs a path starting with / and a handler, got " + path);
        }
    }

    /** A route answered on the selector thread: only for handlers that cannot block. */
    public static HttpRoute instant(String path, Handler handler) {
        return new HttpRoute(path, handler, true);
    }

    /** A route answered on the worker thread. */
    public static HttpRoute of(String path, Handler handler) {
        return new HttpRoute(path, handler, false);
    }
}
