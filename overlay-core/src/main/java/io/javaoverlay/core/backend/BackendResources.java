package io.javaoverlay.core.backend;

/** What a backend's {@code close} does with the sockets, devices and registrations it opened. */
public final class BackendResources {

    private BackendResources() {}

    /**
     * Closes each of {@code resources} that was opened (is not null), in order: a backend closed
     * after a failed {@code register} holds only some of them. A failure stops the rest, as it
     * would in a hand-written sequence; the backends' resources (netlink sockets, TUN devices,
     * metrics registrations) close without checked exceptions.
     */
    public static void closeOpened(AutoCloseable... resources) {
        for (AutoCloseable r : resources) {
            if (r == null) {
                continue;
            }
            try {
                r.close();
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException("cannot close " + r, e);
            }
        }
    }
}
