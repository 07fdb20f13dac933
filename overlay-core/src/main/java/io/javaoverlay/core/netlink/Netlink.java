package io.javaoverlay.core.netlink;

/**
 * Whether this package can work on this machine: Linux, and JNA able to bind libc. Probed
 * once; callers that can do without netlink (e.g. to print a helpful error) ask here first.
 */
public final class Netlink {

    private static final Throwable UNAVAILABILITY_CAUSE = probe();

    private Netlink() {}

    private static Throwable probe() {
        if (!System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux")) {
            return new UnsupportedOperationException("netlink needs Linux, this is " + System.getProperty("os.name"));
        }
        try {
            Class.forName(LibC.class.getName(), true, Netlink.class.getClassLoader());
            return null;
        } catch (Throwable t) {
            return t;
        }
    }

    public static boolean isAvailable() {
        return UNAVAILABILITY_CAUSE == null;
    }

    /** Why {@link #isAvailable()} is false, or null when it is true. */
    public static Throwable unavailabilityCause() {
        return UNAVAILABILITY_CAUSE;
    }

    static void requireAvailable() {
        if (UNAVAILABILITY_CAUSE != null) {
            throw new UnsupportedOperationException("netlink is not available: " + UNAVAILABILITY_CAUSE, UNAVAILABILITY_CAUSE);
        }
    }
}
