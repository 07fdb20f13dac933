/**
 * flannel's udp backend in Java: a TUN device ({@code flannel0}) and a UDP socket (port 8285)
 * joined by two packet loops, with flannel's wire format: each datagram's payload is one inner
 * IPv4 packet, nothing more, so javaoverlay and flanneld hosts exchange traffic.
 *
 * <h2>Design notes</h2>
 * <ul>
 * <li><b>Addressing.</b> The TUN device gets {@code <subnet>.0/32} and the route for the whole
 *     overlay network; the host's own subnet has a more specific route to its bridge. The MTU
 *     is the external MTU minus 28 (outer IPv4 20 + UDP 8). Packets for a subnet no peer holds
 *     are answered with ICMP "net unreachable" from the TUN address; since that address is the
 *     host's own, the device accepts locally sourced packets ({@code accept_local}).
 * <li><b>One thread per direction</b>: the event loop builds a new immutable
 *     {@link io.javaoverlay.core.backend.udp.PeerTable} on every peer change and publishes it
 *     with one volatile write; the loops read it once per batch. Counters have one writer at a
 *     time and are published once per batch ({@link io.javaoverlay.core.backend.udp.UdpCounters}).
 * <li><b>Latency: one wake-up less per round trip.</b> A packet written into the TUN device is
 *     routed by the kernel within that write, so a local container's answer (an echo reply, a
 *     TCP ACK) is already queued in the device when the write returns. The UDP -> TUN loop sends
 *     it on itself ({@code Outbound.forwardQueued}) instead of waking the TUN -> UDP loop's
 *     thread; one lock, taken with {@code tryLock} by the inbound thread, keeps each drain's
 *     reads and sends together, so packets leave in the device's order. On an idle machine a
 *     thread wake-up is most of the cost of a hop (docs/benchmarks.md).
 *     The loops start once the first peer listing is applied, so a peer's datagrams are never
 *     taken for a stranger's during start-up.
 * <li><b>System calls per packet are the cost</b>, so everything is batched. TUN to UDP: the
 *     device hands over TCP packets of up to 64 KiB (TSO via {@code IFF_VNET_HDR} and
 *     TUNSETOFFLOAD) with checksums unfinished; {@link io.javaoverlay.core.backend.udp.TcpSegments}
 *     cuts them into MTU-sized packets with finished checksums, back to back, and the kernel
 *     sends each train as separate datagrams (UDP GSO); a batch of trains goes out with one
 *     {@code sendmmsg}. UDP to TUN: {@code recvmmsg} with UDP GRO receives trains of datagrams;
 *     {@link io.javaoverlay.core.backend.udp.TcpCoalescer} joins consecutive segments of a TCP
 *     flow back into one 64 KiB GSO write, so the receiving kernel routes one packet instead of
 *     ~45. Without offloads (old kernels) each packet is one read or write, batched on the UDP
 *     side only.
 * <li><b>Nothing is allocated per packet</b>: all buffers are direct and made once; lookups are
 *     int operations on open-addressing tables. Socket buffers are 8 MiB (forced past
 *     {@code rmem_max}, as root may) to ride out a descheduled loop.
 * <li><b>Admission</b> (inbound): the datagram must come from a peer's public IP, hold one
 *     well-formed IPv4 packet whose source is in that peer's subnet and whose destination is in
 *     this host's subnet. Everything else is dropped and counted by reason; the counts are
 *     logged at each recheck when they changed, never per packet.
 * <li>The TUN device lives as long as the process, so a restarted agent interrupts udp traffic
 *     for its start-up time (vxlan and host-gw keep flowing: their state is in the kernel).
 * </ul>
 * Measured against the kernel's VXLAN in {@code docs/benchmarks.md}.
 */
package io.javaoverlay.core.backend.udp;
