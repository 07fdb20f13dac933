package io.javaoverlay.core.host;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.MacAddress;

/**
 * The kernel work of attaching containers to this host, shared by the CNI and Docker faces: the
 * host bridge, veth pairs, the container's address and routes. The caller runs in the host's
 * network namespace; container namespaces are named by path.
 *
 * <p>Kernel refusals are {@link HostAttachmentException}s; "already there" and "already gone" are
 * success where the method says so, so retries and start-up reconciliation can repeat any call.
 */
public interface HostAttachment {

    /**
     * Makes the host bridge exist, be up, carry {@code gateway} as its only IPv4 address and have
     * {@code mtu}; says in the log why it changes anything that was there (the policy is in
     * {@link io.javaoverlay.core.host the package notes}).
     */
    LinkState ensureBridge(String name, Ip4Net.HostAddress gateway, int mtu);

    /** Whether the container namespace has an interface named {@code ifName}. */
    boolean podInterfaceExists(Path netns, String ifName);

    /**
     * A pod's veth pair: {@code hostName} in the host namespace enslaved to {@code bridge} (with
     * hairpin when asked), its peer named {@code ifName} inside {@code netns}; both ends get
     * {@code mtu} and are set up. A pair created but not wired is deleted before the error is thrown.
     */
    VethPair createPodVeth(String bridge, String hostName, Path netns, String ifName, int mtu, boolean hairpin);

    /**
     * A veth pair left in the host namespace: {@code hostEnd} enslaved to {@code bridge} and up;
     * {@code containerEnd} with {@code mac}, for a container runtime (dockerd) to move into the
     * container. Leftovers of either name (an attach that never finished) are replaced.
     */
    void createDetachedVeth(String bridge, String hostEnd, String containerEnd, MacAddress mac, int mtu);

    /** Inside {@code netns}: puts {@code address} on {@code ifName} and adds {@code routes}. */
    void configurePod(Path netns, String ifName, Ip4Net.HostAddress address, List<PodRoute> routes);

    /** Deletes {@code ifName} in {@code netns}; false when it or the namespace is already gone. */
    boolean deletePodInterface(Path netns, String ifName);

    /** Deletes a host link by name (deleting a veth end deletes its peer); false when absent. */
    boolean deleteHostLink(String name);

    /** A host link by name. */
    Optional<LinkState> hostLink(String name);

    /** Names of every link in the host namespace. */
    List<String> hostLinkNames();

    /** Names of the links enslaved to {@code bridge}; empty when the bridge does not exist. */
    List<String> bridgePorts(String bridge);

    /** The container's interface with its IPv4 addresses and the namespace's IPv4 routes; empty when absent. */
    Optional<PodState> inspectPod(Path netns, String ifName);

    /** Turns on IPv4 forwarding in the host namespace (the bridge routes the containers' traffic). */
    void enableIpForwarding();

    /** What a link looks like. {@code masterIndex} is 0 without a master. */
    record LinkState(String name, int index, String mac, int mtu, int masterIndex, boolean up) {}

    /** Both ends of a new pod veth pair. */
    record VethPair(LinkState host, LinkState pod) {}

    /** A route inside the container; {@code dst} 0.0.0.0/0 is the default route. */
    record PodRoute(Ip4Net dst, Ip4 gateway) {}

    /** The container's interface, its addresses and the namespace's routes. */
    record PodState(LinkState link, List<Ip4Net.HostAddress> addresses, List<PodRoute> routes) {}
}
