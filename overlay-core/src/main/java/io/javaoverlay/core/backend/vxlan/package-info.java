/**
 * flannel's vxlan backend on the kernel's VXLAN device: interoperable with flanneld on the
 * same etcd (same VNI, port, lease shape and per-peer entries).
 *
 * <h2>Design notes</h2>
 * <ul>
 * <li><b>One device per host</b>, {@code flannel.<VNI>} (VNI 1, UDP port 8472 unless the
 *     config says otherwise), with learning off (every entry is programmed, nothing is learnt
 *     from traffic), the external interface's address as its source ({@code local}) and the
 *     external interface as its underlay device. Its address is {@code <subnet>.0/32}: a /32
 *     adds no route of its own; the host's own subnet is routed to the container bridge.
 * <li><b>Encapsulation costs 50 bytes</b> (outer IPv4 20 + UDP 8 + VXLAN 8 + inner Ethernet
 *     14), so the device MTU, and FLANNEL_MTU, is the external MTU minus 50. Containers with a
 *     larger MTU get ICMP "fragmentation needed" from the host and learn the path MTU.
 * <li><b>Three entries per peer, route last.</b> A peer's VTEP is addressed as
 *     {@code <peer subnet>.0}: a permanent neighbour entry maps it to the peer's VtepMAC, an FDB
 *     entry maps that MAC to the peer's public IP (where the kernel sends the UDP packet), and
 *     the route {@code <peer subnet> via <peer subnet>.0 dev flannel.1 onlink} sends the
 *     subnet's traffic there. The route goes in last: once it exists the kernel uses it, and
 *     without the neighbour entry it would ARP for the VTEP across a device that cannot answer
 *     (flannel's first vxlan design answered such misses from user space; this one never
 *     needs to). Removal goes the other way: route first.
 * <li><b>A MAC that survives restarts.</b> The VtepMAC is chosen once and kept in the data
 *     directory ({@link io.javaoverlay.core.backend.VtepMacStore}), so a restarted agent
 *     publishes the same lease and peers need no update.
 * <li><b>Restarts do not interrupt traffic.</b> An existing device with the wanted settings is
 *     kept (a wrong MAC or MTU is fixed in place); only an incompatible one (other VNI, port,
 *     local address, underlay device, learning, GBP) is recreated. Stopping the agent leaves
 *     device, routes and entries in place; the next run takes them over and, once it knows
 *     every lease, removes only what belongs to subnets no longer leased.
 * <li><b>Repair.</b> Every recheck (a few seconds) looks for the device by name and index: one
 *     deleted or replaced underneath is made again and every peer replayed; a missing route is
 *     restored; programming that failed is retried.
 * <li><b>DirectRouting</b>: a peer whose public IP is on one of the external interface's own
 *     networks (the same L2 segment) gets a plain route via that IP instead, as host-gw would:
 *     no encapsulation where none is needed.
 * <li>Every change is a netlink "replace", one socket, no per-peer lookups: 5,000 peers are
 *     about 15,000 small requests.
 * <li><b>IPv6</b> ({@code EnableIPv6}): a second device, {@code flannel-v6.<VNI>}, as flannel makes
 *     it: same VNI and port, this host's PublicIPv6 as its source, a VTEP MAC of its own published
 *     in {@code BackendV6Data}, a {@code /128} address. Its MTU is what the kernel gives for
 *     flannel's request: a VXLAN device over IPv6 is capped at the lower device's MTU minus 70
 *     (outer IPv6 header 40, not 20); FLANNEL_MTU stays the IPv4 one, and larger IPv6 packets get
 *     "packet too big". Each peer's IPv6 half gets the same three entries on it, through the same
 *     {@link io.javaoverlay.core.backend.vxlan.VxlanPaths} (a
 *     {@link io.javaoverlay.core.backend.vxlan.VxlanFamily} says which half of a lease and which
 *     tables) in a reconciler of its own, keyed like the IPv4 one by the lease's IPv4 subnet.
 * <li><b>Metrics</b>: the backend's traffic on {@code /metrics} is the device's own kernel
 *     counters ({@code IFLA_STATS64}; both devices' with IPv6), read at each scrape on a second netlink socket so a scrape
 *     never queues behind a large peer batch. They start again at 0 when the device is made anew.
 * </ul>
 */
package io.javaoverlay.core.backend.vxlan;
