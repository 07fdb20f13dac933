package io.javaoverlay.docker.server;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.javaoverlay.core.files.LockFile;
import io.javaoverlay.core.metrics.OverlayMetrics;
import io.javaoverlay.docker.DockerInput;
import io.javaoverlay.docker.HostLease;
import io.javaoverlay.docker.PluginException;
import io.javaoverlay.docker.api.PluginMessages;

/**
 * Dispatches {@code POST /<method>} to its {@link Route}: reads the body (dockerd sends no
 * Content-Type, so none is required), decodes it, calls the route, encodes the reply.
 *
 * <p>Calls run one at a time: dockerd may call concurrently for different containers, and
 * every state-changing call reads and writes the same on-disk state and host bridge, so one
 * lock here is the single owner of that state. Each call takes milliseconds; one that is stuck
 * (waiting for the IPAM lock another process holds, itself bounded) must not stall every other
 * request for good, so a call waits at most {@link #lockWait} for its turn and is then answered
 * with an error that says the plugin is busy.
 */
public final class RpcHandler extends Handler.Abstract {

    private static final Logger LOG = LoggerFactory.getLogger(RpcHandler.class);

    /** What libnetwork's plugin client accepts; it ignores the type but the spec names it. */
    public static final String CONTENT_TYPE = "application/vnd.docker.plugins.v1+json";

    /** Far above any real request (a network's options, a port map); bounds a hostile one. */
    static final int MAX_BODY_BYTES = 1 << 20;

    /** Methods that only read: they skip the lock so a slow call cannot stall a handshake. */
    private static final Set<String> LOCK_FREE = Set.of(
            "Plugin.Activate", "NetworkDriver.GetCapabilities", "IpamDriver.GetCapabilities",
            "IpamDriver.GetDefaultAddressSpaces");

    private final ObjectMapper json;
    private final Map<String, Route<?>> routes = new LinkedHashMap<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final Duration lockWait;
    private final LeaseGate leaseGate;
    private final OverlayMetrics metrics;

    /**
     * @param lease     this host's lease, which the routes that {@linkplain Route#needsLease need it}
     *                  wait for ({@link LeaseGate})
     * @param leaseWait how long they wait before failing with {@link PluginException.NoLease}
     * @param metrics   where each call is counted and timed ({@code javaoverlay_operations_total{face="docker"}})
     */
    public RpcHandler(ObjectMapper json, List<Route<?>> routes, HostLease lease, Duration leaseWait, OverlayMetrics metrics) {
        this(json, routes, lease, leaseWait, LockFile.DEFAULT_WAIT, metrics);
    }

    /** @param lockWait how long a call waits for the one before it to finish */
    public RpcHandler(ObjectMapper json, List<Route<?>> routes, HostLease lease, Duration leaseWait, Duration lockWait,
                      OverlayMetrics metrics) {
        if (metrics == null) {
            throw new IllegalArgumentException("the plugin needs metrics to report into");
        }
        this.metrics = metrics;
        this.json = json;
        this.lockWait = lockWait;
        this.leaseGate = new LeaseGate(lease, leaseWait);
        for (Route<?> r : routes) {
            if (this.routes.put(r.method(), r) != null) {
                throw new IllegalArgumentException("two routes for " + r.method());
            }
        }
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        String path = Request.getPathInContext(request);
        String method = path.startsWith("/") ? path.substring(1) : path;
        Route<?> route = routes.get(method);
        if (route == null) {
            // 404 tells libnetwork "not implemented", which it tolerates for newer methods
            LOG.debug("unknown method {} {}", request.getMethod(), DockerInput.quote(path));
            Route.Family family = method.startsWith("IpamDriver.") ? Route.Family.IPAM : Route.Family.DRIVER;
            write(response, callback, ErrorReplies.reply(family, ErrorReplies.NOT_FOUND,
                    "javaoverlay plugin has no method " + DockerInput.printable(path)));
            return true;
        }
        if (!"POST".equals(request.getMethod())) {
            response.getHeaders().put(HttpHeader.ALLOW, "POST");
            write(response, callback, ErrorReplies.reply(route.family(), ErrorReplies.METHOD_NOT_ALLOWED,
                    path + " takes POST, not " + DockerInput.printable(request.getMethod())));
            return true;
        }
        OverlayMetrics.Operation op = metrics.operation("docker", method);
        if (route.needsLease()) {
            leaseGate.whenLeased(method, request.getComponents().getScheduler(), request.getComponents().getThreadPool(),
                    noLease -> serve(route, method, request, response, callback, op, noLease));
        } else {
            serve(route, method, request, response, callback, op, null);
        }
        return true;
    }

    /** Reads, decodes and calls; {@code noLease} set: the call waited for the lease in vain, and fails with it. */
    private void serve(Route<?> route, String method, Request request, Response response, Callback callback,
                       OverlayMetrics.Operation op, PluginException.NoLease noLease) {
        ErrorReplies.Reply reply;
        try {
            if (noLease != null) {
                throw noLease;
            }
            reply = new ErrorReplies.Reply(ErrorReplies.OK, call(route, request));
        } catch (BodyTooLarge e) {
            reply = ErrorReplies.reply(route.family(), ErrorReplies.PAYLOAD_TOO_LARGE, e.getMessage());
        } catch (Exception | Error e) {
            if (e instanceof VirtualMachineError vme) {
                throw vme;
            }
            reply = ErrorReplies.of(route.family(), method, e);
        }
        // a refusal travels as 200 with an error body: it counts as an error all the same
        if (reply.status() == ErrorReplies.OK && !isError(reply.body())) {
            op.ok();
        } else {
            op.failed();
        }
        write(response, callback, reply);
    }

    private static boolean isError(Object body) {
        return body instanceof PluginMessages.DriverError || body instanceof PluginMessages.IpamError
                || body instanceof PluginMessages.IpamStatusError;
    }

    private <T> Object call(Route<T> route, Request request) throws IOException {
        byte[] body = readBody(request);
        T argument = null;
        if (route.takesBody()) {
            argument = decode(route, body);
        }
        if (LOG.isDebugEnabled()) {
            LOG.debug("{} {}", route.method(), DockerInput.printable(new String(body, java.nio.charset.StandardCharsets.UTF_8)));
        }
        if (LOCK_FREE.contains(route.method())) {
            return route.call().apply(argument);
        }
        try {
            if (!lock.tryLock(lockWait.toNanos(), TimeUnit.NANOSECONDS)) {
                throw new PluginException.Busy("the javaoverlay plugin is still busy with an earlier request after "
                        + lockWait.toMillis() + " ms (the plugin log names what it waits for); try again", null);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PluginException.Busy("interrupted while waiting for an earlier request to finish; try again", e);
        }
        try {
            return route.call().apply(argument);
        } finally {
            lock.unlock();
        }
    }

    private <T> T decode(Route<T> route, byte[] body) {
        if (isBlank(body)) {
            throw new PluginException.BadRequest(route.method() + " needs a JSON body, got none");
        }
        T value;
        try {
            value = json.readValue(body, route.requestType());
        } catch (JsonProcessingException e) {
            throw new PluginException.BadRequest("malformed " + route.method() + " request: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new PluginException.BadRequest("unreadable " + route.method() + " request: " + e.getMessage(), e);
        }
        if (value == null) {
            throw new PluginException.BadRequest(route.method() + " needs a JSON object, got null");
        }
        return value;
    }

    private static byte[] readBody(Request request) throws IOException {
        long declared = request.getLength();
        if (declared > MAX_BODY_BYTES) {
            throw new BodyTooLarge(declared);
        }
        try (InputStream in = Request.asInputStream(request)) {
            byte[] body = in.readNBytes(MAX_BODY_BYTES + 1);
            if (body.length > MAX_BODY_BYTES) {
                throw new BodyTooLarge(body.length);
            }
            return body;
        }
    }

    private static boolean isBlank(byte[] body) {
        for (byte b : body) {
            if (b != ' ' && b != '\n' && b != '\r' && b != '\t') {
                return false;
            }
        }
        return true;
    }

    private void write(Response response, Callback callback, ErrorReplies.Reply reply) {
        int status = reply.status();
        Object body = reply.body();
        byte[] bytes;
        try {
            bytes = json.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            LOG.error("cannot encode reply {}", body, e);
            status = ErrorReplies.INTERNAL_ERROR;
            bytes = "{\"Err\":\"javaoverlay plugin could not encode its reply; the plugin log has the details\"}"
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        }
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, CONTENT_TYPE);
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
        response.write(true, ByteBuffer.wrap(bytes), callback);
    }

    private static final class BodyTooLarge extends IOException {
        private static final long serialVersionUID = 1L;

        BodyTooLarge(long size) {
            super("request body of " + size + " bytes is larger than the " + MAX_BODY_BYTES + " bytes the plugin accepts");
        }
    }
}
