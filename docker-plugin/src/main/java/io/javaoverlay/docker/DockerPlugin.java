package io.javaoverlay.docker;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;
import java.nio.file.Path;
import java.time.Duration;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.javaoverlay.core.host.HostDefaults;
import io.javaoverlay.core.lease.EtcdLeaseStore;
import io.javaoverlay.core.metrics.OverlayMetrics;
import io.javaoverlay.docker.names.ContainerNames;
import io.javaoverlay.docker.names.DnsServer;
import io.javaoverlay.docker.names.DockerApi;
import io.javaoverlay.docker.names.NameKeys;
import io.javaoverlay.docker.names.NameSettings;
import io.javaoverlay.docker.names.NameTable;
import org.xbill.DNS.ResolverConfig;
import io.javaoverlay.core.firewall.Iptables;
import io.javaoverlay.core.host.BridgeFirewall;
import io.javaoverlay.core.host.IptablesBridgeFirewall;
import io.javaoverlay.core.ipam.DiskStore;
import io.javaoverlay.core.ipam.Store;
import io.javaoverlay.docker.driver.NetworkDriver;
import io.javaoverlay.core.host.HostAttachment;
import io.javaoverlay.core.host.NetlinkHostAttachment;
import io.javaoverlay.core.netlink.NetlinkSocket;
import io.javaoverlay.docker.host.HostPorts;
import io.javaoverlay.docker.host.LocalPorts;
import io.javaoverlay.docker.host.IptablesPublishedPorts;
import io.javaoverlay.docker.host.PublishedPorts;
import io.javaoverlay.docker.ipam.IpamDriver;
import io.javaoverlay.docker.server.Json;
import io.javaoverlay.docker.server.PluginRoutes;
import io.javaoverlay.docker.server.PluginServer;
import io.javaoverlay.docker.server.RpcHandler;
import io.javaoverlay.docker.state.StateStore;

/**
 * The Docker plugin, assembled: state from disk, reconcile with the host, then the socket.
 * Runs in the host's network namespace (the bridge and the veths are created where the
 * plugin runs, and dockerd must see them there to move them into containers).
 */
public final class DockerPlugin implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DockerPlugin.class);

    private final PluginServer server;
    private final AutoCloseable hostHandle;
    private final ContainerNames names;

    private DockerPlugin(PluginServer server, AutoCloseable hostHandle, ContainerNames names) {
        this.server = server;
        this.hostHandle = hostHandle;
        this.names = names;
    }

    /**
     * Where the plugin keeps and finds things.
     *
     * @param socket     the plugin socket dockerd discovers ({@code --plugin-socket})
     * @param dataDir    networks and endpoints ({@code --docker-data-dir})
     * @param ipamDir    the address reservations shared with the CNI plugin ({@code --ipam-dir})
     * @param subnetFile the agent's subnet.env ({@code --subnet-file})
     * @param bridge     the host bridge, shared with the CNI plugin ({@code --bridge})
     * @param leaseWait  how long a call that needs this host's lease waits for the agent to get one
     */
    public record Settings(Path socket, Path dataDir, Path ipamDir, Path subnetFile, String bridge, Duration leaseWait) {

        public static final Path DEFAULT_SOCKET = Path.of("/run/docker/plugins/javaoverlay.sock");
        public static final Path DEFAULT_DATA_DIR = Path.of(HostDefaults.DOCKER_STATE_DIR);
        /** The CNI plugin's default {@code dataDir}: both faces must reserve in one place. */
        public static final Path DEFAULT_IPAM_DIR = Path.of(HostDefaults.IPAM_DIR);
        /** The CNI plugin's default {@code bridge} (flannel's): the gateway address lives on one bridge. */
        public static final String DEFAULT_BRIDGE = HostDefaults.BRIDGE;

        /**
         * Up to 30 s: long enough for an agent started with the plugin to reach etcd and lease a
         * subnet (about a second when etcd is up), short enough that {@code docker network create}
         * on a host whose agent cannot get a lease fails while the user is still watching.
         */
        public static final Duration DEFAULT_LEASE_WAIT = Duration.ofSeconds(30);

        public Settings {
            if (socket == null || dataDir == null || ipamDir == null || subnetFile == null || bridge == null || bridge.isEmpty()
                    || leaseWait == null) {
                throw new IllegalArgumentException("every plugin setting is required");
            }
            if (leaseWait.isNegative()) {
                throw new IllegalArgumentException("the lease wait must be zero or more, got " + leaseWait);
            }
        }

        public Settings(Path socket, Path dataDir, Path ipamDir, Path subnetFile, String bridge) {
            this(socket, dataDir, ipamDir, subnetFile, bridge, DEFAULT_LEASE_WAIT);
        }
    }

    /**
     * Starts the plugin on this host: netlink and iptables in the calling process's namespace. Its
     * calls are counted on {@code metrics}: the process's, which the agent running beside it serves.
     */
    public static DockerPlugin start(Settings settings, OverlayMetrics metrics) throws IOException {
        return start(settings, Optional.empty(), metrics);
    }

    /** Starts the plugin on this host, serving container names across hosts when {@code names} is given. */
    public static DockerPlugin start(Settings settings, Optional<NameSettings> names, OverlayMetrics metrics) throws IOException {
        // a socket of the calling thread's namespace: the plugin runs in the host's
        NetlinkHostAttachment host = new NetlinkHostAttachment(NetlinkSocket.open());
        try {
            Iptables iptables = Iptables.local();
            return start(settings, host, new IptablesBridgeFirewall(iptables), new IptablesPublishedPorts(iptables, settings.bridge()),
                    new LocalPorts(), host, names, metrics);
        } catch (IOException | RuntimeException e) {
            host.close();
            throw e;
        }
    }

    /**
     * Starts the plugin on the given host side (tests pass fakes here): the bridge and veths, the
     * bridge's forwarding, the published ports' rules, and the host's ports as {@code ports} tells them.
     */
    public static DockerPlugin start(Settings settings, HostAttachment host, BridgeFirewall firewall, PublishedPorts published,
            HostPorts ports, AutoCloseable hostHandle, OverlayMetrics metrics) throws IOException {
        return start(settings, host, firewall, published, ports, hostHandle, Optional.empty(), metrics);
    }

    private static DockerPlugin start(Settings settings, HostAttachment host, BridgeFirewall firewall, PublishedPorts published,
            HostPorts ports, AutoCloseable hostHandle, Optional<NameSettings> nameSettings, OverlayMetrics metrics) throws IOException {
        StateStore state = StateStore.open(settings.dataDir());
        HostLease lease = HostLease.fromFile(settings.subnetFile());
        Store addresses = DiskStore.open(settings.ipamDir());
        NetworkDriver network = new NetworkDriver(state, lease, host, firewall, published, ports, settings.bridge());
        network.reconcile();
        IpamDriver ipam = new IpamDriver(lease, addresses);
        ObjectMapper json = Json.mapper();
        PluginServer server = PluginServer.start(settings.socket(),
                new RpcHandler(json, PluginRoutes.of(network, ipam), lease, settings.leaseWait(), metrics), json);
        ContainerNames names = nameSettings.map(n -> startNames(n, state, lease, metrics)).orElse(null);
        LOG.info("javaoverlay Docker plugin ready: network and IPAM driver \"javaoverlay\" (subnet file {}, bridge {})",
                settings.subnetFile(), settings.bridge());
        // the relays on ::1 stop with the plugin (the rules stay for the running containers)
        AutoCloseable handle = () -> {
            published.close();
            hostHandle.close();
        };
        return new DockerPlugin(server, handle, names);
    }

    private static ContainerNames startNames(NameSettings n, StateStore state, HostLease lease, OverlayMetrics metrics) {
        List<InetSocketAddress> upstreams = n.upstreams().isEmpty() ? ResolverConfig.getCurrentConfig().servers() : n.upstreams();
        NameTable table = new NameTable();
        DnsServer dns = new DnsServer(table, upstreams, NameSettings.FORWARD_TIMEOUT, metrics);
        // only the bridge's gateway: containers reach it, the underlay does not (no open resolver)
        return new ContainerNames(EtcdLeaseStore.buildClient(n.etcd()), new NameKeys(n.etcd().prefix()), lease, state::endpoints,
                DockerApi.of(n.dockerHost()), table, dns,
                env -> new InetSocketAddress(env.gateway().ip().toInetAddress(), n.port()), n.period(), metrics).start();
    }

    public Path socket() {
        return server.socket();
    }

    @Override
    public void close() {
        server.close();
        if (names != null) {
            names.close();
        }
        try {
            hostHandle.close();
        } catch (Exception e) {
            LOG.warn("closing the netlink socket: {}", e.toString());
        }
    }
}
