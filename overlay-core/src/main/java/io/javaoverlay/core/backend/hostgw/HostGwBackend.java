package io.javaoverlay.core.backend.hostgw;

import java.io.UncheckedIOException;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.javaoverlay.core.backend.Backend;
import io.javaoverlay.core.backend.BackendContext;
import io.javaoverlay.core.backend.BackendException;
import io.javaoverlay.core.backend.BackendFactory;
import io.javaoverlay.core.backend.BackendResources;
import io.javaoverlay.core.backend.FlannelLeaseShapes;
import io.javaoverlay.core.backend.HostNetworking;
import io.javaoverlay.core.backend.KernelTables;
import io.javaoverlay.core.backend.PeerReconciler;
import io.javaoverlay.core.backend.PeerRejection;
import io.javaoverlay.core.backend.Registration;
import io.javaoverlay.core.config.BackendType;
import io.javaoverlay.core.config.Ipv6Config;
import io.javaoverlay.core.config.NetworkConfig;
import io.javaoverlay.core.firewall.Iptables;
import io.javaoverlay.core.firewall.IptablesException;
import io.javaoverlay.core.lease.Lease;
import io.javaoverlay.core.lease.LeaseEvent;
import io.javaoverlay.core.metrics.OverlayMetrics;
import io.javaoverlay.core.netlink.KernelChanges;
import io.javaoverlay.core.netlink.NetlinkException;
import io.javaoverlay.core.netlink.NetlinkSocket;

/**
 * flannel's host-gw backend: see the package notes.
 */
public final class HostGwBackend implements Backend {

    private static final Logger LOG = LoggerFactory.getLogger(HostGwBackend.class);

    private final BackendContext context;
    private NetlinkSocket nl;
    private NetworkConfig config;
    private Lease own;
    /** Every peer's route: what the leases ask for, what is programmed, what failed. */
    private PeerReconciler<HostGwRoutes.Peer> peers;
    /** The peers' IPv6 routes, with IPv6 enabled; else null. */
    private PeerReconciler<HostGw6Routes.Peer> peers6;
    /** Counts traffic to and from peers; null when iptables is not usable here (the routes work without it). */
    private HostGwAccounting accounting;
    private OverlayMetrics.BackendRegistration metrics;

    public HostGwBackend(BackendType type, BackendContext context) {
        BackendFactory.requireType(type, BackendType.HOST_GW, HostGwBackend.class);
        this.context = context;
    }

    @Override
    public Registration register(NetworkConfig config) {
        this.config = config;
        // refuses NAT: the public IP must be ours; IPv6-only (EnableIPv4 false), as flannel: no IPv4 route at all
        Registration reg = config.enableIPv4() ? FlannelLeaseShapes.hostGw(context.external())
                : new Registration(Optional.of(BackendType.HOST_GW.flannelName()), Optional.empty(), context.external().mtu());
        try {
            nl = NetlinkSocket.open();
            HostNetworking.enableForwarding(config);
            if (config.enableIPv4()) {
                peers = new PeerReconciler<>(new HostGwRoutes(KernelTables.of(nl), context.external(), config,
                        () -> Optional.ofNullable(own).map(Lease::subnet)));
            }
            if (config.ipv6().isPresent()) {
                // dual-stack: the peers' IPv6 subnets via their PublicIPv6, beside the IPv4 routes
                peers6 = new PeerReconciler<>(new HostGw6Routes(KernelTables.of(nl), context.external(), config.ipv6().get(),
                        () -> Optional.ofNullable(own).flatMap(Lease::ipv6Subnet)));
            }
        } catch (NetlinkException e) {
            throw new BackendException("cannot prepare host-gw routing on " + context.external() + ": " + e.getMessage(), e);
        }
        startAccounting(config);
        return reg;
    }

    /** The traffic counters ({@link HostGwAccounting}); without iptables the backend runs, without them. */
    private void startAccounting(NetworkConfig config) {
        HostGwAccounting a = new HostGwAccounting(Iptables.local(), config.enableIPv4() ? Optional.of(config.network()) : Optional.empty(),
                config.ipv6().map(Ipv6Config::network), context.external().name());
        try {
            a.ensure();
        } catch (IptablesException | UncheckedIOException e) {
            LOG.warn("host-gw traffic will not show on /metrics: cannot install the accounting chains: {}", e.getMessage());
            return;
        }
        accounting = a;
        metrics = context.metrics().registerBackend("host-gw", a::read);
    }

    @Override
    public void leaseAcquired(Lease own) {
        this.own = own;
    }

    @Override
    public Optional<PeerRejection> checkPeer(Lease peer) {
        return HostGwRoutes.check(peer);
    }

    @Override
    public void handle(List<LeaseEvent> batch) {
        PeerReconciler.handleAll(batch, peers, peers6);
    }

    /** flannel checks its routes every 10 s; we restore any that went missing or changed, and retry failures. */
    @Override
    public void recheck() {
        if (nl == null) {
            return;
        }
        PeerReconciler.recheckAll(peers, peers6);
    }

    /** Routes to peers' subnets, through the external interface: no device of its own. */
    @Override
    public Optional<KernelChanges.Interest> kernelInterest() {
        if (config == null) {
            return Optional.empty();
        }
        return Optional.of(HostNetworking.interest(Set.of(), Set.of(context.external().name()), config));
    }

    @Override
    public boolean retryPending() {
        return PeerReconciler.anyFailed(peers, peers6);
    }

    @Override
    public void resyncRules() {
        if (accounting != null) {
            accounting.recheck();
        }
    }

    /** Routes stay: a restarted agent takes them over without a gap in traffic. */
    @Override
    public void close() {
        BackendResources.closeOpened(metrics, nl);
        LOG.info("host-gw backend stopped; the routes to {} peers stay for the next run",
                PeerReconciler.programmedPeers(peers, peers6));
    }
}
