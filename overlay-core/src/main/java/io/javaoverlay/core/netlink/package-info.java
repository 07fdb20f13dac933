/**
 * rtnetlink, TUN devices, network namespaces and sysctls: the only package that calls native
 * code (JNA, all of it in the package-private {@code LibC}).
 *
 * <h2>Using it</h2>
 * Open one {@link io.javaoverlay.core.netlink.NetlinkSocket} per namespace and keep it; the
 * operations hang off it by object: {@code links()}, {@code addresses()}, {@code routes()},
 * {@code neighbours()}, {@code fdb()}. A socket opened for a namespace works on that namespace
 * from any thread, so there is no need to switch threads into namespaces:
 *
 * <pre>{@code
 * try (NetNs container = NetNs.open(Path.of(cniArgs.netns()));        // /proc/PID/ns/net or /run/netns/x
 *      NetlinkSocket host = NetlinkSocket.open();                      // this process's namespace
 *      NetlinkSocket inside = NetlinkSocket.open(container)) {
 *
 *     Link bridge = host.links().ensureBridge("cni0");                 // create if missing, refuse other kinds
 *     host.addresses().replace(Address.ip4(bridge.index(), Ip4Net.parseHost("10.5.1.1/24")));
 *     host.links().setUp(bridge.index());
 *
 *     // veth pair: host end here, peer created directly inside the container as eth0
 *     Link hostEnd = host.links().createVeth("veth1a2b3c",
 *             NewLink.VethPeer.in(container, "eth0").withMtu(1450));
 *     host.links().setMaster(hostEnd.index(), bridge.index());
 *     host.links().setUp(hostEnd.index());
 *
 *     Link eth0 = inside.links().require("eth0");
 *     inside.addresses().add(Address.ip4(eth0.index(), Ip4Net.parseHost("10.5.1.7/24")));
 *     inside.links().setUp(eth0.index());
 *     inside.routes().replace(Route.defaultIp4().via(Ip4.parse("10.5.1.1")).device(eth0));
 * }
 * }</pre>
 *
 * vxlan backend (per peer: ARP entry, FDB entry, then the onlink route, so the kernel never
 * has to ARP for the peer's VTEP):
 * <pre>{@code
 * Link vtep = nl.links().create(NewLink.vxlan("flannel.1",
 *         VxlanInfo.of(1, publicIp, underlay.index(), 8472)).withMac(vtepMac).withMtu(1450));
 * nl.neighbours().replace(Neighbour.permanent(vtep.index(), peerSubnet.address(), peerVtepMac));
 * nl.fdb().replace(FdbEntry.vxlan(vtep.index(), peerVtepMac, peerPublicIp));
 * nl.routes().replace(Route.ip4(peerSubnet).via(peerSubnet.address()).device(vtep).withOnlink());
 * }</pre>
 *
 * Work that needs a thread inside a namespace (a TUN device, sysctls) goes through
 * {@link io.javaoverlay.core.netlink.NetNs#call}, which uses a fresh platform thread each time;
 * {@link io.javaoverlay.core.netlink.TunDevice#open(NetNs, String, TunDevice.Option...)} and the
 * {@code NetNs} overloads of {@link io.javaoverlay.core.netlink.Sysctl} do it for you.
 *
 * <h2>Packet I/O for the udp backend</h2>
 * {@link io.javaoverlay.core.netlink.UdpSocket} moves datagrams in batches between the kernel and
 * a {@link io.javaoverlay.core.netlink.DatagramBatch} (one direct buffer holding the
 * {@code mmsghdr} array, addresses, control messages and packet bytes): one
 * {@code sendmmsg}/{@code recvmmsg} per batch, UDP GSO on send (a slot of equal-sized datagrams
 * back to back) and UDP GRO on receive. {@link io.javaoverlay.core.netlink.TunDevice} opened
 * with {@code NON_BLOCKING} and {@code VNET_HDR} drains without a poll per packet
 * ({@code readNow}), takes TSO/checksum offloads ({@code setOffload}) and writes straight from a
 * batch slot ({@code tryWritePacket}, a {@code writev} with the virtio header in front). The
 * packet calls report errors as negative errno values instead of exceptions: packet loops count
 * them, they do not unwind.
 *
 * <h2>Errors</h2>
 * Every request asks the kernel for an ACK and checks it. Failures are
 * {@link io.javaoverlay.core.netlink.NetlinkException} (unchecked) with the errno and the
 * message type, reading {@code RTM_NEWLINK failed: File exists (EEXIST) [link "cni0" (bridge)]}
 * plus the kernel's extended-ACK text when it gives one. Branch on the two subtypes, never on
 * the text: {@code NetlinkException.Exists} (EEXIST) and {@code NetlinkException.NotFound}
 * (ENOENT, ENODEV, ESRCH). Low-level create/delete fail loudly; {@code ensureBridge},
 * {@code deleteIfExists} and the {@code replace} operations are the idempotent ones.
 *
 * <h2>Design notes</h2>
 * <ul>
 * <li>Requests are encoded straight into a direct buffer owned by the socket (no per-request
 *     buffers); a socket is synchronized, so share one or open one per thread for parallelism.
 * <li>Dumps interrupted by concurrent changes (NLM_F_DUMP_INTR) are restarted in one place,
 *     {@code NetlinkChannel.dump}.
 * <li>Values read back are records; {@link io.javaoverlay.core.netlink.VxlanInfo} is read back
 *     from IFLA_INFO_DATA so a backend can compare an existing VTEP with the wanted one.
 * <li>{@link io.javaoverlay.core.netlink.Netlink#isAvailable()} probes JNA and libc once.
 * </ul>
 */
package io.javaoverlay.core.netlink;
