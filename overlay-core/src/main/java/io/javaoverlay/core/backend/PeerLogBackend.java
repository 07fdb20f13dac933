package io.javaoverlay.core.backend;

import java.util.List;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.javaoverlay.core.config.BackendType;
import io.javaoverlay.core.config.NetworkConfig;
import io.javaoverlay.core.lease.Lease;
import io.javaoverlay.core.lease.LeaseEvent;

/**
 * The control-plane-only backend: it publishes exactly what flannel's backend of the configured
 * type would (so flanneld peers see a normal lease, and a vxlan host gets its persistent
 * VtepMAC), gives subnet.env flannel's MTU, and logs every peer event, but programs no data
 * path: no device, no route, no traffic. It serves {@code --no-data-path} for every type, and
 * says so once, at WARN, when it starts.
 */
public final class PeerLogBackend implements Backend {

    private static final Logger LOG = LoggerFactory.getLogger(PeerLogBackend.class);

    private final BackendType type;
    private final BackendContext context;
    private int peers;

    public PeerLogBackend(BackendType type, BackendContext context) {
        this.type = type;
        this.context = context;
    }

    @Override
    public Registration register(NetworkConfig config) {
        LOG.warn("no data path for backend type {} (--no-data-path): this agent runs the control plane only "
                + "(lease, subnet.env, peer events) and forwards no traffic", type);
        // wireguard: flannel's key file, so the public key published now is the one a later data-path run uses
        Registration r = config.enableIPv4() || type != BackendType.HOST_GW
                ? FlannelLeaseShapes.forType(type, config.backend(), context.external(), new VtepMacStore(context.dataDir()),
                        WireguardKeyStore.fromEnvironment(System.getenv()))
                : new Registration(Optional.of(type.flannelName()), Optional.empty(), context.external().mtu());
        if (!config.enableIPv4()) { // IPv6-only: no BackendData, as the data-path backends publish it
            r = new Registration(r.backendType(), Optional.empty(), r.mtu());
        }
        if (type == BackendType.VXLAN && config.ipv6().isPresent()) {
            // the IPv6 device's MAC, kept where a later data-path run finds it, in BackendV6Data as flannel publishes it
            r = r.withV6Data(FlannelLeaseShapes.vxlanV6Data(config.backend(),
                    VtepMacStore.ipv6(context.dataDir()).macFor(config.backend().vni().orElse(FlannelLeaseShapes.DEFAULT_VNI))));
        }
        if (type == BackendType.WIREGUARD && config.ipv6().isPresent()) {
            // the same key, with flannel-wg-v6's port, as the data path publishes it
            r = r.withV6Data(FlannelLeaseShapes.wireguardV6Data(config.backend().wireguard(),
                    WireguardKeyStore.fromEnvironment(System.getenv()).privateKey().publicKey()));
        }
        LOG.info("backend {}: publishing {} with MTU {}", type, r.backendData().map(Object::toString).orElse("no BackendData"), r.mtu());
        return r;
    }

    @Override
    public void leaseAcquired(Lease own) {
        LOG.info("backend {}: own subnet {}", type, own.id());
    }

    @Override
    public void handle(List<LeaseEvent> batch) {
        for (LeaseEvent e : batch) {
            if (e instanceof LeaseEvent.Added a) {
                peers++;
                LOG.info("peer added: {} at {}{}", a.lease().id(), at(a.lease()), data(a.lease()));
            } else if (e instanceof LeaseEvent.Changed c) {
                LOG.info("peer changed: {} at {}{} (was {}{})", c.lease().id(), at(c.lease()), data(c.lease()),
                        at(c.previous()), data(c.previous()));
            } else if (e instanceof LeaseEvent.Removed r) {
                peers--;
                LOG.info("peer removed: {} at {}", r.lease().id(), at(r.lease()));
            }
        }
        LOG.debug("backend {}: {} peers after a batch of {}", type, peers, batch.size());
    }

    private static String data(Lease l) {
        return (l.isIpv6Only() ? l.attrs().backendV6Data() : l.attrs().backendData()).map(d -> " " + d).orElse("");
    }

    /** Where a peer is reached: its PublicIP, an IPv6-only peer's PublicIPv6. */
    private static String at(Lease l) {
        return l.isIpv6Only() ? l.attrs().publicIpv6().orElse("?") : l.attrs().publicIp().toString();
    }

    @Override
    public void close() {
        LOG.info("backend {} stopped", type);
    }
}
