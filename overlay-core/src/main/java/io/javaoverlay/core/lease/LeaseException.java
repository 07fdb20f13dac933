package io.javaoverlay.core.lease;

/** Root of the lease errors; callers branch on the subclasses, never on message text. */
public class LeaseException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public LeaseException(String message) {
        super(message);
    }

    public LeaseException(String message, Throwable cause) {
        super(message, cause);
    }

    /** The subnet was taken by someone else between the listing and the atomic create. */
    public static final class SubnetTakenException extends LeaseException {
        private static final long serialVersionUID = 1L;

        public SubnetTakenException(String subnet) {
            super("subnet " + subnet + " was taken by another host first");
        }
    }

    /** Every subnet in SubnetMin..SubnetMax is leased or reserved. */
    public static final class SubnetsExhaustedException extends LeaseException {
        private static final long serialVersionUID = 1L;

        public SubnetsExhaustedException(String message) {
            super(message);
        }
    }

    /** This host's own lease is gone from the store (revoked by an operator, or expired). */
    public static final class LeaseLostException extends LeaseException {
        private static final long serialVersionUID = 1L;

        public LeaseLostException(String message) {
            super(message);
        }
    }

    /** The store cannot be reached or did not answer in time; worth retrying. */
    public static class StoreUnavailableException extends LeaseException {
        private static final long serialVersionUID = 1L;

        public StoreUnavailableException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * The embedded store's lock stayed held by another process for longer than the store waits;
     * worth retrying like any unavailable store. The message names the lock file.
     */
    public static final class StoreBusyException extends StoreUnavailableException {
        private static final long serialVersionUID = 1L;

        public StoreBusyException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
