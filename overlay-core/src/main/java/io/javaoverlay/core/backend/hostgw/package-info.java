/**
 * flannel's host-gw backend: no encapsulation at all, one route per peer,
 * {@code <peer subnet> via <peer public IP> dev <external interface>}.
 *
 * <h2>Design notes</h2>
 * <ul>
 * <li>It only works when every host is on one L2 segment: the peer's public IP must be a
 *     direct next hop. For the same reason the public IP must be the interface's own address;
 *     behind NAT ({@code --public-ip} differing from the interface's address) the backend
 *     refuses to start, as flannel does, and says to use vxlan.
 * <li>The MTU is the external interface's: nothing is added to packets.
 * <li>Routes are "replace"d, so a route to a subnet that another host took over moves to the
 *     new gateway. They stay when the agent stops, so a restart does not interrupt traffic;
 *     once the first lease listing is in, routes into the overlay network through the external
 *     interface that no lease explains are removed.
 * <li>Every recheck compares the routes with the leases and restores any that someone deleted
 *     or changed (flannel does the same every 10 s).
 * <li>Traffic to and from peers is counted by two iptables rules that only count
 *     ({@link io.javaoverlay.core.backend.hostgw.HostGwAccounting}, which also says why not route
 *     realms); without a working iptables the routes work and the metrics are absent.
 * </ul>
 */
package io.javaoverlay.core.backend.hostgw;
