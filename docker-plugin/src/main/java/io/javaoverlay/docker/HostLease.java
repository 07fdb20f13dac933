package io.javaoverlay.docker;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Consumer;

import io.javaoverlay.core.config.SubnetEnv;

/**
 * This host's lease as the agent last wrote it to subnet.env. Read on every use: the agent may
 * renew into a new subnet, and a pool handed out for the old one must then be refused with a
 * message, not silently used.
 */
@FunctionalInterface
public interface HostLease {

    /**
     * The current subnet.env; {@link PluginException.NoLease} when there is none yet,
     * {@link PluginException.Refused} when it is invalid.
     */
    SubnetEnv current();

    /**
     * The current subnet.env, or empty when {@link #current} fails with a {@link PluginException}
     * (no lease yet, invalid, unreadable): for work that waits for the next round, after
     * {@code whyNot} has been told (to log it as that work sees fit).
     */
    default Optional<SubnetEnv> ifAny(Consumer<PluginException> whyNot) {
        try {
            return Optional.of(current());
        } catch (PluginException e) {
            whyNot.accept(e);
            return Optional.empty();
        }
    }

    /** The lease read from {@code file} (the agent's {@code --subnet-file}). */
    static HostLease fromFile(Path file) {
        return () -> {
            try {
                SubnetEnv env = SubnetEnv.read(file);
                if (!env.hasIpv4()) {
                    // flanneld's file for an IPv6-only network ("EnableIPv4": false); the CNI plugin takes it
                    throw new PluginException.Refused(file + " holds an IPv6 subnet only (an IPv6-only network, \"EnableIPv4\": false):"
                            + " the Docker face needs an IPv4 subnet (docker networks are IPv4 first); run the network dual-stack"
                            + " (EnableIPv6 with an IPv4 Network), or attach IPv6-only pods through the CNI plugin");
                }
                return env;
            } catch (SubnetEnv.MissingException e) {
                throw new PluginException.NoLease("the agent has no lease yet: " + e.getMessage()
                        + " Is etcd reachable from it, and does it hold the network config?", e);
            } catch (SubnetEnv.InvalidException e) {
                throw new PluginException.Refused(e.getMessage() + "; the agent writes it, is another program changing it?");
            } catch (IOException e) {
                throw new PluginException.HostFailure("cannot read " + file + ": " + e.getMessage(), e);
            }
        };
    }
}
