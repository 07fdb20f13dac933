package io.javaoverlay.cni;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The plugin's log, on stderr through SLF4J, set up on first use: an ADD that has nothing to
 * report does not pay for initialising the logging backend.
 */
final class PluginLog {

    private PluginLog() {}

    private static final class Holder {
        static final Logger LOG = LoggerFactory.getLogger("io.javaoverlay.cni");
    }

    static void info(String message) {
        Holder.LOG.info(message);
    }

    static void warn(String message, Throwable cause) {
        Holder.LOG.warn("{}: {}", message, cause.toString());
        Holder.LOG.debug("cause", cause);
    }
}
