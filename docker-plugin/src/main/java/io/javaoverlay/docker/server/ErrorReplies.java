package io.javaoverlay.docker.server;

import java.io.UncheckedIOException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.javaoverlay.core.firewall.IptablesException;
import io.javaoverlay.core.ipam.IpamException;
import io.javaoverlay.core.host.HostAttachmentException;
import io.javaoverlay.core.netlink.NetlinkException;
import io.javaoverlay.docker.DockerInput;
import io.javaoverlay.docker.PluginException;
import io.javaoverlay.docker.api.PluginMessages;

/**
 * The one place where a failure becomes a reply.
 *
 * <p>libnetwork's contract: a request that cannot be decoded gets an HTTP error status; a
 * request that was understood but could not be carried out gets 200 with the error in the
 * body ({@code Err} for the network driver, {@code Error} for IPAM), which dockerd shows to
 * the user. Anything unexpected is logged here with its stack trace and answered 500 with
 * a message only: a stack trace never leaves the plugin.
 */
final class ErrorReplies {

    private static final Logger LOG = LoggerFactory.getLogger(ErrorReplies.class);

    static final int OK = 200;
    static final int BAD_REQUEST = 400;
    static final int NOT_FOUND = 404;
    static final int METHOD_NOT_ALLOWED = 405;
    static final int PAYLOAD_TOO_LARGE = 413;
    static final int INTERNAL_ERROR = 500;

    private ErrorReplies() {}

    record Reply(int status, Object body) {}

    static Reply of(Route.Family family, String method, Throwable failure) {
        // messages may carry a value from the request: one line, bounded, in the log and the reply
        String message = DockerInput.printable(failure.getMessage());
        if (failure instanceof PluginException.BadRequest) {
            LOG.warn("{}: bad request: {}", method, message);
            return reply(family, BAD_REQUEST, message);
        }
        if (failure instanceof PluginException.HostFailure host) {
            LOG.error("{}: {}", method, message, host.getCause());
            return reply(family, OK, message);
        }
        if (failure instanceof PluginException.Busy) {
            LOG.warn("{}: {}", method, message);
            return reply(family, OK, message);
        }
        if (isHostFailure(failure)) {
            LOG.error("{}: {}", method, message, failure);
            return reply(family, OK, method + ": " + message);
        }
        if (failure instanceof PluginException) {
            LOG.info("{}: refused: {}", method, message);
            return reply(family, OK, message);
        }
        LOG.error("{}: unexpected failure", method, failure);
        return reply(family, INTERNAL_ERROR,
                method + " failed inside the javaoverlay plugin (" + failure.getClass().getSimpleName()
                        + (message == null ? "" : ": " + message)
                        + "); the plugin log has the details");
    }

    static Reply reply(Route.Family family, int status, String message) {
        return new Reply(status, body(family, status, message));
    }

    /**
     * The host refused a change (netlink, iptables, the disk): dockerd gets the kernel's or the
     * command's own words, which say what is wrong better than anything we could add.
     */
    private static boolean isHostFailure(Throwable t) {
        return t instanceof IptablesException || t instanceof NetlinkException || t instanceof HostAttachmentException
                || t instanceof IpamException
                || t instanceof UncheckedIOException;
    }

    /** The error body for {@code family} and {@code status}: see {@link PluginMessages.IpamStatusError} for IPAM's two keys. */
    static Object body(Route.Family family, int status, String message) {
        if (family == Route.Family.DRIVER) {
            return new PluginMessages.DriverError(message);
        }
        return status == OK ? new PluginMessages.IpamError(message) : new PluginMessages.IpamStatusError(message, message);
    }
}
