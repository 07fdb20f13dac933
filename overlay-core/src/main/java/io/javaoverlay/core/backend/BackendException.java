package io.javaoverlay.core.backend;

/** A backend cannot run here (wrong interface, missing kernel support, bad backend keys). */
public class BackendException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public BackendException(String message) {
        super(message);
    }

    public BackendException(String message, Throwable cause) {
        super(message, cause);
    }
}
