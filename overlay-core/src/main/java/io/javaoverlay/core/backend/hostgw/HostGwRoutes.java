package io.javaoverlay.core.backend.hostgw;

import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.javaoverlay.core.backend.ExternalInterface;
import io.javaoverlay.core.backend.KernelTables;
import io.javaoverlay.core.backend.PeerRejection;
import io.javaoverlay.core.config.BackendType;
import io.javaoverlay.core.config.NetworkConfig;
import io.javaoverlay.core.lease.Lease;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.netlink.Route;

/** host-gw's path to a peer: {@code <peer subnet> via <peer public IP> dev <external> proto 74}. */
final class HostGwRoutes extends HostGwPaths<Ip4Net, HostGwRoutes.Peer> {

    private static final Logger LOG = LoggerFactory.getLogger(HostGwRoutes.class);

    /** One peer: its subnet and its gateway, the peer's public IP. */
    record Peer(Ip4Net subnet, Ip4 gateway) implements HostGwPaths.Via<Ip4Net> {
        @Override
        public String toString() {
            return subnet + " via " + gateway;
        }
    }

    private final NetworkConfig config;

    HostGwRoutes(KernelTables kernel, ExternalInterface external, NetworkConfig config, Supplier<Optional<Ip4Net>> own) {
        super(kernel, external, "", own);
        this.config = config;
    }

    /** The lease's BackendType must be host-gw: a route via a VXLAN host's public IP would blackhole its subnet. */
    static Optional<PeerRejection> check(Lease peer) {
        Optional<String> type = peer.attrs().backendType();
        if (type.isEmpty() || !type.get().equals(BackendType.HOST_GW.flannelName())) {
            return Optional.of(new PeerRejection(PeerRejection.Reason.BACKEND_TYPE,
                    "its BackendType is " + type.map(t -> "\"" + t + "\"").orElse("missing") + ", not \"host-gw\""));
        }
        return Optional.empty();
    }

    @Override
    public Optional<Peer> path(Lease lease) {
        Optional<PeerRejection> bad = check(lease);
        if (bad.isPresent()) {
            LOG.warn("ignoring the lease of {} at {}: {}", lease.id(), lease.attrs().publicIp(), bad.get());
            return Optional.empty();
        }
        return Optional.of(new Peer(lease.subnet(), lease.attrs().publicIp()));
    }

    @Override
    Route target(Peer peer) {
        return Route.ip4(peer.subnet()).via(peer.gateway());
    }

    @Override
    List<Route> routes(KernelTables kernel) {
        return kernel.routes();
    }

    @Override
    Optional<Peer> ours(Route r) {
        if (r.isDefault() || r.ip4Gateway() == null || r.outputIndex() != external.index()
                || r.protocol() != Route.PROTOCOL_JAVAOVERLAY) {
            return Optional.empty();
        }
        Ip4Net dst = r.ip4Destination();
        boolean mine = dst.prefixLength() == config.subnetLen() && config.network().contains(dst)
                && !own.get().map(dst::equals).orElse(false);
        return mine ? Optional.of(new Peer(dst, r.ip4Gateway())) : Optional.empty();
    }

    @Override
    public String hint(Peer peer) {
        return " (host-gw needs every host on one L2 segment: is " + peer.gateway() + " directly reachable from "
                + external.name() + "?)";
    }
}
