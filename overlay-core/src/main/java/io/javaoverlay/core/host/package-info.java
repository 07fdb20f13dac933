/**
 * Attaching containers to this host: the bridge that holds the host subnet's gateway, one veth
 * pair per container, the container's address and routes. One implementation for both faces
 * ({@link io.javaoverlay.core.host.NetlinkHostAttachment}), so a bridge made by a CNI ADD and one
 * made by a Docker network behave the same, whichever face comes first.
 *
 * <p>The bridge policy, applied every time a face ensures the bridge: it exists and is a bridge,
 * it carries the gateway as its only IPv4 address (another address is the gateway of a subnet the
 * agent held before, and containers must use the new one), its MTU is the overlay's, its MAC is
 * pinned at creation (a bridge otherwise takes the lowest MAC of its ports, which changes as
 * containers come and go and leaves their ARP caches pointing at a gone gateway), and it is up.
 *
 * <p>Two kinds of veth pair: a CNI pod's peer is created directly in the pod's namespace; a Docker
 * container's peer stays in the host namespace, named, for dockerd to move into the sandbox.
 *
 * <p>The bridge's forward and masquerade policy is here too ({@link io.javaoverlay.core.host.BridgeFirewall},
 * {@link io.javaoverlay.core.host.IptablesBridgeFirewall}): forwarding in and out of the bridge
 * ahead of a DROP policy (the Docker face asks for it), and masquerading the bridge's subnet
 * leaving the overlay (the CNI face's {@code ipMasq}). What only one face has stays with it: the
 * Docker face's DNAT for published ports and its loopback guard. The agent's flannel chains
 * ({@code core.firewall}) are flannel's, for the whole network, and stay apart.
 */
package io.javaoverlay.core.host;
