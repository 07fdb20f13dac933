package io.javaoverlay.docker.driver;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.javaoverlay.core.config.SubnetEnv;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.Ip6Host;
import io.javaoverlay.core.net.Ip6Net;
import io.javaoverlay.core.net.MacAddress;
import io.javaoverlay.docker.DockerInput;
import io.javaoverlay.docker.HostLease;
import io.javaoverlay.docker.PluginException;
import io.javaoverlay.docker.api.NetworkDriverMessages.AllocateNetworkRequest;
import io.javaoverlay.docker.api.NetworkDriverMessages.AllocateNetworkResponse;
import io.javaoverlay.docker.api.NetworkDriverMessages.Capabilities;
import io.javaoverlay.docker.api.NetworkDriverMessages.CreateEndpointRequest;
import io.javaoverlay.docker.api.NetworkDriverMessages.CreateEndpointResponse;
import io.javaoverlay.docker.api.NetworkDriverMessages.CreateNetworkRequest;
import io.javaoverlay.docker.api.NetworkDriverMessages.EndpointInterface;
import io.javaoverlay.docker.api.NetworkDriverMessages.EndpointOperInfoResponse;
import io.javaoverlay.docker.api.NetworkDriverMessages.EndpointRequest;
import io.javaoverlay.docker.api.NetworkDriverMessages.IpamData;
import io.javaoverlay.docker.api.NetworkDriverMessages.InterfaceName;
import io.javaoverlay.docker.api.NetworkDriverMessages.JoinRequest;
import io.javaoverlay.docker.api.NetworkDriverMessages.JoinResponse;
import io.javaoverlay.docker.api.NetworkDriverMessages.NetworkRequest;
import io.javaoverlay.docker.api.NetworkDriverMessages.ProgramExternalConnectivityRequest;
import io.javaoverlay.docker.api.NetworkDriverMessages.StaticRoute;
import io.javaoverlay.docker.api.PluginMessages.Empty;
import io.javaoverlay.core.host.BridgeFirewall;
import io.javaoverlay.core.host.HostAttachment;
import io.javaoverlay.docker.host.HostPorts;
import io.javaoverlay.docker.host.LoopbackRelays;
import io.javaoverlay.docker.host.PublishedPorts;
import io.javaoverlay.docker.ipam.IpamDriver;
import io.javaoverlay.docker.state.EndpointState;
import io.javaoverlay.docker.state.NetworkState;
import io.javaoverlay.docker.state.PortMapping;
import io.javaoverlay.docker.state.StateStore;
import io.javaoverlay.docker.state.VethNames;

/**
 * libnetwork's remote network driver: containers on a javaoverlay network hang off one host
 * bridge that holds the lease's gateway address, each through a veth pair, and reach the rest
 * of the overlay through the host's routes to the other hosts' subnets.
 *
 * <p>Every call is idempotent where dockerd may repeat it, and a call for an ID the plugin
 * does not know says what to do instead of failing obscurely. Deleting what is already gone
 * succeeds: dockerd cleans up after crashes by deleting, and must not be stopped by it.
 */
public final class NetworkDriver {

    private static final Logger LOG = LoggerFactory.getLogger(NetworkDriver.class);

    /** dockerd renames the container end to eth0, eth1, ... */
    static final String INTERFACE_PREFIX = "eth";
    /** The smallest MTU IPv4 allows. */
    static final int MIN_MTU = 68;

    private final StateStore state;
    private final HostLease lease;
    private final HostAttachment host;
    private final BridgeFirewall firewall;
    private final PublishedPorts published;
    private final HostPorts ports;
    private final String bridge;

    public NetworkDriver(StateStore state, HostLease lease, HostAttachment host, BridgeFirewall firewall, PublishedPorts published,
            HostPorts ports, String bridge) {
        this.state = state;
        this.lease = lease;
        this.host = host;
        this.firewall = firewall;
        this.published = published;
        this.ports = ports;
        this.bridge = bridge;
    }

    /**
     * Makes the host match the state on disk; the plugin calls it once, when it starts. dockerd
     * replays nothing: it does not call CreateNetwork again after a restart, and after
     * {@code kill -9} of dockerd (or of a container's whole sandbox) no Leave arrives. So:
     *
     * <ul>
     * <li>every network's bridge exists with its gateway (a host reboot removes it);
     * <li>a joined endpoint whose host veth is gone lost its container (the kernel deletes both
     *     ends with the namespace): it is marked left and its published ports are dropped;
     * <li>veths of ours that no joined endpoint owns (a Join whose reply never reached dockerd, a
     *     plugin killed between steps) are deleted;
     * <li>endpoints of networks that no longer exist are forgotten;
     * <li>the forward rules and the DNAT chain are rebuilt from what remains.
     * </ul>
     *
     * Endpoints themselves are kept: dockerd deletes them (and releases their addresses) when it
     * cleans up, and those calls must then succeed.
     */
    public void reconcile() {
        Optional<SubnetEnv> env = lease.ifAny(
                e -> LOG.warn("no lease yet ({}); bridges are checked again when containers join", e.getMessage()));
        for (NetworkState n : state.networks()) {
            if (!n.bridge().equals(bridge)) {
                LOG.warn("network {} was created on bridge {}, the plugin now uses {}; its containers stay on {}",
                        shortId(n.id()), n.bridge(), bridge, n.bridge());
            }
            if (env.isPresent() && !env.get().lease().equals(n.pool())) {
                LOG.warn("network {} uses {} but this host's lease is now {}: new containers on it will be refused;"
                        + " remove it and create it again", shortId(n.id()), n.pool(), env.get().lease());
                continue;
            }
            // the overlay's MTU, as a CNI ADD sets it; the network's own while the agent has no lease
            host.ensureBridge(n.bridge(), n.gatewayAddress(), env.map(SubnetEnv::mtu).orElse(n.mtu()));
            if (n.ipv6()) {
                host.ensureBridge6(n.bridge(), n.gateway6());
            }
        }

        Set<String> ours = new HashSet<>();
        List<PublishedPorts.Published> toPublish = new ArrayList<>();
        List<PublishedPorts.Published6> toPublish6 = new ArrayList<>();
        List<LoopbackRelays.Relayed> toRelay = new ArrayList<>();
        for (EndpointState ep : state.endpoints()) {
            if (state.network(ep.networkId()).isEmpty()) {
                LOG.info("forgetting endpoint {} of deleted network {}", shortId(ep.id()),
                        shortId(ep.networkId()));
                state.deleteEndpoint(ep.id());
                continue;
            }
            if (ep.joined() && host.hostLink(ep.hostVeth()).isEmpty()) {
                LOG.info("endpoint {}: its container's namespace is gone ({} missing); marking it left",
                        shortId(ep.id()), ep.hostVeth());
                state.save(ep.left());
                continue;
            }
            if (ep.joined() && host.hostLink(ep.containerVeth()).isPresent()) {
                // dockerd never moved the container end into the sandbox: the join did not finish
                LOG.info("endpoint {}: its join never completed ({} still on the host); marking it left",
                        shortId(ep.id()), ep.containerVeth());
                host.deleteHostLink(ep.hostVeth());
                state.save(ep.left());
                continue;
            }
            if (ep.joined()) {
                ours.add(ep.hostVeth());
                ep.ports().stream().filter(PortMapping::onIpv4)
                        .forEach(m -> toPublish.add(new PublishedPorts.Published(ep.address().ip(), m, owner(ep))));
                relayedOnLoopback6(ep).forEach(m -> toRelay.add(
                        new LoopbackRelays.Relayed(relayTarget(ep), m, owner(ep))));
                publishedOnIpv6(ep).forEach(m -> toPublish6.add(
                        new PublishedPorts.Published6(ep.address6(), m, owner(ep))));
            }
        }

        for (String link : host.hostLinkNames()) {
            if (VethNames.looksOurs(link) && !ours.contains(link) && host.deleteHostLink(link)) {
                LOG.info("deleted stale veth {}", link);
            }
        }

        if (!state.networks().isEmpty()) {
            firewall.ensureForwarding(bridge);
            if (state.networks().stream().anyMatch(NetworkState::ipv6)) {
                firewall.ensureForwarding6(bridge);
            }
            published.ensureLoopback(bridge);
            published.syncPublished(toPublish);
            published.syncPublished6(toPublish6);
            published.syncLoopback6(toRelay);
        } else {
            // a plugin stopped between its last network's deletion and its cleanup
            published.removeAll();
            firewall.removeForwarding();
        }
        LOG.info("reconciled: {} networks, {} endpoints ({} joined), {} published ports ({} on IPv6)", state.networks().size(),
                state.endpoints().size(), ours.size(), toPublish.size(), toPublish6.size());
    }

    /**
     * Local scope: dockerd keeps the network in its own store and never asks swarm to agree.
     * Global connectivity: containers on different hosts reach each other (the agents do that
     * through etcd), which is what lets dockerd attach such a network to swarm services too.
     */
    public Capabilities capabilities() {
        return new Capabilities("local", "global");
    }

    public Empty createNetwork(CreateNetworkRequest req) {
        String id = id("NetworkID", req.networkId());
        if (req.ipv4Data() == null || req.ipv4Data().size() != 1) {
            throw new PluginException.Refused("a javaoverlay network has exactly one IPv4 pool (this host's subnet), got "
                    + (req.ipv4Data() == null ? 0 : req.ipv4Data().size()) + "; create it with --ipam-driver javaoverlay");
        }
        IpamData pool = req.ipv4Data().get(0);
        SubnetEnv env = lease.current();
        if (!IpamDriver.LOCAL_ADDRESS_SPACE.equals(pool.addressSpace()) && !IpamDriver.GLOBAL_ADDRESS_SPACE.equals(pool.addressSpace())) {
            throw new PluginException.Refused("the network's addresses do not come from javaoverlay's IPAM driver (address space \""
                    + pool.addressSpace() + "\"), so they could collide with other containers on the overlay; "
                    + "create it with: docker network create -d javaoverlay --ipam-driver javaoverlay NAME");
        }
        // ANY_POOL: the network was created without --subnet (see IpamDriver.ANY_POOL)
        Ip4Net subnet = IpamDriver.ANY_POOL.equals(pool.pool()) ? env.lease() : DockerInput.parsed("Pool", pool.pool(), Ip4Net::parse);
        if (!subnet.equals(env.lease())) {
            throw new PluginException.Refused("pool " + subnet + " is not this host's subnet " + env.lease()
                    + "; create the network with --ipam-driver javaoverlay and without --subnet");
        }
        if (pool.gateway() != null && !pool.gateway().isEmpty() && !DockerInput.parsed("Gateway", pool.gateway(), Ip4Net::parseHost).equals(env.gateway())) {
            throw new PluginException.Refused("gateway " + pool.gateway() + " is not the host bridge's address " + env.gateway()
                    + "; create the network without --gateway");
        }
        NetworkOptions options = NetworkOptions.parse(req.options());
        int mtu = options.mtu().orElse(env.mtu());
        if (mtu < MIN_MTU || mtu > env.mtu()) {
            throw new PluginException.Refused("MTU " + mtu + " is not possible on this overlay: it must be between " + MIN_MTU
                    + " and the overlay's MTU " + env.mtu() + " (FLANNEL_MTU)");
        }
        Ip6Host gateway6 = ipv6Gateway(req, env);
        requireNoOtherNetwork(id);
        NetworkState network = new NetworkState(id, subnet, env.gateway().ip(), env.network(), mtu, options.internal(), bridge,
                gateway6, gateway6 == null ? null : Ip6Net.parse(env.ipv6Network().orElseThrow()));
        host.ensureBridge(bridge, env.gateway(), env.mtu());
        if (gateway6 != null) {
            host.ensureBridge6(bridge, gateway6);
        }
        firewall.ensureForwarding(bridge);
        if (gateway6 != null) {
            firewall.ensureForwarding6(bridge);
        }
        published.ensureLoopback(bridge);
        state.save(network);
        LOG.info("network {} created: {} gateway {}{} mtu {}{}", shortId(id), subnet, network.gateway(),
                gateway6 == null ? "" : ", " + gateway6.network() + " gateway " + gateway6.ipText(), mtu,
                network.internal() ? " internal" : "");
        return new Empty();
    }

    /**
     * {@code --ipv6}: the one IPv6 pool must be this host's IPv6 subnet (javaoverlay's IPAM hands
     * it out), its gateway the subnet's first address; null without {@code --ipv6}.
     */
    private static Ip6Host ipv6Gateway(CreateNetworkRequest req, SubnetEnv env) {
        if (req.ipv6Data() == null || req.ipv6Data().isEmpty()) {
            return null;
        }
        if (env.ipv6Lease().isEmpty()) {
            throw new PluginException.Refused("this host has no IPv6 subnet: the agent runs without IPv6 (its subnet.env has"
                    + " no FLANNEL_IPV6_SUBNET). Enable it in the network config (\"EnableIPv6\": true, \"IPv6Network\": ...;"
                    + " docs/ipv6.md) or create the network without --ipv6");
        }
        Ip6Net lease6 = env.ipv6Lease().get();
        if (req.ipv6Data().size() != 1) {
            throw new PluginException.Refused("a javaoverlay --ipv6 network has exactly one IPv6 pool (this host's IPv6 subnet "
                    + lease6 + "), got " + req.ipv6Data().size());
        }
        IpamData pool = req.ipv6Data().get(0);
        Ip6Net subnet = DockerInput.parsed("IPv6Data Pool", pool.pool(), Ip6Net::parse);
        if (!subnet.equals(lease6)) {
            throw new PluginException.Refused("IPv6 pool " + subnet + " is not this host's IPv6 subnet " + lease6
                    + "; create the network with --ipam-driver javaoverlay and without an IPv6 --subnet");
        }
        Ip6Host gateway = new Ip6Host(lease6.address().add(java.math.BigInteger.ONE), lease6.prefixLength());
        if (pool.gateway() != null && !pool.gateway().isEmpty()) {
            Ip6Host given = DockerInput.parsed("IPv6Data Gateway", pool.gateway(), Ip6Host::parse);
            if (!given.equals(gateway)) {
                throw new PluginException.Refused("IPv6 gateway " + pool.gateway() + " is not the host bridge's address " + gateway
                        + "; create the network without an IPv6 --gateway");
            }
        }
        return gateway;
    }

    public Empty deleteNetwork(NetworkRequest req) {
        String id = id("NetworkID", req.networkId());
        if (state.network(id).isEmpty()) {
            LOG.info("delete of unknown network {}: nothing to do", shortId(id));
            return new Empty();
        }
        for (EndpointState ep : state.endpointsOf(id)) {
            LOG.warn("network {} deleted with endpoint {} still present; removing it", shortId(id), shortId(ep.id()));
            removeEndpoint(ep);
        }
        state.deleteNetwork(id);
        LOG.info("network {} deleted", shortId(id));
        if (state.networks().isEmpty()) {
            removeIdleHostSetup();
        }
        return new Empty();
    }

    public AllocateNetworkResponse allocateNetwork(AllocateNetworkRequest req) {
        // Only swarm managers call this; the network needs nothing cluster-wide from us (the
        // agents coordinate through etcd), so there is nothing to allocate or pass on.
        id("NetworkID", req.networkId());
        return new AllocateNetworkResponse(Map.of());
    }

    public Empty freeNetwork(NetworkRequest req) {
        id("NetworkID", req.networkId());
        return new Empty();
    }

    public CreateEndpointResponse createEndpoint(CreateEndpointRequest req) {
        NetworkState network = network(req.networkId());
        String id = id("EndpointID", req.endpointId());
        EndpointInterface iface = req.iface();
        if (iface == null || iface.address() == null || iface.address().isEmpty()) {
            throw new PluginException.Refused("endpoint " + shortId(id) + " has no IPv4 address; javaoverlay networks must use "
                    + "--ipam-driver javaoverlay");
        }
        Ip4Net.HostAddress address = DockerInput.parsed("Interface.Address", iface.address(), Ip4Net::parseHost);
        if (!network.pool().equals(address.network())) {
            throw new PluginException.Refused("address " + address + " is not in network " + shortId(network.id()) + "'s subnet "
                    + network.pool());
        }
        Ip6Host address6 = null;
        if (iface.addressIpv6() != null && !iface.addressIpv6().isEmpty()) {
            address6 = DockerInput.parsed("Interface.AddressIPv6", iface.addressIpv6(), Ip6Host::parse);
            if (!network.ipv6() || !network.gateway6().network().equals(address6.network())) {
                throw new PluginException.Refused("IPv6 address " + address6 + " is not in network " + shortId(network.id())
                        + "'s IPv6 subnet" + (network.ipv6() ? " " + network.gateway6().network() : " (it was created without --ipv6)"));
            }
        }
        boolean macGiven = iface.macAddress() != null && !iface.macAddress().isEmpty();
        MacAddress mac = macGiven ? mac(iface.macAddress()) : macFor(address.ip());
        requireCurrentLease(network);
        state.save(EndpointState.create(id, network.id(), address, address6, mac));
        LOG.info("endpoint {} created on {}: {}{} {}", shortId(id), shortId(network.id()), address,
                address6 == null ? "" : " " + address6, mac);
        // dockerd refuses a reply that repeats what it supplied; it may only add the MAC.
        return new CreateEndpointResponse(macGiven ? null : new EndpointInterface(null, null, mac.toString()));
    }

    public EndpointOperInfoResponse endpointOperInfo(EndpointRequest req) {
        EndpointState ep = endpoint(req);
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("HostInterface", ep.hostVeth());
        info.put("Bridge", bridge);
        info.put("Address", ep.address().toString());
        info.put("MacAddress", ep.mac().toString());
        if (ep.address6() != null) {
            info.put("AddressIPv6", ep.address6().toString());
        }
        if (!ep.ports().isEmpty()) {
            info.put("PublishedPorts", ep.ports().stream().map(PortMapping::toString).toList());
        }
        List<String> on6 = publishedPortsIpv6(ep);
        if (!on6.isEmpty()) {
            info.put("PublishedPortsIPv6", on6);
        }
        return new EndpointOperInfoResponse(info);
    }

    public Empty deleteEndpoint(EndpointRequest req) {
        id("NetworkID", req.networkId());
        String id = id("EndpointID", req.endpointId());
        state.endpoint(id).ifPresentOrElse(this::removeEndpoint,
                () -> LOG.info("delete of unknown endpoint {}: nothing to do", shortId(id)));
        return new Empty();
    }

    public JoinResponse join(JoinRequest req) {
        EndpointState ep = endpoint(new EndpointRequest(req.networkId(), req.endpointId()));
        NetworkState network = network(ep.networkId());
        String sandbox = DockerInput.sandboxKey(req.sandboxKey());
        SubnetEnv env = requireCurrentLease(network);
        requireOwnNames(ep);
        // The bridge may have gone (host reboot with our state on disk, someone deleted it).
        host.ensureBridge(bridge, network.gatewayAddress(), env.mtu());
        if (network.ipv6()) {
            host.ensureBridge6(bridge, network.gateway6());
        }
        // replaces a leftover of the same names: only this endpoint's (requireOwnNames)
        host.createDetachedVeth(bridge, ep.hostVeth(), ep.containerVeth(), ep.mac(), network.mtu());
        state.save(ep.joinedTo(sandbox));
        LOG.info("endpoint {} joined {} via {}", shortId(ep.id()), sandbox, ep.hostVeth());
        List<StaticRoute> routes = new ArrayList<>();
        routes.add(new StaticRoute(network.overlay().toString(), StaticRoute.NEXT_HOP, network.gateway().toString()));
        String gateway6 = null;
        if (network.ipv6()) {
            routes.add(new StaticRoute(network.overlay6().toString(), StaticRoute.NEXT_HOP, network.gateway6().ipText()));
            gateway6 = network.internal() ? null : network.gateway6().ipText();
        }
        String gateway = network.internal() ? null : network.gateway().toString();
        return new JoinResponse(new InterfaceName(ep.containerVeth(), INTERFACE_PREFIX), gateway, gateway6, routes,
                network.internal());
    }

    public Empty leave(EndpointRequest req) {
        id("NetworkID", req.networkId());
        String id = id("EndpointID", req.endpointId());
        state.endpoint(id).ifPresentOrElse(ep -> {
            unpublish(ep);
            host.deleteHostLink(ep.hostVeth());
            state.save(ep.left());
            LOG.info("endpoint {} left", shortId(id));
        }, () -> LOG.info("leave of unknown endpoint {}: nothing to do", shortId(id)));
        return new Empty();
    }

    public Empty programExternalConnectivity(ProgramExternalConnectivityRequest req) {
        EndpointState ep = endpoint(new EndpointRequest(req.networkId(), req.endpointId()));
        NetworkState network = network(ep.networkId());
        List<PortMaps.Requested> requested = PortMaps.parse(req.options());
        if (requested.isEmpty()) {
            return new Empty();
        }
        if (network.internal()) {
            throw new PluginException.Refused("ports cannot be published from an --internal network");
        }
        unpublish(ep);
        ep = state.endpoint(ep.id()).orElseThrow();
        List<PortMapping> taken = new ArrayList<>();
        for (EndpointState other : state.endpoints()) {
            if (!other.id().equals(ep.id())) {
                taken.addAll(other.ports());
            }
        }
        requireIpv6For(ep, network, requested);
        List<PortMapping> chosen = PortMaps.choose(requested, taken, ports);
        List<PortMapping> done = new ArrayList<>();
        List<PortMapping> done6 = new ArrayList<>();
        List<PortMapping> relayed = new ArrayList<>();
        EndpointState withPorts = ep.withPorts(chosen);
        try {
            for (PortMapping m : chosen) {
                if (m.onIpv4()) {
                    published.publish(ep.address().ip(), m, owner(ep));
                    done.add(m);
                }
            }
            for (PortMapping m : publishedOnIpv6(withPorts)) {
                published.publish6(ep.address6(), m, owner(ep));
                done6.add(m);
            }
            for (PortMapping m : chosen) {
                if (m.onLoopback6()) {
                    published.relayLoopback6(relayTarget(ep), m, owner(ep));
                    relayed.add(m);
                }
            }
        } catch (RuntimeException e) {
            // nothing of this request stays: a taken port on ::1 leaves no rule behind
            for (PortMapping m : relayed) {
                published.unrelayLoopback6(m);
            }
            for (PortMapping m : done) {
                published.unpublish(ep.address().ip(), m, owner(ep));
            }
            for (PortMapping m : done6) {
                published.unpublish6(ep.address6(), m, owner(ep));
            }
            throw e;
        }
        state.save(withPorts);
        // dockerd cannot show them (docs/docker.md): the log and EndpointOperInfo are where they are told
        LOG.info("endpoint {} ({}) publishes {}", shortId(ep.id()), ep.address().ip(), chosen);
        return new Empty();
    }

    public Empty revokeExternalConnectivity(EndpointRequest req) {
        id("NetworkID", req.networkId());
        String id = id("EndpointID", req.endpointId());
        state.endpoint(id).ifPresent(this::unpublish);
        return new Empty();
    }

    /** DiscoverNew/DiscoverDelete: node discovery is the agents' business (etcd), not dockerd's. */
    public Empty discovery() {
        return new Empty();
    }

    // --- helpers ---

    /**
     * The last network went: our rules go, and the bridge too unless something else (a CNI
     * pod) hangs off it. Best effort: the network is deleted whatever happens here, and a
     * leftover is cleaned when the next network is created or the plugin starts.
     */
    private void removeIdleHostSetup() {
        try {
            published.removeAll();
            firewall.removeForwarding();
            if (host.bridgePorts(bridge).isEmpty() && host.deleteHostLink(bridge)) {
                LOG.info("bridge {} removed (no network and no container uses it)", bridge);
            }
        } catch (RuntimeException e) {
            LOG.warn("cleaning up after the last network: {}", e.getMessage());
        }
    }

    private void removeEndpoint(EndpointState ep) {
        unpublish(ep);
        host.deleteHostLink(ep.hostVeth());
        host.deleteHostLink(ep.containerVeth());
        state.deleteEndpoint(ep.id());
        LOG.info("endpoint {} deleted", shortId(ep.id()));
    }

    private void unpublish(EndpointState ep) {
        if (ep.ports().isEmpty()) {
            return;
        }
        for (PortMapping m : ep.ports()) {
            if (m.onLoopback6()) {
                published.unrelayLoopback6(m);
            }
        }
        for (PortMapping m : ep.ports()) {
            if (m.onIpv4()) {
                published.unpublish(ep.address().ip(), m, owner(ep));
            }
        }
        for (PortMapping m : publishedOnIpv6(ep)) {
            published.unpublish6(ep.address6(), m, owner(ep));
        }
        state.save(ep.withPorts(List.of()));
    }

    /**
     * The endpoint's mappings DNATed on the host's IPv6 addresses: with an IPv6 address, those
     * on every host address ({@code -p 8080:80}), on {@code ::} and on one IPv6 address; one on
     * an IPv4 address is that address's only, and {@code ::1} takes the relay
     * ({@link #relayedOnLoopback6}).
     */
    private static List<PortMapping> publishedOnIpv6(EndpointState ep) {
        if (ep.address6() == null) {
            return List.of();
        }
        return ep.ports().stream().filter(PortMapping::onIpv6Addresses).toList();
    }

    /** The endpoint's mappings that answer on {@code [::1]} through a relay: on every address, {@code ::} or {@code ::1}. */
    private static List<PortMapping> relayedOnLoopback6(EndpointState ep) {
        return ep.ports().stream().filter(PortMapping::onLoopback6).toList();
    }

    /** Where a relay on {@code ::1} goes: the container's IPv6 address, else its IPv4 one (as docker-proxy does). */
    private static java.net.InetAddress relayTarget(EndpointState ep) {
        return ep.address6() != null ? ep.address6().toInetAddress() : ep.address().ip().toInetAddress();
    }

    /**
     * A port published on an IPv6 host address needs a container with an IPv6 address: checked
     * before anything is made. (Docker's bridge driver, with its userland proxy on, would relay
     * such a port to the container's IPv4 address instead, and with it off skips it with a log
     * line: docs/docker.md says why javaoverlay refuses.)
     */
    private static void requireIpv6For(EndpointState ep, NetworkState network, List<PortMaps.Requested> requested) {
        if (ep.address6() != null) {
            return;
        }
        for (PortMaps.Requested r : requested) {
            if (r.hostIp6() != null) {
                throw new PluginException.Refused("cannot publish port " + r.containerPort() + "/" + r.protocol().iptablesName()
                        + " on IPv6 address " + r.hostIp6().ipText() + ": network " + shortId(network.id())
                        + " was created without --ipv6, so the container has no IPv6 address to send it to. Publish it on an"
                        + " IPv4 address or on every address (-p HOSTPORT:PORT answers on ::1 too), or create the network with"
                        + " --ipv6 (docs/ipv6.md)");
            }
        }
    }

    /**
     * The endpoint's ports as they answer on IPv6: {@code [::]:8080->[fc00::2]:80/tcp} for the
     * host's IPv6 addresses (DNAT), {@code [fd00::1]:8081->[fc00::2]:80/tcp} for one of them, and
     * {@code [::1]:8080->[fc00::2]:80/tcp (relay)} for the loopback relay, to the container's IPv6
     * address (its IPv4 one on a network without {@code --ipv6}).
     */
    static List<String> publishedPortsIpv6(EndpointState ep) {
        List<String> out = new ArrayList<>();
        String to = ep.address6() == null ? null : "[" + ep.address6().ipText() + "]:";
        for (PortMapping m : publishedOnIpv6(ep)) {
            String on = m.hostIp6() == null ? "[::]" : m.hostAddressText();
            out.add(on + ":" + m.hostPort() + "->" + to + m.containerPort() + "/" + m.protocol().iptablesName());
        }
        for (PortMapping m : relayedOnLoopback6(ep)) {
            if (m.protocol() != PortMapping.Protocol.SCTP) {
                out.add("[::1]:" + m.hostPort() + "->" + (to != null ? to : ep.address().ip() + ":") + m.containerPort() + "/"
                        + m.protocol().iptablesName() + " (relay)");
            }
        }
        return out;
    }

    /** The comment on the endpoint's DNAT rules: who they belong to, for operators and reconcile. */
    private static String owner(EndpointState ep) {
        return "javaoverlay endpoint " + shortId(ep.id());
    }

    /**
     * The network's pool must still be this host's lease: a container wired to a pool the
     * agent no longer holds would get a gateway address the bridge must not carry and routes
     * other hosts no longer send here. Waits for nothing itself: the server holds calls that
     * need the lease until the agent has one ({@code Route#needsLease}).
     */
    private SubnetEnv requireCurrentLease(NetworkState network) {
        SubnetEnv env = lease.current();
        if (!env.lease().equals(network.pool())) {
            throw new PluginException.Refused("network " + shortId(network.id()) + " uses " + network.pool()
                    + " but this host's lease is now " + env.lease() + " (the agent got a new subnet); remove the network"
                    + " (docker network rm) and create it again");
        }
        return env;
    }

    /**
     * One javaoverlay network per host (docs/docker.md, "One network per host"): every network
     * of a host would take its addresses from the host's one lease and hang off its one bridge,
     * and every host routes the whole overlay to every other, so a second network would not be
     * separate from the first, on this host or across hosts. Refusing it says so, where
     * accepting it would promise an isolation that does not exist. The same ID again (dockerd
     * retrying) is not a second network.
     */
    private void requireNoOtherNetwork(String id) {
        for (NetworkState other : state.networks()) {
            if (!other.id().equals(id)) {
                throw new PluginException.Refused("this host already has a javaoverlay network (" + shortId(other.id())
                        + "), and javaoverlay makes one network per host: all its containers share this host's subnet "
                        + other.pool() + " and reach every container of the overlay on every host, so a second network would"
                        + " not be isolated from the first. Connect containers to that network (docker network ls --filter"
                        + " driver=javaoverlay), or remove it first (docker network rm); for containers kept apart from the"
                        + " overlay use another driver (docker network create -d bridge)");
            }
        }
    }

    /**
     * Joining replaces leftovers of the endpoint's veth names (a join that never finished), so
     * the names must be this endpoint's alone: never take the interface of another endpoint.
     * Names come from the whole ID; only endpoints recorded by earlier plugins, named after
     * the ID's first 12 characters, can clash.
     */
    private void requireOwnNames(EndpointState ep) {
        for (EndpointState other : state.endpoints()) {
            if (!other.id().equals(ep.id()) && other.veths().clashesWith(ep.veths())) {
                throw new PluginException.Refused("endpoint " + shortId(ep.id()) + " would use interface " + ep.hostVeth()
                        + ", which belongs to endpoint " + other.id() + (other.joined() ? " (joined to " + other.sandboxKey()
                        + ")" : "") + "; disconnect that container (docker network disconnect) and connect this one again");
            }
        }
    }

    private NetworkState network(String networkId) {
        String id = id("NetworkID", networkId);
        return state.network(id).orElseThrow(() -> new PluginException.NotFound("network " + shortId(id)
                + " is not known to the javaoverlay plugin (its state in " + state.directory()
                + " is missing); remove the network (docker network rm) and create it again"));
    }

    private EndpointState endpoint(EndpointRequest req) {
        network(req.networkId());
        String id = id("EndpointID", req.endpointId());
        EndpointState ep = state.endpoint(id).orElseThrow(() -> new PluginException.NotFound("endpoint " + shortId(id)
                + " is not known to the javaoverlay plugin; disconnect the container and connect it again"));
        if (!ep.networkId().equals(req.networkId())) {
            throw new PluginException.NotFound("endpoint " + shortId(id) + " belongs to network " + shortId(ep.networkId())
                    + ", not " + shortId(req.networkId()));
        }
        return ep;
    }

    /**
     * A MAC derived from the address, as Docker's bridge driver does ({@code 02:42} + the four
     * address bytes): unique wherever the address is, stable across restarts.
     */
    static MacAddress macFor(Ip4 ip) {
        byte[] a = ip.toBytes();
        return new MacAddress(new byte[] {0x02, 0x42, a[0], a[1], a[2], a[3]});
    }

    private static String shortId(String id) {
        return id == null ? "null" : id.substring(0, Math.min(12, id.length()));
    }

    private static String id(String field, String value) {
        return DockerInput.id(field, value);
    }

    private static MacAddress mac(String text) {
        MacAddress mac = DockerInput.mac("Interface.MacAddress", text);
        byte first = mac.bytes()[0];
        if ((first & 0x01) != 0 || java.util.Arrays.equals(mac.bytes(), new byte[6])) {
            throw new PluginException.Refused("MAC address " + mac + " is not a unicast address a container interface can"
                    + " have; choose another --mac-address");
        }
        return mac;
    }
}
