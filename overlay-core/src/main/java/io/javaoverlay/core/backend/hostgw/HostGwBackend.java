package io.javaoverlay.core.backend.hostgw;

import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.javaoverlay.core.backend.Backend;
import io.javaoverlay.core.backend.BackendContext;
import io.javaoverlay.core.backend.BackendException;
import io.javaoverlay.core.backend.FlannelLeaseShapes;
import io.javaoverlay.core.backend.HostNetworking;
import io.javaoverlay.core.backend.PeerRejection;
import io.javaoverlay.core.backend.Registration;
import io.javaoverlay.core.config.BackendType;
import io.javaoverlay.core.config.NetworkConfig;
import io.javaoverlay.core.firewall.Iptables;
import io.javaoverlay.core.firewall.IptablesException;
import io.javaoverlay.core.lease.Lease;
import io.javaoverlay.core.lease.LeaseEvent;
import io.javaoverlay.core.metrics.OverlayMetrics;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.netlink.NetlinkException;
import io.javaoverlay.core.netlink.NetlinkSocket;
import io.javaoverlay.core.netlink.Route;

/**
 * flannel's host-gw backend: see the package notes.
 */
public final class HostGwBackend implements Backend {

    private static final Logger LOG = LoggerFactory.getLogger(HostGwBackend.class);
    private static final int LOG_EACH_PEER_UP_TO = 20;

    private final BackendContext context;
    private NetlinkSocket nl;
    private NetworkConfig config;
    private Lease own;
    /** Every peer's subnet and its gateway (the peer's public IP). */
    private final Map<Ip4Net, Ip4> wanted = new HashMap<>();
    private final Set<Ip4Net> failed = new LinkedHashSet<>();
    private boolean staleCleaned;
    /** Counts traffic to and from peers; null when iptables is not usable here (the routes work without it). */
    private HostGwAccounting accounting;
    private OverlayMetrics.BackendRegistration metrics;

    public HostGwBackend(BackendType type, BackendContext context) {
        if (type != BackendType.HOST_GW) {
            throw new IllegalArgumentException("HostGwBackend runs Backend.Type host-gw, not " + type);
        }
        this.context = context;
    }

    @Override
    public Registration register(NetworkConfig config) {
        this.config = config;
        Registration reg = FlannelLeaseShapes.hostGw(context.external()); // refuses NAT: the public IP must be ours
        try {
            nl = NetlinkSocket.open();
            HostNetworking.enableForwarding();
        } catch (NetlinkException e) {
            throw new BackendException("cannot prepare host-gw routing on " + context.external() + ": " + e.getMessage(), e);
        }
        startAccounting(config);
        return reg;
    }

    /** The traffic counters ({@link HostGwAccounting}); without iptables the backend runs, without them. */
    private void startAccounting(NetworkConfig config) {
        HostGwAccounting a = new HostGwAccounting(Iptables.local(), config.network(), context.external().name());
        try {
            a.ensure();
        } catch (IptablesException | UncheckedIOException e) {
            LOG.warn("host-gw traffic will not show on /metrics: cannot install the accounting chains: {}", e.getMessage());
            return;
        }
        accounting = a;
        metrics = OverlayMetrics.registerBackend("host-gw", a::read);
    }

    @Override
    public void leaseAcquired(Lease own) {
        this.own = own;
    }

    @Override
    public Optional<PeerRejection> checkPeer(Lease peer) {
        Optional<String> type = peer.attrs().backendType();
        if (type.isEmpty() || !type.get().equals(BackendType.HOST_GW.flannelName())) {
            return Optional.of(new PeerRejection(PeerRejection.Reason.BACKEND_TYPE,
                    "its BackendType is " + type.map(t -> "\"" + t + "\"").orElse("missing") + ", not \"host-gw\""));
        }
        return Optional.empty();
    }

    @Override
    public void handle(List<LeaseEvent> batch) {
        boolean each = batch.size() <= LOG_EACH_PEER_UP_TO;
        for (LeaseEvent e : batch) {
            Lease l = e.lease();
            Ip4Net subnet = l.subnet();
            if (e instanceof LeaseEvent.Removed) {
                Ip4 gw = wanted.remove(subnet);
                failed.remove(subnet);
                if (gw != null) {
                    delete(subnet, gw);
                    if (each) {
                        LOG.info("peer removed: {} via {}", subnet, gw);
                    }
                }
                continue;
            }
            Optional<PeerRejection> bad = checkPeer(l);
            if (bad.isPresent()) {
                LOG.warn("ignoring the lease of {} at {}: {}", subnet, l.attrs().publicIp(), bad.get());
                Ip4 gw = wanted.remove(subnet);
                if (gw != null) {
                    delete(subnet, gw);
                }
                continue;
            }
            Ip4 gw = l.attrs().publicIp();
            Ip4 before = wanted.put(subnet, gw);
            if (each) {
                LOG.info("peer {}: {} via {}", before == null ? "added" : "changed", subnet, gw);
            }
            add(subnet, gw);
        }
        if (!each) {
            LOG.info("applied {} peer events; {} peers", batch.size(), wanted.size());
        }
        if (!staleCleaned) {
            staleCleaned = true;
            cleanUpStale();
        }
    }

    private Route route(Ip4Net subnet, Ip4 gw) {
        return Route.ip4(subnet).via(gw).device(context.external().index()).withProtocol(Route.PROTOCOL_JAVAOVERLAY);
    }

    private void add(Ip4Net subnet, Ip4 gw) {
        try {
            nl.routes().replace(route(subnet, gw));
            failed.remove(subnet);
        } catch (NetlinkException e) {
            if (failed.add(subnet)) {
                LOG.error("cannot route {} via {} on {}: {} (host-gw needs every host on one L2 segment: is {} directly "
                        + "reachable from {}?); retrying every recheck", subnet, gw, context.external().name(), e.getMessage(), gw,
                        context.external().name());
            }
        }
    }

    private void delete(Ip4Net subnet, Ip4 gw) {
        try {
            nl.routes().delete(route(subnet, gw));
        } catch (NetlinkException.NotFound e) {
            // gone already
        } catch (NetlinkException e) {
            LOG.warn("cannot delete the route to {} via {}: {}", subnet, gw, e.getMessage());
        }
    }

    /**
     * Routes into the overlay network through the external interface, with javaoverlay's mark,
     * that no current lease explains. Unmarked routes (an operator's, or flanneld's before a
     * switch to javaoverlay) are left alone: a route of a current peer is taken over (replaced
     * with the mark) when it is programmed, and any other stays until someone deletes it.
     */
    private void cleanUpStale() {
        try {
            for (Route r : nl.routes().listIp4()) {
                if (isOurs(r)) {
                    Ip4Net dst = r.ip4Destination();
                    if (!wanted.containsKey(dst)) {
                        delete(dst, r.ip4Gateway());
                        LOG.info("removed stale route {} (no lease for {} any more)", r, dst);
                    }
                }
            }
        } catch (NetlinkException e) {
            LOG.warn("cannot clean up routes from an earlier run: {}", e.getMessage());
        }
    }

    private boolean isOurs(Route r) {
        if (r.isDefault() || r.ip4Gateway() == null || r.outputIndex() != context.external().index()
                || r.protocol() != Route.PROTOCOL_JAVAOVERLAY) {
            return false;
        }
        Ip4Net dst = r.ip4Destination();
        return dst.prefixLength() == config.subnetLen() && config.network().contains(dst)
                && (own == null || !own.subnet().equals(dst));
    }

    /** flannel checks its routes every 10 s; we restore any that went missing or changed, and retry failures. */
    @Override
    public void recheck() {
        if (nl == null) {
            return;
        }
        try {
            Map<Ip4Net, Ip4> present = new HashMap<>();
            for (Route r : nl.routes().listIp4()) {
                if (isOurs(r)) {
                    present.put(r.ip4Destination(), r.ip4Gateway());
                }
            }
            for (Map.Entry<Ip4Net, Ip4> w : wanted.entrySet()) {
                if (!w.getValue().equals(present.get(w.getKey())) && !failed.contains(w.getKey())) {
                    LOG.warn("the route to {} via {} is missing; restoring it", w.getKey(), w.getValue());
                    add(w.getKey(), w.getValue());
                }
            }
        } catch (NetlinkException e) {
            LOG.error("cannot check the host-gw routes: {}", e.getMessage());
        }
        for (Ip4Net subnet : new ArrayList<>(failed)) {
            Ip4 gw = wanted.get(subnet);
            if (gw == null) {
                failed.remove(subnet);
            } else {
                add(subnet, gw);
            }
        }
        if (accounting != null) {
            accounting.recheck();
        }
    }

    /** Routes stay: a restarted agent takes them over without a gap in traffic. */
    @Override
    public void close() {
        if (metrics != null) {
            metrics.close();
        }
        if (nl != null) {
            nl.close();
        }
        LOG.info("host-gw backend stopped; the routes to {} peers stay for the next run", wanted.size());
    }
}
