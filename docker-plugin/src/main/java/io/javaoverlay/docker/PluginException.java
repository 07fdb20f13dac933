package io.javaoverlay.docker;

/**
 * Why the plugin could not do what dockerd asked. The server maps each kind to a reply once,
 * at the edge ({@code {"Err": ...}} for the network driver, {@code {"Error": ...}} for IPAM);
 * the message is what the user sees in {@code docker} output, so it says what to do next.
 */
public abstract sealed class PluginException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    protected PluginException(String message, Throwable cause) {
        super(message, cause);
    }

    /** The request cannot be understood: bad JSON, a missing or malformed field (HTTP 400). */
    public static final class BadRequest extends PluginException {
        private static final long serialVersionUID = 1L;

        public BadRequest(String message) {
            super(message, null);
        }

        public BadRequest(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** A network, endpoint or pool ID this plugin does not know. */
    public static final class NotFound extends PluginException {
        private static final long serialVersionUID = 1L;

        public NotFound(String message) {
            super(message, null);
        }
    }

    /** Understood but refused: a foreign pool, an address in use, an MTU above the overlay's. */
    public static final class Refused extends PluginException {
        private static final long serialVersionUID = 1L;

        public Refused(String message) {
            super(message, null);
        }
    }

    /**
     * A lock stayed held for longer than the plugin waits (the IPAM directory's, or the plugin's
     * own while another request was stuck): worth retrying; the message says what is held.
     */
    public static final class Busy extends PluginException {
        private static final long serialVersionUID = 1L;

        public Busy(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * This host has no lease (no subnet.env): the agent is not running, or has not got a subnet
     * yet (etcd unreachable, no network config there). The server holds the calls that need a
     * lease for a while before answering with this ({@code LeaseGate}).
     */
    public static final class NoLease extends PluginException {
        private static final long serialVersionUID = 1L;

        public NoLease(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** The host could not be changed as needed (netlink, iptables, the state directory). */
    public static final class HostFailure extends PluginException {
        private static final long serialVersionUID = 1L;

        public HostFailure(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
