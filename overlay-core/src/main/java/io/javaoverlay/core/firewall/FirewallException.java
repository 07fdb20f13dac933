package io.javaoverlay.core.firewall;

/**
 * A firewall command (iptables or nft) failed or could not run. Callers that do not care which
 * manager they drive catch this type.
 */
public abstract class FirewallException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    protected FirewallException(String message) {
        super(message);
    }

    protected FirewallException(String message, Throwable cause) {
        super(message, cause);
    }
}
