package io.javaoverlay.core.backend.wireguard;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.javaoverlay.core.backend.Backend;
import io.javaoverlay.core.backend.BackendContext;
import io.javaoverlay.core.backend.BackendException;
import io.javaoverlay.core.backend.FlannelLeaseShapes;
import io.javaoverlay.core.backend.HostNetworking;
import io.javaoverlay.core.backend.PeerClaim;
import io.javaoverlay.core.backend.PeerRejection;
import io.javaoverlay.core.backend.Registration;
import io.javaoverlay.core.backend.WireguardKeyStore;
import io.javaoverlay.core.config.BackendType;
import io.javaoverlay.core.config.NetworkConfig;
import io.javaoverlay.core.config.WireguardOptions;
import io.javaoverlay.core.lease.Lease;
import io.javaoverlay.core.lease.LeaseEvent;
import io.javaoverlay.core.metrics.BackendStats;
import io.javaoverlay.core.metrics.OverlayMetrics;
import io.javaoverlay.core.metrics.TunnelPeerStats;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.WireguardKey;
import io.javaoverlay.core.netlink.Address;
import io.javaoverlay.core.netlink.Link;
import io.javaoverlay.core.netlink.LinkStats;
import io.javaoverlay.core.netlink.NetlinkException;
import io.javaoverlay.core.netlink.NetlinkSocket;
import io.javaoverlay.core.netlink.Route;

/**
 * flannel's wireguard backend: see the package notes.
 */
public final class WireguardBackend implements Backend {

    private static final Logger LOG = LoggerFactory.getLogger(WireguardBackend.class);
    private static final int LOG_EACH_PEER_UP_TO = 20;

    private final BackendContext context;
    private final WireguardKeyStore keys;
    private final Function<String, Optional<Path>> onPath;
    private NetlinkSocket nl;
    private NetlinkSocket statsNl;
    private WgTool wg;
    private WireguardDevice device;
    private NetworkConfig config;
    private WireguardOptions options;
    private WireguardKey privateKey;
    private WireguardKey publicKey;
    private int mtu;
    private volatile Link link;
    private Lease own;
    /** Every accepted peer, by subnet. */
    private final Map<Ip4Net, WgPeer> peers = new HashMap<>();
    /** Peer subnets by public key, for the metrics' labels. */
    private volatile Map<WireguardKey, Ip4Net> subnetsByKey = Map.of();
    /** The peers this device (this incarnation of it) has started a handshake with. */
    private final Set<WireguardKey> greeted = new HashSet<>();
    /** The peers the device holds, as far as this backend knows (a null value: held, details unknown). */
    private final Map<WireguardKey, WgPeer> applied = new HashMap<>();
    /** Whether this device (this incarnation) has this host's private key and listen port. */
    private boolean interfaceApplied;
    /** The last peer configuration given to wg failed: try again at the next recheck. */
    private boolean syncFailed;
    private OverlayMetrics.BackendRegistration metrics;
    private OverlayMetrics.BackendRegistration peerMetrics;

    /**
     * @param keys   the key file ({@link WireguardKeyStore#fromEnvironment})
     * @param onPath finds an executable by name ({@code wg}, {@code wireguard-go}) as a shell would
     */
    public WireguardBackend(BackendType type, BackendContext context, WireguardKeyStore keys, Function<String, Optional<Path>> onPath) {
        if (type != BackendType.WIREGUARD) {
            throw new IllegalArgumentException("WireguardBackend runs Backend.Type wireguard, not " + type);
        }
        this.context = context;
        this.keys = keys;
        this.onPath = onPath;
    }

    @Override
    public Registration register(NetworkConfig config) {
        this.config = config;
        this.options = config.backend().wireguard();
        this.wg = new WgTool(Implementation.requireWg(onPath.apply("wg")));
        this.privateKey = keys.privateKey();
        this.publicKey = privateKey.publicKey();
        Registration reg = FlannelLeaseShapes.wireguard(options, context.external(), publicKey);
        this.mtu = reg.mtu();
        try {
            nl = NetlinkSocket.open();
            statsNl = NetlinkSocket.open();
            HostNetworking.enableForwarding();
            device = new WireguardDevice(nl, wg, onPath.apply("wireguard-go"), context.dataDir());
            makeDevice();
        } catch (NetlinkException e) {
            close();
            throw new BackendException("cannot set up the WireGuard device " + WireguardDevice.NAME + ": " + e.getMessage(), e);
        } catch (BackendException e) {
            close();
            throw e;
        }
        LOG.info("wireguard: {} ({}), public key {}, listening on UDP {}, MTU {}{}{}", WireguardDevice.NAME,
                device.implementation().orElseThrow(), publicKey, options.listenPort(), mtu,
                options.psk().isPresent() ? ", with a preshared key" : "",
                options.persistentKeepalive().isZero() ? "" : ", keepalive " + options.persistentKeepalive().toSeconds() + " s");
        metrics = context.metrics().registerBackend("wireguard", this::deviceStats);
        peerMetrics = context.metrics().registerTunnelPeers("wireguard", this::peerStats);
        return reg;
    }

    /** A new (or kept) device with keys, port and MTU, and, once the lease is known, address, route and peers. */
    private void makeDevice() {
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
        if (own != null) {
            configureAddressAndRoute();
        }
    }

    @Override
    public void leaseAcquired(Lease own) {
        this.own = own;
        try {
            configureAddressAndRoute();
        } catch (NetlinkException e) {
            throw new BackendException("cannot give " + WireguardDevice.NAME + " its address and route: " + e.getMessage(), e);
        }
    }

    /**
     * As flannel: the subnet's first address as a /32 on the device, the device up, and one route
     * for the whole Network through it (scope link). The host's own subnet is on the bridge, a
     * longer prefix, so only other hosts' traffic takes this route; WireGuard then picks the peer
     * by AllowedIPs and drops what no peer owns.
     */
    private void configureAddressAndRoute() {
        Link l = link;
        boolean present = false;
        for (Address a : nl.addresses().list(l)) {
            if (a.isIp4() && a.ip4().ip().equals(own.subnet().address()) && a.prefixLength() == 32) {
                present = true;
            } else if (a.isIp4() && config.network().contains(a.ip4().ip())) {
                nl.addresses().delete(a);
            }
        }
        if (!present) {
            nl.addresses().replace(Address.ip4(l.index(), own.subnet().address(), 32));
        }
        if (!l.isUp()) {
            nl.links().setUp(l.index());
        }
        nl.routes().replace(networkRoute(l));
    }

    private Route networkRoute(Link l) {
        return Route.ip4(config.network()).device(l.index()).withScope(Route.SCOPE_LINK).withProtocol(Route.PROTOCOL_JAVAOVERLAY);
    }

    @Override
    public Optional<PeerRejection> checkPeer(Lease peer) {
        return WgLeases.check(peer, options.listenPort(), publicKey);
    }

    @Override
    public List<PeerClaim> claims(Lease peer) {
        return WgLeases.claims(peer, options.listenPort());
    }

    @Override
    public boolean ownsRoute(Route route) {
        Link l = link;
        return l != null && route.outputIndex() == l.index();
    }

    @Override
    public void handle(List<LeaseEvent> batch) {
        boolean each = batch.size() <= LOG_EACH_PEER_UP_TO;
        for (LeaseEvent e : batch) {
            Ip4Net subnet = e.lease().subnet();
            if (e instanceof LeaseEvent.Removed) {
                WgPeer gone = peers.remove(subnet);
                if (gone != null && each) {
                    LOG.info("peer removed: {} ({} at {})", subnet, gone.publicKey(), gone.endpoint());
                }
                continue;
            }
            Optional<PeerRejection> bad = checkPeer(e.lease());
            if (bad.isPresent()) {
                LOG.warn("ignoring the lease of {} at {}: {}", subnet, e.lease().attrs().publicIp(), bad.get());
                peers.remove(subnet);
                continue;
            }
            WgPeer p = WgLeases.parse(e.lease(), options.listenPort());
            WgPeer before = peers.put(subnet, p);
            if (each && !p.equals(before)) {
                LOG.info("peer {}: {} ({} at {})", before == null ? "added" : "changed", subnet, p.publicKey(), p.endpoint());
            }
        }
        if (!each) {
            LOG.info("applied {} peer events; {} peers", batch.size(), peers.size());
        }
        sync();
    }

    /**
     * Makes the device hold the wanted peers. A new device gets the whole state with one
     * {@code wg syncconf} (private key, listen port, peers); after that only what changed goes to
     * it: {@code wg addconf} with the new and changed peers, {@code wg set ... remove} for the gone
     * ones. Writing the listen port again, as syncconf always does, makes wireguard-go close and
     * reopen its UDP socket and drop what arrives meanwhile. A failure is logged and retried at the
     * next recheck, from what the device then holds.
     */
    private void sync() {
        Map<WireguardKey, WgPeer> want = new HashMap<>();
        peers.values().forEach(p -> want.put(p.publicKey(), p));
        Map<WireguardKey, Ip4Net> byKey = new HashMap<>();
        want.forEach((k, p) -> byKey.put(k, p.subnet()));
        subnetsByKey = Map.copyOf(byKey);
        try {
            if (!interfaceApplied) {
                wg.syncconf(WireguardDevice.NAME, WgConfigFile.render(privateKey, options.listenPort(), options.psk(),
                        options.persistentKeepalive(), want.values()));
                interfaceApplied = true;
            } else {
                List<WireguardKey> gone = applied.keySet().stream().filter(k -> !want.containsKey(k)).toList();
                List<WgPeer> changed = want.values().stream().filter(p -> !p.equals(applied.get(p.publicKey()))).toList();
                if (!gone.isEmpty()) {
                    wg.removePeers(WireguardDevice.NAME, gone);
                }
                if (!changed.isEmpty()) {
                    wg.addconf(WireguardDevice.NAME, WgConfigFile.renderPeers(options.psk(), options.persistentKeepalive(), changed));
                }
            }
            applied.clear();
            applied.putAll(want);
            syncFailed = false;
            greet();
        } catch (BackendException e) {
            if (!syncFailed) {
                LOG.error("cannot configure the WireGuard peers: {}; retrying every recheck", e.getMessage());
            }
            syncFailed = true;
        }
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
            WgDump d = wg.dump(WireguardDevice.NAME);
            interfaceApplied = d.listenPort() == options.listenPort() && d.publicKey().equals(publicKey);
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
            wg.handshakeNow(WireguardDevice.NAME, fresh);
            greeted.addAll(fresh);
        } catch (BackendException e) {
            LOG.warn("cannot start handshakes with {} new peers: {} (they start with the first packet instead)", fresh.size(),
                    e.getMessage());
            greeted.addAll(fresh);
        }
    }

    /**
     * Repairs what changed underneath: a deleted device (or a wireguard-go that died) is made again
     * with everything on it; a missing route or address is put back; peers that differ from the
     * leases (removed or changed with {@code wg set}) are set again.
     */
    @Override
    public void recheck() {
        if (device == null) {
            return;
        }
        try {
            Optional<Link> now = device.current();
            if (now.isEmpty() || now.get().index() != link.index()) {
                LOG.warn("the WireGuard device {} is gone{}; making it again", WireguardDevice.NAME,
                        now.isEmpty() ? "" : " (replaced by another device of the same name)");
                device.remove();
                makeDevice();
                return;
            }
            link = now.get();
            if (own != null && !routePresent()) {
                LOG.warn("the route to {} via {} is missing; restoring it", config.network(), WireguardDevice.NAME);
                configureAddressAndRoute();
            } else if (own != null && !link.isUp()) {
                LOG.warn("{} is down; setting it up", WireguardDevice.NAME);
                configureAddressAndRoute();
            }
        } catch (NetlinkException | BackendException e) {
            LOG.error("cannot check the WireGuard device: {}", e.getMessage());
            return;
        }
        if (syncFailed) {
            readBackFromDevice();
            sync();
            return;
        }
        try {
            WgDump d = wg.dump(WireguardDevice.NAME);
            Set<String> have = new TreeSet<>();
            d.peers().forEach(p -> have.add(p.publicKey() + " " + String.join(",", p.allowedIps())));
            Set<String> want = new TreeSet<>();
            peers.values().forEach(p -> want.add(p.publicKey() + " " + p.subnet()));
            if (!have.equals(want) || d.listenPort() != options.listenPort() || !d.publicKey().equals(publicKey)) {
                LOG.warn("the WireGuard peers on {} differ from the leases ({} configured, {} wanted); setting them again",
                        WireguardDevice.NAME, have.size(), want.size());
                readBackFromDevice();
                sync();
            }
        } catch (BackendException e) {
            LOG.error("cannot read the WireGuard peers: {}", e.getMessage());
        }
    }

    private boolean routePresent() {
        Ip4Net net = config.network();
        for (Route r : nl.routes().listIp4()) {
            if (r.outputIndex() == link.index() && net.equals(r.ip4Destination()) && r.protocol() == Route.PROTOCOL_JAVAOVERLAY) {
                return true;
            }
        }
        return false;
    }

    /** The device's counters: what crossed the tunnel (inner packets), all peers together. */
    private BackendStats deviceStats() {
        Link l = link;
        if (l == null) {
            return null;
        }
        Optional<LinkStats> read = statsNl.links().stats(l.index());
        if (read.isEmpty()) {
            return null;
        }
        LinkStats s = read.get();
        return new BackendStats(s.txPackets(), s.txBytes(), s.rxPackets(), s.rxBytes(),
                Map.of("rx-dropped", s.rxDropped(), "tx-dropped", s.txDropped()), Map.of("rx", s.rxErrors(), "tx", s.txErrors()));
    }

    /** Per peer, from {@code wg show dump}: latest handshake and bytes, read at every scrape. */
    private List<TunnelPeerStats> peerStats() {
        WgDump d = wg.dump(WireguardDevice.NAME);
        Map<WireguardKey, Ip4Net> subnets = subnetsByKey;
        List<TunnelPeerStats> out = new ArrayList<>(d.peers().size());
        for (WgDump.Peer p : d.peers()) {
            Ip4Net subnet = subnets.get(p.publicKey());
            out.add(new TunnelPeerStats(p.publicKey().toString(), subnet == null ? "" : subnet.toString(), p.endpoint().orElse(""),
                    p.latestHandshake().map(Instant::getEpochSecond).orElse(0L), p.rxBytes(), p.txBytes()));
        }
        return out;
    }

    /**
     * Unlike vxlan and host-gw, nothing stays: the device goes (flannel deletes it too) and with it
     * the route; wireguard-go is ended by its PID. The key file stays, so a restart publishes the
     * same public key and peers reconnect as soon as the device is back.
     */
    @Override
    public void close() {
        if (metrics != null) {
            metrics.close();
        }
        if (peerMetrics != null) {
            peerMetrics.close();
        }
        if (device != null) {
            try {
                device.remove();
                LOG.info("wireguard backend stopped: {} removed", WireguardDevice.NAME);
            } catch (RuntimeException e) {
                LOG.warn("cannot remove {}: {}", WireguardDevice.NAME, e.getMessage());
            }
        }
        if (statsNl != null) {
            statsNl.close();
        }
        if (nl != null) {
            nl.close();
        }
    }

}
