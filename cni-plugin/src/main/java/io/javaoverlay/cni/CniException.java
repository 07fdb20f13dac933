package io.javaoverlay.cni;

/**
 * A failure to report to the runtime as a CNI error result: a spec or plugin code, a short
 * {@code msg} and longer {@code details} that say what to do next.
 */
public final class CniException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final ErrorCode code;
    private final String details;

    public CniException(ErrorCode code, String msg, String details) {
        this(code, msg, details, null);
    }

    public CniException(ErrorCode code, String msg, String details, Throwable cause) {
        super(msg, cause);
        this.code = code;
        this.details = details == null ? "" : details;
    }

    public ErrorCode code() {
        return code;
    }

    public String msg() {
        return getMessage();
    }

    public String details() {
        return details;
    }

    @Override
    public String toString() {
        return "CNI error " + code.code() + ": " + getMessage() + (details.isEmpty() ? "" : " (" + details + ")");
    }
}
