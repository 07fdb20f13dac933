package io.javaoverlay.core.host;

import java.math.BigInteger;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.Ip6Host;
import io.javaoverlay.core.net.Ip6Net;
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

    /**
     * IPv6-only (a subnet.env without the IPv4 pair): {@link #ensureBridge} without an IPv4
     * address. The bridge exists, is up and has {@code mtu}; an IPv4 address left from an earlier
     * IPv4 lease is removed. {@link #ensureBridge6} then gives it its IPv6 gateway.
     */
    LinkState ensureBridgeWithoutIpv4(String name, int mtu);

    /**
     * Dual-stack: makes the bridge (made by {@link #ensureBridge} first) carry {@code gateway} as
     * its only global IPv6 address, and not take router advertisements (its routes are ours). The
     * address is added without duplicate address detection (the lease makes it unique), and a
     * link-local address still under detection is put back without it: until then the kernel
     * sends no neighbour solicitation from the bridge, so the containers would be unreachable
     * for a second or two.
     */
    void ensureBridge6(String name, Ip6Host gateway);

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

    /**
     * Inside {@code netns}: turns duplicate address detection off on {@code ifName} (as the
     * reference bridge plugin does by default), puts IPv6 {@code address} on it, usable at once,
     * and adds {@code routes}.
     */
    void configurePod6(Path netns, String ifName, Ip6Host address, List<PodRoute6> routes);

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

    /** The container interface's global IPv6 addresses and the namespace's IPv6 routes through it; empty when absent. */
    Optional<Pod6State> inspectPod6(Path netns, String ifName);

    /** Turns on IPv4 forwarding in the host namespace (the bridge routes the containers' traffic). */
    void enableIpForwarding();

    /** What a link looks like. {@code masterIndex} is 0 without a master. */
    record LinkState(String name, int index, String mac, int mtu, int masterIndex, boolean up) {}

    /** Both ends of a new pod veth pair. */
    record VethPair(LinkState host, LinkState pod) {}

    /** A route inside the container; {@code dst} 0.0.0.0/0 is the default route. */
    record PodRoute(Ip4Net dst, Ip4 gateway) {}

    /** An IPv6 route inside the container; {@code dst} ::/0 is the default route. */
    record PodRoute6(Ip6Net dst, BigInteger gateway) {
        @Override
        public String toString() {
            return dst + " via " + Ip6Net.format(gateway);
        }
    }

    /** The container interface's global IPv6 addresses and the IPv6 routes through it. */
    record Pod6State(List<Ip6Host> addresses, List<PodRoute6> routes) {}

    /** The container's interface, its addresses and the namespace's routes. */
    record PodState(LinkState link, List<Ip4Net.HostAddress> addresses, List<PodRoute> routes) {}
}
