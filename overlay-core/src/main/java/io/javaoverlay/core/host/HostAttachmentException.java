package io.javaoverlay.core.host;

/**
 * The kernel refused or could not do host-attachment work. Each face maps it once, at its edge,
 * to its protocol's error (a CNI error code, a Docker {@code {"Err": ...}}), by {@link #kind()}.
 */
public final class HostAttachmentException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** What went wrong, for the faces to choose their error code by. */
    public enum Kind {
        /** The path given as a container namespace is not one (or cannot be entered as one). */
        NOT_A_NAMESPACE,
        /** This process may not enter the container's namespace (setns needs CAP_SYS_ADMIN). */
        NOT_PERMITTED,
        /** netlink itself is not available (not Linux, no native library). */
        UNAVAILABLE,
        /** The kernel refused a request. */
        KERNEL
    }

    private final Kind kind;
    private final String summary;
    private final String details;

    /** The message is {@code summary: details}, what a log line or a Docker reply shows. */
    public HostAttachmentException(Kind kind, String summary, String details, Throwable cause) {
        super(details.isEmpty() ? summary : summary + ": " + details, cause);
        this.kind = kind;
        this.summary = summary;
        this.details = details;
    }

    public Kind kind() {
        return kind;
    }

    /** The one-line summary ({@code cannot set up bridge cni0}). */
    public String summary() {
        return summary;
    }

    /** What the kernel said, and for namespaces which path. */
    public String details() {
        return details;
    }
}
