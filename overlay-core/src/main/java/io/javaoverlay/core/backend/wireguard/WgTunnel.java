package io.javaoverlay.core.backend.wireguard;

import java.math.BigInteger;
import java.net.Inet6Address;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.javaoverlay.core.backend.BackendException;
import io.javaoverlay.core.config.WireguardOptions;
import io.javaoverlay.core.metrics.BackendStats;
import io.javaoverlay.core.metrics.TunnelPeerStats;
import io.javaoverlay.core.lease.LeaseId;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.Ip6Net;
import io.javaoverlay.core.net.WireguardKey;
import io.javaoverlay.core.netlink.Address;
import io.javaoverlay.core.netlink.Link;
import io.javaoverlay.core.netlink.LinkStats;
import io.javaoverlay.core.netlink.NetlinkSocket;
import io.javaoverlay.core.netlink.Route;

/**
 * One WireGuard device with its peers, addresses and routes: {@code flannel-wg} for the IPv4 half of
 * every lease, and in Mode separate with {@code EnableIPv6} {@code flannel-wg-v6} for the IPv6 half
 * (its own listen port, the same private key, peers at {@code [PublicIPv6]:Port} with their IPv6
 * subnets as AllowedIPs). The two share nothing but the key, so each is made, repaired and removed
 * by itself, and one failing leaves the other family running. In flannel's one-device modes
 * ({@code auto}, {@code ipv4}, {@code ipv6}) with {@code EnableIPv6}, {@code flannel-wg} carries both
 * families: both addresses, both routes, each peer with both subnets as AllowedIPs.
 */
final class WgTunnel {

    private static final Logger LOG = LoggerFactory.getLogger(WgTunnel.class);
    private static final int AF_INET6 = 10;

    /**
     * The overlay networks one device carries: for each, the host's subnet's address on the device
     * (a /32, a /128) and one route to the whole network through it.
     *
     * @param ipv4 the IPv4 Network ({@code flannel-wg}); null for {@code flannel-wg-v6}
     * @param ipv6 the IPv6Network ({@code flannel-wg-v6}, or {@code flannel-wg} in a one-device mode); null without
     */
    record Networks(Ip4Net ipv4, Ip6Net ipv6) {
        Networks {
            if (ipv4 == null && ipv6 == null) {
                throw new IllegalArgumentException("a device carries at least one network");
            }
        }
    }

    private final WireguardDevice device;
    private final Networks networks;
    private final NetlinkSocket nl;
    private final NetlinkSocket statsNl;
    private final WgTool wg;
    private final WireguardOptions options;
    private final WireguardKey privateKey;
    private final WireguardKey publicKey;
    private final int listenPort;
    private final int mtu;
    private volatile Link link;
    /** This host's subnets (their addresses go on the device); null until the lease is held. */
    private Ip4Net own4;
    private Ip6Net own6;
    private boolean leased;
    /** Every accepted peer, by what names its lease (its IPv4 subnet; an IPv6-only lease's IPv6 subnet). */
    private final Map<LeaseId, WgPeer> peers = new HashMap<>();
    /** Peers' AllowedIPs by public key, for the metrics' labels. */
    private volatile Map<WireguardKey, String> allowedByKey = Map.of();
    /** The peers this device (this incarnation of it) has started a handshake with. */
    private final Set<WireguardKey> greeted = new HashSet<>();
    /** The peers the device holds, as far as this backend knows (a null value: held, details unknown). */
    private final Map<WireguardKey, WgPeer> applied = new HashMap<>();
    /** Whether this device (this incarnation) has this host's private key and listen port. */
    private boolean interfaceApplied;
    /** The last peer configuration given to wg failed: try again at the next recheck. */
    private boolean syncFailed;

    WgTunnel(WireguardDevice device, Networks networks, NetlinkSocket nl, NetlinkSocket statsNl, WgTool wg, WireguardOptions options,
            WireguardKey privateKey, int listenPort, int mtu) {
        this.device = device;
        this.networks = networks;
        this.nl = nl;
        this.statsNl = statsNl;
        this.wg = wg;
        this.options = options;
        this.privateKey = privateKey;
        this.publicKey = privateKey.publicKey();
        this.listenPort = listenPort;
        this.mtu = mtu;
    }

    String name() {
        return device.name();
    }

    int listenPort() {
        return listenPort;
    }

    Optional<Implementation> implementation() {
        return device.implementation();
    }

    Link link() {
        return link;
    }

    Map<LeaseId, WgPeer> peers() {
        return peers;
    }

    /** A new (or kept) device with keys, port and MTU, and, once the lease is known, address, route and peers. */
    void make() {
        WireguardDevice.Made made = device.make(mtu);
        link = made.link();
        greeted.clear();
        applied.clear();
        interfaceApplied = false;
        if (made.kept()) {
            // a kept device keeps its peers and their sessions: what it holds is read back, and the
            // first batch of leases changes only what differs (configuring it with no peers now would
            // cut the tunnels the restart kept)
            readBackFromDevice();
        } else {
            sync();
        }
        if (leased) {
            configureAddressAndRoute();
        }
    }

    /** This host's subnets: the IPv4 one (null for {@code flannel-wg-v6}), the IPv6 one (null without IPv6 on this device). */
    void leaseAcquired(Ip4Net ownSubnet, Ip6Net ownSubnet6) {
        if ((networks.ipv4() != null && ownSubnet == null) || (networks.ipv6() != null && ownSubnet6 == null)) {
            throw new IllegalArgumentException(device.name() + " needs a subnet of each family it carries");
        }
        this.own4 = ownSubnet;
        this.own6 = ownSubnet6;
        this.leased = true;
        configureAddressAndRoute();
    }

    /**
     * As flannel: the subnet's address as a /32 (IPv4) or /128 (IPv6) on the device, the device up,
     * and one route for the whole network of that family through it (scope link, protocol 74).
     * The host's own subnet is on the bridge, a longer prefix, so only other hosts' traffic takes
     * this route; WireGuard then picks the peer by AllowedIPs and drops what no peer owns.
     */
    private void configureAddressAndRoute() {
        Link l = link;
        if (networks.ipv4() != null) {
            Ip4Net subnet = own4;
            boolean present = false;
            for (Address a : nl.addresses().list(l)) {
                if (a.isIp4() && a.ip4().ip().equals(subnet.address()) && a.prefixLength() == 32) {
                    present = true;
                } else if (a.isIp4() && networks.ipv4().contains(a.ip4().ip())) {
                    nl.addresses().delete(a);
                }
            }
            if (!present) {
                nl.addresses().replace(Address.ip4(l.index(), subnet.address(), 32));
            }
        }
        if (networks.ipv6() != null) {
            BigInteger want = own6.address();
            boolean present = false;
            for (Address a : nl.addresses().list(l)) {
                if (!(a.address() instanceof Inet6Address)) {
                    continue;
                }
                BigInteger ip = new BigInteger(1, a.address().getAddress());
                if (ip.equals(want) && a.prefixLength() == 128) {
                    present = true;
                } else if (networks.ipv6().contains(ip)) {
                    nl.addresses().delete(a);
                }
            }
            if (!present) {
                // no duplicate address detection: the address is this host's alone (its subnet's), and
                // DAD would hold it "tentative", unusable as a source, for a second after every repair
                nl.addresses().replace(Address.of(l.index(), Ip6Net.toInetAddress(want), 128).withFlags(Address.IFA_F_NODAD));
            }
        }
        if (!l.isUp()) {
            nl.links().setUp(l.index());
        }
        if (networks.ipv4() != null) {
            nl.routes().replace(route4(l));
        }
        if (networks.ipv6() != null) {
            nl.routes().replace(route6(l));
        }
    }

    private Route route4(Link l) {
        return Route.ip4(networks.ipv4()).device(l.index()).withScope(Route.SCOPE_LINK).withProtocol(Route.PROTOCOL_JAVAOVERLAY);
    }

    private Route route6(Link l) {
        return Route.to(Ip6Net.toInetAddress(networks.ipv6().address()), networks.ipv6().prefixLength()).device(l.index())
                .withScope(Route.SCOPE_LINK).withProtocol(Route.PROTOCOL_JAVAOVERLAY);
    }

    /** The networks whose route through this device is missing, as text; empty when all are there. */
    List<String> missingRoutes() {
        List<String> missing = new ArrayList<>(2);
        if (networks.ipv4() != null) {
            Ip4Net net = networks.ipv4();
            boolean found = false;
            for (Route r : nl.routes().listIp4()) {
                if (r.outputIndex() == link.index() && net.equals(r.ip4Destination()) && r.protocol() == Route.PROTOCOL_JAVAOVERLAY) {
                    found = true;
                }
            }
            if (!found) {
                missing.add(net.toString());
            }
        }
        if (networks.ipv6() != null) {
            Ip6Net net = networks.ipv6();
            boolean found = false;
            for (Route r : nl.routes().list(AF_INET6)) {
                if (r.outputIndex() == link.index() && r.destination() != null && r.prefixLength() == net.prefixLength()
                        && new BigInteger(1, r.destination().getAddress()).equals(net.address())
                        && r.protocol() == Route.PROTOCOL_JAVAOVERLAY) {
                    found = true;
                }
            }
            if (!found) {
                missing.add(net.toString());
            }
        }
        return missing;
    }

    /**
     * Makes the device hold the wanted peers. A new device gets the whole state with one
     * {@code wg syncconf} (private key, listen port, peers); after that only what changed goes to
     * it: {@code wg addconf} with the new and changed peers, {@code wg set ... remove} for the gone
     * ones. Writing the listen port again, as syncconf always does, makes wireguard-go close and
     * reopen its UDP socket and drop what arrives meanwhile. A failure is logged and retried at the
     * next recheck, from what the device then holds.
     */
    void sync() {
        Map<WireguardKey, WgPeer> want = new HashMap<>();
        peers.values().forEach(p -> want.put(p.publicKey(), p));
        Map<WireguardKey, String> byKey = new HashMap<>();
        want.forEach((k, p) -> byKey.put(k, p.allowedIps()));
        allowedByKey = Map.copyOf(byKey);
        String name = device.name();
        try {
            if (!interfaceApplied) {
                wg.syncconf(name, WgConfigFile.render(privateKey, listenPort, options.psk(), options.persistentKeepalive(), want.values()));
                interfaceApplied = true;
            } else {
                List<WireguardKey> gone = applied.keySet().stream().filter(k -> !want.containsKey(k)).toList();
                List<WgPeer> changed = want.values().stream().filter(p -> !p.equals(applied.get(p.publicKey()))).toList();
                if (!gone.isEmpty()) {
                    wg.removePeers(name, gone);
                }
                if (!changed.isEmpty()) {
                    wg.addconf(name, WgConfigFile.renderPeers(options.psk(), options.persistentKeepalive(), changed));
                }
            }
            applied.clear();
            applied.putAll(want);
            syncFailed = false;
            greet();
        } catch (BackendException e) {
            if (!syncFailed) {
                LOG.error("cannot configure the WireGuard peers of {}: {}; retrying every recheck", name, e.getMessage());
            }
            syncFailed = true;
        }
    }

    boolean syncFailed() {
        return syncFailed;
    }

    /**
     * Takes what the device holds as the starting point of the next {@link #sync}: its peers (each
     * set again, as what the device holds of them is not known in full, and any the leases do not
     * name removed), and whether its key and port are this host's (if not, the next sync gives it
     * the whole state).
     */
    private void readBackFromDevice() {
        applied.clear();
        try {
            WgDump d = wg.dump(device.name());
            interfaceApplied = d.listenPort() == listenPort && d.publicKey().equals(publicKey);
            d.peers().forEach(p -> applied.put(p.publicKey(), null));
        } catch (BackendException e) {
            interfaceApplied = false;
        }
    }

    /**
     * A new device (a started or restarted agent, a device made again) has no sessions, but its
     * peers still hold the ones they had with the device before it, and keep sending on them
     * until WireGuard gives up on hearing back (15 s): traffic from them would vanish until then.
     * So the new device starts a handshake with each peer at once, which replaces the peer's
     * stale session. With PersistentKeepaliveInterval set, WireGuard does this by itself when the
     * keepalive is configured.
     */
    private void greet() {
        Set<WireguardKey> now = new HashSet<>();
        peers.values().forEach(p -> now.add(p.publicKey()));
        greeted.retainAll(now);
        List<WireguardKey> fresh = now.stream().filter(k -> !greeted.contains(k)).toList();
        if (fresh.isEmpty() || !options.persistentKeepalive().isZero()) {
            greeted.addAll(fresh);
            return;
        }
        try {
            wg.handshakeNow(device.name(), fresh);
        } catch (BackendException e) {
            LOG.warn("cannot start handshakes with {} new peers of {}: {} (they start with the first packet instead)", fresh.size(),
                    device.name(), e.getMessage());
        }
        greeted.addAll(fresh);
    }

    /**
     * Repairs what changed underneath: a deleted device (or a wireguard-go that died) is made again
     * with everything on it; a missing route or address is put back; peers that differ from the
     * leases (removed or changed with {@code wg set}) are set again.
     */
    void recheck() {
        String name = device.name();
        Optional<Link> now = device.current();
        if (now.isEmpty() || now.get().index() != link.index()) {
            LOG.warn("the WireGuard device {} is gone{}; making it again", name,
                    now.isEmpty() ? "" : " (replaced by another device of the same name)");
            device.remove();
            make();
            return;
        }
        link = now.get();
        List<String> missing = leased ? missingRoutes() : List.of();
        if (!missing.isEmpty()) {
            LOG.warn("the route to {} via {} is missing; restoring it", String.join(" and ", missing), name);
            configureAddressAndRoute();
        } else if (leased && !link.isUp()) {
            LOG.warn("{} is down; setting it up", name);
            configureAddressAndRoute();
        }
        if (syncFailed) {
            readBackFromDevice();
            sync();
            return;
        }
        try {
            WgDump d = wg.dump(name);
            Set<String> have = new TreeSet<>();
            d.peers().forEach(p -> have.add(p.publicKey() + " " + new TreeSet<>(p.allowedIps())));
            Set<String> want = new TreeSet<>();
            peers.values().forEach(p -> want.add(p.publicKey() + " " + new TreeSet<>(List.of(p.allowedIps().split(",")))));
            if (!have.equals(want) || d.listenPort() != listenPort || !d.publicKey().equals(publicKey)) {
                LOG.warn("the WireGuard peers on {} differ from the leases ({} configured, {} wanted); setting them again",
                        name, have.size(), want.size());
                readBackFromDevice();
                sync();
            }
        } catch (BackendException e) {
            LOG.error("cannot read the WireGuard peers of {}: {}", name, e.getMessage());
        }
    }

    /** The device's counters: what crossed the tunnel (inner packets), all peers together; null when unknown. */
    LinkStats stats() {
        Link l = link;
        return l == null ? null : statsNl.links().stats(l.index()).orElse(null);
    }

    /** Per peer, from {@code wg show dump}: latest handshake and bytes. */
    List<TunnelPeerStats> peerStats() {
        WgDump d = wg.dump(device.name());
        Map<WireguardKey, String> allowed = allowedByKey;
        List<TunnelPeerStats> out = new ArrayList<>(d.peers().size());
        for (WgDump.Peer p : d.peers()) {
            out.add(new TunnelPeerStats(p.publicKey().toString(), allowed.getOrDefault(p.publicKey(), ""), p.endpoint().orElse(""),
                    p.latestHandshake().map(Instant::getEpochSecond).orElse(0L), p.rxBytes(), p.txBytes()));
        }
        return out;
    }

    /** Sums of both devices' counters, for the backend's traffic. */
    static BackendStats sum(List<LinkStats> all) {
        long txp = 0, txb = 0, rxp = 0, rxb = 0, rxd = 0, txd = 0, rxe = 0, txe = 0;
        for (LinkStats s : all) {
            txp += s.txPackets();
            txb += s.txBytes();
            rxp += s.rxPackets();
            rxb += s.rxBytes();
            rxd += s.rxDropped();
            txd += s.txDropped();
            rxe += s.rxErrors();
            txe += s.txErrors();
        }
        return new BackendStats(txp, txb, rxp, rxb, Map.of("rx-dropped", rxd, "tx-dropped", txd), Map.of("rx", rxe, "tx", txe));
    }

    /** Ends wireguard-go (by its PID) and deletes the device, and its route with it. */
    void remove() {
        device.remove();
    }
}
