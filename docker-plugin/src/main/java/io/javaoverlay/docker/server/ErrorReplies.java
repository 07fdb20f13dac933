package io.javaoverlay.docker.server;

import java.io.UncheckedIOException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.javaoverlay.core.firewall.IptablesException;
import io.javaoverlay.core.ipam.IpamException;
import io.javaoverlay.core.netlink.NetlinkException;
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
        if (failure instanceof PluginException.BadRequest bad) {
            LOG.warn("{}: bad request: {}", method, bad.getMessage());
            return new Reply(BAD_REQUEST, body(family, bad.getMessage()));
        }
        if (failure instanceof PluginException.HostFailure host) {
            LOG.error("{}: {}", method, host.getMessage(), host.getCause());
            return new Reply(OK, body(family, host.getMessage()));
        }
        if (failure instanceof PluginException.Busy busy) {
            LOG.warn("{}: {}", method, busy.getMessage());
            return new Reply(OK, body(family, busy.getMessage()));
        }
        if (isHostFailure(failure)) {
            LOG.error("{}: {}", method, failure.getMessage(), failure);
            return new Reply(OK, body(family, method + ": " + failure.getMessage()));
        }
        if (failure instanceof PluginException refused) {
            LOG.info("{}: refused: {}", method, refused.getMessage());
            return new Reply(OK, body(family, refused.getMessage()));
        }
        LOG.error("{}: unexpected failure", method, failure);
        return new Reply(INTERNAL_ERROR, body(family,
                method + " failed inside the javaoverlay plugin (" + failure.getClass().getSimpleName()
                        + (failure.getMessage() == null ? "" : ": " + failure.getMessage())
                        + "); the plugin log has the details"));
    }

    /**
     * The host refused a change (netlink, iptables, the disk): dockerd gets the kernel's or the
     * command's own words, which say what is wrong better than anything we could add.
     */
    private static boolean isHostFailure(Throwable t) {
        return t instanceof IptablesException || t instanceof NetlinkException || t instanceof IpamException
                || t instanceof UncheckedIOException;
    }

    static Object body(Route.Family family, String message) {
        return family == Route.Family.IPAM ? new PluginMessages.IpamError(message) : new PluginMessages.DriverError(message);
    }
}
