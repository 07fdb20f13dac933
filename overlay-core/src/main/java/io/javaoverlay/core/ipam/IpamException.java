package io.javaoverlay.core.ipam;

/**
 * An address could not be reserved or the reservations could not be read or written. Callers
 * branch on {@link #kind()}: each face maps the kinds to its own protocol's errors once.
 */
public class IpamException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** What went wrong, for the caller to map to a protocol error. */
    public enum Kind {
        /** every usable address of the subnet is reserved */
        EXHAUSTED,
        /** the address asked for is outside the usable range or held by another owner */
        UNAVAILABLE,
        /** the store could not be read or written (disk, permissions, a broken record) */
        STORE,
        /**
         * another process held the store's lock for longer than the caller waits: worth
         * retrying; the message names the lock file
         */
        BUSY
    }

    private final Kind kind;

    public IpamException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public IpamException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
