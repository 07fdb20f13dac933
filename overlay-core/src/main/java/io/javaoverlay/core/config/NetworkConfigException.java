package io.javaoverlay.core.config;

/**
 * The network config (the JSON at {@code <prefix>/config} or in {@code --net-config-path}) cannot
 * be used. The message names the key and says what to change.
 */
public class NetworkConfigException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public NetworkConfigException(String message) {
        super(message);
    }

    public NetworkConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
