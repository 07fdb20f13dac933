package io.javaoverlay.core.agent;

import java.util.Map;
import java.util.Optional;

import io.javaoverlay.core.backend.ExternalInterface;
import io.javaoverlay.core.backend.HostView;
import io.javaoverlay.core.config.NetworkConfig;
import io.javaoverlay.core.firewall.TrafficManager;
import io.javaoverlay.core.lease.LeaseStore;
import io.javaoverlay.core.metrics.OverlayMetrics;
import io.javaoverlay.core.netlink.KernelChanges;

/**
 * What the {@link Agent} takes from the machine it runs on, handed in rather than built inside:
 * the process environment, the metrics it reports into, the lease store, the external interface,
 * the host's addresses and routes, the firewall. {@link LocalAgentHost} is the real machine (what {@code javaoverlay agent}
 * runs); a test gives the agent an embedded store, a fixed interface and a recording firewall and
 * drives it in its own JVM (flannel's daemon is likewise handed its traffic manager).
 *
 * <p>Every method is called from the agent's one thread.
 */
public interface AgentHost extends AutoCloseable {

    /** The process environment: systemd's {@code NOTIFY_SOCKET}, {@code WATCHDOG_USEC}, ... */
    Map<String, String> environment();

    /**
     * Where the agent, its backend and its health server report ({@code /metrics} serves it): the
     * process's, made by its entry point; a test's own, to read exact values from.
     */
    OverlayMetrics metrics();

    /** Opens the lease store (reporting into {@link #metrics()}); the agent closes it when it stops. */
    LeaseStore openStore();

    /**
     * The interface whose address this host publishes (flannel's {@code --iface},
     * {@code --iface-regex}, {@code --public-ip}).
     *
     * @throws ExternalInterfaces.NoInterfaceException when none fits
     */
    ExternalInterface externalInterface();

    /**
     * The external interface for {@code config}: with {@code EnableIPv6}, {@code --iface-regex}
     * matches IPv6 addresses too and the IPv6 default route counts, as in flanneld.
     *
     * @throws ExternalInterfaces.NoInterfaceException when none fits
     */
    default ExternalInterface externalInterface(NetworkConfig config) {
        return externalInterface();
    }

    /** flanneld's start-up checks (br_netfilter); false after saying in the log why it cannot start. */
    boolean startupChecksPass(NetworkConfig config);

    /** Starts the masquerade and forward rules' manager for {@code config}. */
    TrafficManager trafficManager(NetworkConfig config);

    /**
     * The host's addresses and routes now, to check leases against; {@link HostView#none()} when
     * this agent programs no data path.
     *
     * @throws io.javaoverlay.core.netlink.NetlinkException when the kernel cannot be read
     */
    HostView hostView();

    /**
     * Calls {@code onChange} (from another thread) whenever the kernel reports a change to what
     * {@code interest} names, until the returned handle is closed; empty when this host cannot
     * tell (the default, and without a data path): the agent then rechecks every few seconds.
     */
    default Optional<AutoCloseable> watchKernel(KernelChanges.Interest interest, Runnable onChange) {
        return Optional.empty();
    }

    /** Releases what the host side opened (a netlink socket). */
    @Override
    void close();
}
