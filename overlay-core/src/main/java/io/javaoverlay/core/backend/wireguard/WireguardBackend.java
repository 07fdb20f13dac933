package io.javaoverlay.core.backend.wireguard;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.Function;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.javaoverlay.core.backend.Backend;
import io.javaoverlay.core.backend.BackendContext;
import io.javaoverlay.core.backend.BackendException;
import io.javaoverlay.core.backend.BackendFactory;
import io.javaoverlay.core.backend.BackendResources;
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
import io.javaoverlay.core.lease.LeaseId;
import io.javaoverlay.core.metrics.BackendStats;
import io.javaoverlay.core.metrics.OverlayMetrics;
import io.javaoverlay.core.metrics.TunnelPeerStats;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.Ip6Net;
import io.javaoverlay.core.net.WireguardKey;
import io.javaoverlay.core.netlink.Link;
import io.javaoverlay.core.netlink.LinkStats;
import io.javaoverlay.core.netlink.NetlinkException;
import io.javaoverlay.core.netlink.NetlinkSocket;
import io.javaoverlay.core.netlink.Route;

/**
 * flannel's wireguard backend: see the package notes. The devices are {@link WgTunnel}s:
 * {@code flannel-wg}, and with {@code EnableIPv6} in Mode separate {@code flannel-wg-v6}; in the
 * one-device modes with {@code EnableIPv6} {@code flannel-wg} carries both families.
 */
public final class WireguardBackend implements Backend {

    private static final Logger LOG = LoggerFactory.getLogger(WireguardBackend.class);
    private static final int LOG_EACH_PEER_UP_TO = 20;

    private final BackendContext context;
    private final WireguardKeyStore keys;
    private final Function<String, Optional<Path>> onPath;
    private NetlinkSocket nl;
    private NetlinkSocket statsNl;
    private WireguardOptions options;
    private WireguardKey publicKey;
    /** {@code flannel-wg}. */
    private WgTunnel tunnel;
    /** {@code flannel-wg-v6} with {@code EnableIPv6} in Mode separate; else null. */
    private WgTunnel tunnel6;
    /** {@code EnableIPv6} in Mode auto, ipv4 or ipv6: one peer per lease on {@code flannel-wg}, with both subnets. */
    private boolean oneDevice;
    private OverlayMetrics.BackendRegistration metrics;
    private OverlayMetrics.BackendRegistration peerMetrics;

    /**
     * @param keys   the key file ({@link WireguardKeyStore#fromEnvironment})
     * @param onPath finds an executable by name ({@code wg}, {@code wireguard-go}) as a shell would
     */
    public WireguardBackend(BackendType type, BackendContext context, WireguardKeyStore keys, Function<String, Optional<Path>> onPath) {
        BackendFactory.requireType(type, BackendType.WIREGUARD, WireguardBackend.class);
        this.context = context;
        this.keys = keys;
        this.onPath = onPath;
    }

    @Override
    public Registration register(NetworkConfig config) {
        this.options = config.backend().wireguard();
        WgTool wg = new WgTool(Implementation.requireWg(onPath.apply("wg")));
        WireguardKey privateKey = keys.privateKey();
        this.publicKey = privateKey.publicKey();
        Registration reg = FlannelLeaseShapes.wireguard(options, context.external(), publicKey);
        if (!config.enableIPv4()) {
            // IPv6-only, as flannel's newSubnetAttrs with EnableIPv4 false: no BackendData; only flannel-wg-v6 (Mode separate)
            if (options.mode() != WireguardOptions.Mode.SEPARATE) {
                throw new BackendException("an IPv6-only network (EnableIPv4: false) runs wireguard with Mode \"separate\" (flannel-wg-v6"
                        + " alone); Mode \"" + options.mode().flannelName() + "\" is not run IPv6-only by javaoverlay: remove Backend.Mode");
            }
            reg = new Registration(reg.backendType(), Optional.empty(), reg.mtu());
        }
        if (config.ipv6().isEmpty() && options.mode() == WireguardOptions.Mode.IPV6) {
            throw new BackendException("Backend.Mode \"ipv6\" reaches peers at their PublicIPv6, which hosts publish only with"
                    + " EnableIPv6: set EnableIPv6 and IPv6Network, or use another Mode");
        }
        if (config.ipv6().isPresent()) {
            oneDevice = options.mode() != WireguardOptions.Mode.SEPARATE;
            if (context.publicIpv6().isEmpty()) {
                throw new BackendException("EnableIPv6 with wireguard needs this host's IPv6 address on " + context.external().name()
                        + " (PublicIPv6), and none was given");
            }
            // flannel v0.28: one key file, so both devices have the same key; BackendV6Data says which port
            // (ListenPortV6 in every mode, as flannel writes it, though in the one-device modes nothing listens there)
            reg = reg.withV6Data(FlannelLeaseShapes.wireguardV6Data(options, publicKey));
        }
        int mtu = reg.mtu();
        try {
            nl = NetlinkSocket.open();
            statsNl = NetlinkSocket.open();
            HostNetworking.enableForwarding(config);
            Optional<Path> wireguardGo = onPath.apply("wireguard-go");
            if (config.enableIPv4()) {
                tunnel = new WgTunnel(new WireguardDevice(WireguardDevice.NAME, nl, wg, wireguardGo, context.dataDir()),
                        new WgTunnel.Networks(config.network(), oneDevice ? config.ipv6().get().network() : null), nl, statsNl, wg, options,
                        privateKey, options.listenPort(), mtu);
                tunnel.make();
            }
            if (config.ipv6().isPresent() && !oneDevice) {
                tunnel6 = new WgTunnel(new WireguardDevice(WireguardDevice.NAME_V6, nl, wg, wireguardGo, context.dataDir()),
                        new WgTunnel.Networks(null, config.ipv6().get().network()), nl, statsNl, wg, options, privateKey,
                        options.listenPortV6(), mtu);
                tunnel6.make();
            }
        } catch (NetlinkException e) {
            close();
            throw new BackendException("cannot set up the WireGuard device" + (tunnel6 == null ? " " + WireguardDevice.NAME : "s")
                    + ": " + e.getMessage(), e);
        } catch (BackendException e) {
            close();
            throw e;
        }
        LOG.info("wireguard: {} ({}), public key {}, listening on UDP {}{}, MTU {}{}{}", tunnel6 == null
                ? WireguardDevice.NAME + (oneDevice ? " for IPv4 and IPv6 (Mode " + options.mode().flannelName() + ")" : "")
                : tunnel == null ? WireguardDevice.NAME_V6 + " alone (IPv6 only)" : WireguardDevice.NAME + " and " + WireguardDevice.NAME_V6,
                tunnels().get(0).implementation().orElseThrow(), publicKey,
                tunnel == null ? options.listenPortV6() : options.listenPort(), tunnel6 == null || tunnel == null ? "" : " and " + options.listenPortV6(), mtu,
                options.psk().isPresent() ? ", with a preshared key" : "",
                options.persistentKeepalive().isZero() ? "" : ", keepalive " + options.persistentKeepalive().toSeconds() + " s");
        metrics = context.metrics().registerBackend("wireguard", this::deviceStats);
        peerMetrics = context.metrics().registerTunnelPeers("wireguard", this::peerStats);
        return reg;
    }

    private List<WgTunnel> tunnels() {
        List<WgTunnel> all = new ArrayList<>(2);
        if (tunnel != null) {
            all.add(tunnel);
        }
        if (tunnel6 != null) {
            all.add(tunnel6);
        }
        return all;
    }

    @Override
    public void leaseAcquired(Lease own) {
        Ip6Net own6v = oneDevice ? own.ipv6Subnet().orElseThrow(() -> new BackendException("EnableIPv6 is set but this host's lease "
                + own.keyName() + " has no IPv6 subnet")) : null;
        try {
            if (tunnel != null) { // none IPv6-only
                tunnel.leaseAcquired(own.subnet(), own6v);
            }
        } catch (NetlinkException e) {
            throw new BackendException("cannot give " + WireguardDevice.NAME + " its address" + (oneDevice ? "es and routes" : " and route")
                    + ": " + e.getMessage(), e);
        }
        if (tunnel6 != null) {
            Ip6Net own6 = own.ipv6Subnet().orElseThrow(() -> new BackendException("EnableIPv6 is set but this host's lease "
                    + own.keyName() + " has no IPv6 subnet"));
            try {
                tunnel6.leaseAcquired(null, own6);
            } catch (NetlinkException e) {
                throw new BackendException("cannot give " + WireguardDevice.NAME_V6 + " its address " + own6.firstHostCidr()
                        + " and route: " + e.getMessage(), e);
            }
        }
    }

    private OptionalInt listenPortV6() {
        return tunnel6 == null && !oneDevice ? OptionalInt.empty() : OptionalInt.of(options.listenPortV6());
    }

    @Override
    public Optional<PeerRejection> checkPeer(Lease peer) {
        Optional<PeerRejection> bad = WgLeases.check(peer, options.listenPort(), listenPortV6(), publicKey);
        if (bad.isEmpty() && oneDevice && options.mode() == WireguardOptions.Mode.IPV6 && peer.ipv6Subnet().isEmpty()) {
            return Optional.of(new PeerRejection(PeerRejection.Reason.BAD_PUBLIC_IP,
                    "Mode ipv6 reaches peers at their PublicIPv6, and this lease has no IPv6 half"));
        }
        return bad;
    }

    @Override
    public List<PeerClaim> claims(Lease peer) {
        return WgLeases.claims(peer, options.listenPort(), listenPortV6());
    }

    @Override
    public boolean ownsRoute(Route route) {
        for (WgTunnel t : tunnels()) {
            Link l = t.link();
            if (l != null && route.outputIndex() == l.index()) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void handle(List<LeaseEvent> batch) {
        boolean each = batch.size() <= LOG_EACH_PEER_UP_TO;
        for (LeaseEvent e : batch) {
            LeaseId subnet = e.lease().id();
            if (e instanceof LeaseEvent.Removed) {
                for (WgTunnel t : tunnels()) {
                    WgPeer gone = t.peers().remove(subnet);
                    if (gone != null && each) {
                        LOG.info("peer removed from {}: {} ({} at {})", t.name(), gone.allowedIps(), gone.publicKey(), gone.endpoint());
                    }
                }
                continue;
            }
            Optional<PeerRejection> bad = checkPeer(e.lease());
            if (bad.isPresent()) {
                LOG.warn("ignoring the lease of {} at {}: {}", e.lease().keyName(), e.lease().isIpv6Only()
                        ? e.lease().attrs().publicIpv6().orElse("?") : e.lease().attrs().publicIp(), bad.get());
                tunnels().forEach(t -> t.peers().remove(subnet));
                continue;
            }
            if (tunnel != null) {
                put(tunnel, subnet, Optional.of(oneDevice
                    ? WgLeases.parseOneDevice(e.lease(), options.mode(), options.listenPort(), options.listenPortV6(), context.publicIpv6())
                    : WgLeases.parse(e.lease(), options.listenPort())), each);
            }
            if (tunnel6 != null) {
                // an IPv4-only lease in a dual-stack network: only its IPv4 half, as flannel does
                put(tunnel6, subnet, WgLeases.parse6(e.lease(), options.listenPortV6()), each);
            }
        }
        if (!each) {
            LOG.info("applied {} peer events; {} peers{}", batch.size(), tunnels().get(0).peers().size(),
                    tunnel6 == null || tunnel == null ? "" : ", " + tunnel6.peers().size() + " of them with IPv6");
        }
        tunnels().forEach(WgTunnel::sync);
    }

    private static void put(WgTunnel t, LeaseId subnet, Optional<WgPeer> p, boolean log) {
        if (p.isEmpty()) {
            WgPeer gone = t.peers().remove(subnet);
            if (gone != null && log) {
                LOG.info("peer removed from {}: {} ({} at {})", t.name(), gone.allowedIps(), gone.publicKey(), gone.endpoint());
            }
            return;
        }
        WgPeer before = t.peers().put(subnet, p.get());
        if (log && !p.get().equals(before)) {
            LOG.info("peer {} on {}: {} ({} at {})", before == null ? "added" : "changed", t.name(), p.get().allowedIps(),
                    p.get().publicKey(), p.get().endpoint());
        }
    }

    /**
     * Repairs what changed underneath, device by device: a deleted device (or a wireguard-go that
     * died) is made again with everything on it; a missing route or address is put back; peers that
     * differ from the leases (removed or changed with {@code wg set}) are set again.
     */
    @Override
    public void recheck() {
        for (WgTunnel t : tunnels()) {
            try {
                t.recheck();
            } catch (NetlinkException | BackendException e) {
                LOG.error("cannot check the WireGuard device {}: {}", t.name(), e.getMessage());
            }
        }
    }

    /** The devices' counters: what crossed the tunnels (inner packets), all peers and both families together. */
    private BackendStats deviceStats() {
        List<LinkStats> all = new ArrayList<>(2);
        for (WgTunnel t : tunnels()) {
            LinkStats s = t.stats();
            if (s != null) {
                all.add(s);
            }
        }
        return all.isEmpty() ? null : WgTunnel.sum(all);
    }

    /** Per peer and device, from {@code wg show dump}: latest handshake and bytes, read at every scrape. */
    private List<TunnelPeerStats> peerStats() {
        List<TunnelPeerStats> out = new ArrayList<>();
        tunnels().forEach(t -> out.addAll(t.peerStats()));
        return out;
    }

    /**
     * Unlike vxlan and host-gw, nothing stays: the devices go (flannel deletes them too) and with
     * them their routes; wireguard-go is ended by its PID. The key file stays, so a restart
     * publishes the same public key and peers reconnect as soon as the devices are back.
     */
    @Override
    public void close() {
        BackendResources.closeOpened(metrics, peerMetrics);
        for (WgTunnel t : tunnels()) {
            try {
                t.remove();
                LOG.info("wireguard backend stopped: {} removed", t.name());
            } catch (RuntimeException e) {
                LOG.warn("cannot remove {}: {}", t.name(), e.getMessage());
            }
        }
        BackendResources.closeOpened(statsNl, nl);
    }

}
