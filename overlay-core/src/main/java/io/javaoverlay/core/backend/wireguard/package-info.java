/**
 * flannel's wireguard backend: every host's traffic to other hosts' subnets goes encrypted
 * through one WireGuard device, {@code flannel-wg}, with one WireGuard peer per other host (and
 * with IPv6 the IPv6 traffic through {@code flannel-wg-v6}, below).
 *
 * <h2>Design notes</h2>
 * <ul>
 * <li><b>Wire compatibility.</b> The lease is flannel's: {@code "BackendType":"wireguard"},
 *     {@code "BackendData":{"PublicKey":"<base64>","Port":51820}}. A peer is the lease's
 *     {@code PublicIP:Port} (a missing or zero Port, as written by flannel before v0.22, means this
 *     host's own ListenPort), with the lease's subnet as its only AllowedIPs. So javaoverlay and
 *     flanneld hosts form one encrypted cluster.
 * <li><b>Routing, as flannel.</b> The device holds the subnet's first address as a /32, and one
 *     route sends the whole Network through it ({@code scope link}, marked with javaoverlay's
 *     protocol 74). The host's own subnet is on the bridge, a longer prefix. WireGuard chooses
 *     the peer by AllowedIPs, and drops packets no peer owns (ICMP "no route" to the sender)
 *     rather than sending them in clear. A route per peer would add nothing: WireGuard's own
 *     table is the per-peer one, and a single route cannot go stale when leases come and go.
 * <li><b>MTU.</b> flannel takes 80 bytes off {@code Backend.MTU} (default: the external
 *     interface's MTU): an IPv6 outer header (40, so IPv4 and IPv6 underlays get one MTU) + UDP 8 +
 *     WireGuard's header 16 + authentication tag 16.
 * <li><b>Kernel or user space, chosen at start</b> ({@link io.javaoverlay.core.backend.wireguard.Implementation}):
 *     the kernel's WireGuard when creating a link of kind {@code wireguard} works, else
 *     {@code wireguard-go}, a child process the agent starts, keeps the PID of, and ends by that PID
 *     on stop ({@link io.javaoverlay.core.backend.wireguard.WireguardDevice}).
 * <li><b>One configuration path: the {@code wg} tool.</b> Both the kernel (generic netlink family
 *     {@code wireguard}) and wireguard-go (a UAPI text protocol on
 *     {@code /var/run/wireguard/<dev>.sock}) are configured by {@code wg}; speaking both protocols
 *     here would mean a second netlink family and attribute nesting in the netlink package plus a
 *     socket client, twice the code to get wrong for the same effect. A new device gets the whole
 *     wanted state ({@link io.javaoverlay.core.backend.wireguard.WgConfigFile}, built from the
 *     accepted leases) with one {@code wg syncconf <dev> /dev/stdin}; after that a batch of lease
 *     events sends only what changed: {@code wg addconf} with the new and changed peers and
 *     {@code wg set <dev> peer K remove} for the gone ones, at most two runs per batch. Not syncconf
 *     every time: it always writes the listen port, and wireguard-go closes and reopens its UDP
 *     socket at every such write (measured: pings lost while leases came and went). The private key
 *     reaches {@code wg} on a pipe, never on a command line or in a file other than the key file.
 * <li><b>Keys.</b> The private key lives in flannel's key file ({@code $WIREGUARD_KEY_FILE}, else
 *     {@code /run/flannel/wgkey}, root-only), so a restart keeps the public key. The public key
 *     is derived with the JDK's X25519. {@code Backend.PSK}, when set, is every peer's preshared key:
 *     a host with another PSK completes no handshake with anyone.
 * <li><b>Validation.</b> A peer's lease passes {@link io.javaoverlay.core.backend.PeerAdmission}'s
 *     checks and then {@code checkPeer}: BackendType wireguard, a PublicKey of exactly 32 bytes of
 *     base64, a Port in range, not this host's own key. A key published by two public IPs is a
 *     {@code public-key-in-use} claim collision: WireGuard keys peers by public key.
 * <li><b>Repair.</b> Every recheck: a device that is gone (deleted, or its wireguard-go died) is
 *     made again with keys, peers, address and route; a missing route is put back; peers that
 *     differ from the leases ({@code wg show dump}: keys and AllowedIPs; endpoints may roam) are
 *     set again.
 * <li><b>Stop.</b> Unlike vxlan and host-gw, the device goes when the agent stops (flannel deletes
 *     it too), and the route with it. An agent killed without its shutdown path leaves wireguard-go
 *     running; the next start finds it by its PID file and keeps it, so the tunnel stays up.
 * <li><b>Metrics.</b> The device's counters are the backend's traffic; {@code wg show dump} gives
 *     each peer's latest handshake and bytes at every scrape.
 * <li><b>Dual-stack, as flannel's Mode separate.</b> With {@code EnableIPv6} a second device,
 *     {@code flannel-wg-v6}, carries the IPv6 half of every lease ({@link io.javaoverlay.core.backend.wireguard.WgTunnel}
 *     runs each device): {@code ListenPortV6}, the same private key (flannel reads one key file for
 *     both), the IPv6 subnet's address as a /128 and one route for the IPv6Network, peers at
 *     {@code [PublicIPv6]:Port} from {@code BackendV6Data} ({@code {"PublicKey":...,"Port":51821}})
 *     with their IPv6 subnets as AllowedIPs; a second wireguard-go when there is no kernel WireGuard.
 *     A bad IPv6 half rejects the whole lease, as {@code Ipv6PeerCheck} does.
 * <li><b>flannel's one-device modes</b> ({@code auto}, {@code ipv4}, {@code ipv6} with EnableIPv6):
 *     {@code flannel-wg} alone carries both families (both addresses and routes), one peer per lease
 *     with both subnets as AllowedIPs, its endpoint over the IPv4 or IPv6 underlay as the mode says
 *     ({@code auto}: flannel's {@code selectMode}). The port is the peer's BackendData Port, where its
 *     one device listens: flannel dials BackendV6Data's (ListenPortV6), where nothing listens in these
 *     modes, and so connects only when both ports are set equal. {@code ipv6} without EnableIPv6 is
 *     refused (no host publishes a PublicIPv6 then).
 * </ul>
 */
package io.javaoverlay.core.backend.wireguard;
