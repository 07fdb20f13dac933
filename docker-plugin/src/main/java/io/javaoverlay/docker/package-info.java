/**
 * The Docker face: libnetwork's remote network driver and remote IPAM driver, both named
 * {@code javaoverlay}, on one Unix socket.
 *
 * <h2>Layout</h2>
 * <ul>
 * <li>{@code api}: the wire shapes (records, Jackson), separate from everything else;
 * <li>{@code server}: Jetty on a Unix socket, the route table, and the one place where a
 *     failure becomes {@code {"Err": ...}} or {@code {"Error": ...}} ({@code ErrorReplies});
 * <li>{@code driver}: the network driver and the reconcile at start;
 * <li>{@code ipam}: the IPAM driver over {@code io.javaoverlay.core.ipam}, the store the CNI
 *     plugin uses too;
 * <li>{@code state}: networks and endpoints as JSON files, written atomically;
 * <li>{@code host}: the kernel side that is the Docker face's own (DNAT for published ports, on
 *     loopback too; the host's free ports) behind small interfaces; the bridge, veths and the
 *     bridge's forwarding are overlay-core's host layer ({@code HostAttachment},
 *     {@code BridgeFirewall}), shared with the CNI face. Fakes of all of them let the protocol
 *     tests run without privileges.
 * </ul>
 *
 * <h2>Design notes</h2>
 * <ul>
 * <li>A host has one lease, so its javaoverlay network hangs off one bridge with the lease's
 *     gateway address: the CNI plugin's {@code cni0}, because a second bridge with the same
 *     subnet would split the host's routing for it. For the same reason a second network on
 *     a host could not be isolated from the first, and is refused (docs/docker.md, "One
 *     network per host").
 * <li>dockerd replays nothing after restarts and sends no Leave after {@code kill -9}: all the
 *     driver needs later is on disk, the host is reconciled with it at start, and calls that
 *     delete what is unknown succeed.
 * <li>Pools carry almost no state: the pool ID names the lease. The one count kept, of lease
 *     pools held, tells dockerd's second request (its overlap check refused the lease and it
 *     holds it while asking again) from a first one, which gets the lease itself; lost at a
 *     restart, it only costs a second request the lease answer, which dockerd checks again.
 * <li>Veth names are 12 hex digits of a digest of the whole endpoint ID ({@code VethNames}):
 *     an interface name holds 15 bytes, Docker IDs are unique only whole, and a join replaces
 *     leftovers of its names, so names from an ID prefix let one endpoint delete another's veth.
 *     The names are recorded in the endpoint's state; a join refuses names another endpoint holds.
 * <li>The socket is up before the agent has a lease ({@code docker-plugin} starts both): calls
 *     that need the lease wait for it, up to 30 s, without holding a thread or the lock
 *     ({@code LeaseGate}); the handshake and the calls that clean up never wait.
 * <li>Every string dockerd sends is checked before it names a file, an interface, an address
 *     owner or a rule ({@code DockerInput}); what is not what Docker sends is a 400 naming the
 *     field, never a 500, and messages are escaped and cut before they reach a log or a reply.
 * <li>One lock serializes the calls that change state: dockerd calls in parallel for different
 *     containers, each call takes milliseconds, and the state, the bridge and the chains are
 *     shared by all of them.
 * </ul>
 */
package io.javaoverlay.docker;
