package io.javaoverlay.core.sandbox;

/** A namespace or link of a sandbox could not be made or removed; the message says which command failed and why. */
public final class SandboxException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public SandboxException(String message) {
        super(message);
    }
}
