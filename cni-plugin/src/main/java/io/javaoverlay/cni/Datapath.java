package io.javaoverlay.cni;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;

/**
 * The kernel work of the plugin: the host bridge, the veth pair into the container, the
 * container's address and routes. The plugin runs in the host's network namespace; container
 * namespaces are named by path ({@code CNI_NETNS}).
 *
 * <p>Implementations report kernel refusals as {@link CniException} with
 * {@link ErrorCode#KERNEL_FAILURE}, and treat "already there" / "already gone" as success where
 * the method says so.
 */
public interface Datapath {

    /**
     * Makes the host bridge exist, be up, carry {@code gateway} as its only IPv4 address and
     * have {@code mtu}; says in the log why it changes anything that was there.
     */
    LinkState ensureBridge(String name, Ip4Net.HostAddress gateway, int mtu);

    /** Whether the container namespace has an interface named {@code ifName}. */
    boolean podInterfaceExists(Path netns, String ifName);

    /**
     * Creates a veth pair: {@code hostName} in the host namespace enslaved to {@code bridge}
     * (with hairpin when asked), its peer named {@code ifName} inside {@code netns}; both ends
     * get {@code mtu} and are set up. A pair created but not wired is deleted before the error
     * is thrown.
     */
    VethPair createVeth(String bridge, String hostName, Path netns, String ifName, int mtu, boolean hairpin);

    /** Inside {@code netns}: puts {@code address} on {@code ifName} and adds {@code routes}. */
    void configurePod(Path netns, String ifName, Ip4Net.HostAddress address, List<PodRoute> routes);

    /** Deletes {@code ifName} in {@code netns}; false when it or the namespace is already gone. */
    boolean deletePodInterface(Path netns, String ifName);

    /** Deletes a host link by name (deleting a veth end deletes its peer); false when absent. */
    boolean deleteHostLink(String name);

    /** A host link by name. */
    Optional<LinkState> hostLink(String name);

    /** The container's interface with its IPv4 addresses and the namespace's IPv4 routes; empty when absent. */
    Optional<PodState> inspectPod(Path netns, String ifName);

    /** Turns on IPv4 forwarding in the host namespace (the bridge routes the containers' traffic). */
    void enableIpForwarding();

    /** What a link looks like to the plugin. {@code masterIndex} is 0 without a master. */
    record LinkState(String name, int index, String mac, int mtu, int masterIndex, boolean up) {}

    /** Both ends of a new veth pair. */
    record VethPair(LinkState host, LinkState pod) {}

    /** A route inside the container; {@code dst} 0.0.0.0/0 is the default route. */
    record PodRoute(Ip4Net dst, Ip4 gateway) {}

    /** The container's interface, its addresses and the namespace's routes. */
    record PodState(LinkState link, List<Ip4Net.HostAddress> addresses, List<PodRoute> routes) {}
}
