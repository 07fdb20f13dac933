package io.javaoverlay.core.netlink;

/**
 * A failed netlink request or native call. Carries the errno (0 when the failure did not come
 * from the kernel, e.g. a malformed answer) and the operation ({@code RTM_NEWLINK},
 * {@code ioctl(TUNSETIFF)}, ...). Callers branch on the subtypes, never on the message.
 *
 * <p>The message reads {@code RTM_NEWLINK failed: File exists (EEXIST)}, followed by what the
 * request was about and the kernel's extended-ACK text when there is one.
 */
public class NetlinkException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int errno;
    private final String operation;

    public NetlinkException(String message, int errno, String operation) {
        super(message);
        this.errno = errno;
        this.operation = operation;
    }

    /** The exception for an errno, typed where callers branch on it. */
    static NetlinkException of(String operation, int errno) {
        return of(operation, errno, null, null);
    }

    /**
     * @param subject what the request was about ({@code link "cni0" (bridge)}), or null
     * @param kernelMessage the kernel's extended ACK text, or null
     */
    static NetlinkException of(String operation, int errno, String subject, String kernelMessage) {
        StringBuilder m = new StringBuilder(operation).append(" failed: ").append(Errno.describe(errno));
        if (subject != null) {
            m.append(" [").append(subject).append(']');
        }
        if (kernelMessage != null && !kernelMessage.isEmpty()) {
            m.append(": kernel says \"").append(kernelMessage).append('"');
        }
        String message = m.toString();
        switch (errno) {
            case Errno.ENOENT, Errno.ENODEV, Errno.ESRCH:
                return new NotFound(message, errno, operation);
            case Errno.EEXIST:
                return new Exists(message, errno, operation);
            default:
                return new NetlinkException(message, errno, operation);
        }
    }

    /** The errno, or 0 when the failure was not an errno from the kernel. */
    public int errno() {
        return errno;
    }

    /** {@code RTM_NEWLINK}, {@code ioctl(TUNSETIFF)}, {@code setns} ... */
    public String operation() {
        return operation;
    }

    /** What the request names does not exist: ENOENT, ENODEV or ESRCH. */
    public static final class NotFound extends NetlinkException {
        private static final long serialVersionUID = 1L;

        public NotFound(String message, int errno, String operation) {
            super(message, errno, operation);
        }
    }

    /** What the request creates exists already: EEXIST. */
    public static final class Exists extends NetlinkException {
        private static final long serialVersionUID = 1L;

        public Exists(String message, int errno, String operation) {
            super(message, errno, operation);
        }
    }

    /**
     * A path that was to be a network namespace names something else: a regular file, a FIFO,
     * a directory, another kind of namespace. Nothing was entered or changed.
     */
    public static final class NotANetworkNamespace extends NetlinkException {
        private static final long serialVersionUID = 1L;

        public NotANetworkNamespace(String message, String operation) {
            super(message, Errno.EINVAL, operation);
        }
    }
}
