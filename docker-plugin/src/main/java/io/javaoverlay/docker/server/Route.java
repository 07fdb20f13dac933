package io.javaoverlay.docker.server;

import java.util.function.Function;
import java.util.function.Supplier;

/**
 * One RPC of the plugin socket: {@code POST /<method>} with a JSON body of {@code requestType}
 * (or none), answered by {@code call}.
 *
 * @param method      e.g. {@code NetworkDriver.Join}
 * @param family      which protocol the method belongs to; decides the error shape
 * @param requestType the body's wire type, or null for methods dockerd calls without a body
 * @param needsLease  the call uses this host's lease: made before the agent has one (right after
 *                    the plugin starts), it is held until there is one ({@link LeaseGate})
 */
public record Route<T>(String method, Family family, Class<T> requestType, Function<T, Object> call, boolean needsLease) {

    /** The protocol families on one socket; they differ only in how errors are spelled. */
    public enum Family {
        /** {@code Plugin.*} and {@code NetworkDriver.*}: errors as {@code {"Err": ...}}. */
        DRIVER,
        /** {@code IpamDriver.*}: errors as {@code {"Error": ...}}. */
        IPAM
    }

    public Route {
        if (method == null || method.isBlank() || method.startsWith("/")) {
            throw new IllegalArgumentException("route method must be a bare name like NetworkDriver.Join, got " + method);
        }
    }

    public static <T> Route<T> of(String method, Family family, Class<T> requestType, Function<T, Object> call) {
        return new Route<>(method, family, requestType, call, false);
    }

    /** A method dockerd calls with no payload (Activate, GetCapabilities, ...). */
    public static Route<Void> noBody(String method, Family family, Supplier<Object> call) {
        return new Route<>(method, family, null, ignored -> call.get(), false);
    }

    /** This route, held until the host has a lease. */
    public Route<T> needingLease() {
        return new Route<>(method, family, requestType, call, true);
    }

    boolean takesBody() {
        return requestType != null;
    }
}
