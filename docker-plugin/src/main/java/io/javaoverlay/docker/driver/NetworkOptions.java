package io.javaoverlay.docker.driver;

import java.util.Map;
import java.util.OptionalInt;

import io.javaoverlay.docker.DockerInput;
import io.javaoverlay.docker.PluginException;

/**
 * What CreateNetwork's options ask for. libnetwork passes the user's {@code -o key=value}
 * under {@code com.docker.network.generic} (values are strings) and flags such as
 * {@code --internal} as top-level booleans. An option of {@code -o} this driver does not know is
 * refused rather than ignored.
 *
 * @param mtu      {@code -o com.docker.network.driver.mtu=N}, empty for the overlay's MTU
 * @param internal {@code --internal}
 */
record NetworkOptions(OptionalInt mtu, boolean internal) {

    static final String GENERIC = "com.docker.network.generic";
    static final String MTU = "com.docker.network.driver.mtu";
    static final String INTERNAL = "com.docker.network.internal";

    static NetworkOptions parse(Map<String, Object> options) {
        if (options == null) {
            return new NetworkOptions(OptionalInt.empty(), false);
        }
        boolean internal = bool(INTERNAL, options.get(INTERNAL));
        OptionalInt mtu = OptionalInt.empty();
        Object generic = options.get(GENERIC);
        if (generic != null) {
            if (!(generic instanceof Map<?, ?> driverOpts)) {
                throw new PluginException.BadRequest(GENERIC + " must be an object of driver options, got "
                        + DockerInput.quote(String.valueOf(generic)));
            }
            for (Object key : driverOpts.keySet()) {
                if (!MTU.equals(key)) {
                    // dockerd passes -o options to the driver unread: one meant for another driver (a bridge name,
                    // say) would otherwise be accepted and silently do nothing
                    throw new PluginException.Refused("javaoverlay has no network option -o " + DockerInput.quote(String.valueOf(key))
                            + "; the only one it takes is -o " + MTU + "=N");
                }
            }
            Object m = driverOpts.get(MTU);
            if (m != null) {
                mtu = OptionalInt.of(integer(MTU, m));
            }
        }
        return new NetworkOptions(mtu, internal);
    }

    private static boolean bool(String key, Object v) {
        if (v == null) {
            return false;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        if (v instanceof String s && (s.equalsIgnoreCase("true") || s.equalsIgnoreCase("false"))) {
            return Boolean.parseBoolean(s);
        }
        throw new PluginException.BadRequest(key + " must be true or false, got " + DockerInput.quote(String.valueOf(v)));
    }

    private static int integer(String key, Object v) {
        try {
            if (v instanceof Number n) {
                // exact: a long or a BigInteger must not wrap around into a plausible MTU
                return new java.math.BigDecimal(n.toString()).intValueExact();
            }
            return Integer.parseInt(v.toString().strip());
        } catch (NumberFormatException | ArithmeticException e) {
            throw new PluginException.Refused("-o " + key + "=" + DockerInput.quote(String.valueOf(v)) + " is not a number");
        }
    }
}
