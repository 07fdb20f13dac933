package io.javaoverlay.docker.driver;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.javaoverlay.core.config.SubnetEnv;
import io.javaoverlay.docker.HostLease;
import io.javaoverlay.core.host.BridgeFirewall;
import io.javaoverlay.core.host.HostAttachment;
import io.javaoverlay.docker.host.LoopbackRelays;
import io.javaoverlay.docker.host.PublishedPorts;
import io.javaoverlay.docker.state.EndpointState;
import io.javaoverlay.docker.state.NetworkState;
import io.javaoverlay.docker.state.PortMapping;
import io.javaoverlay.docker.state.StateStore;
import io.javaoverlay.docker.state.VethNames;

/**
 * Makes the host match the state on disk when the plugin starts. dockerd replays nothing: it
 * does not call CreateNetwork again after a restart, and after {@code kill -9} of dockerd (or
 * of a container's whole sandbox) no Leave arrives. So:
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
public final class Reconciler {

    private static final Logger LOG = LoggerFactory.getLogger(Reconciler.class);

    private final StateStore state;
    private final HostLease lease;
    private final HostAttachment host;
    private final BridgeFirewall firewall;
    private final PublishedPorts publishedPorts;
    private final String bridge;

    public Reconciler(StateStore state, HostLease lease, HostAttachment host, BridgeFirewall firewall, PublishedPorts publishedPorts,
            String bridge) {
        this.state = state;
        this.lease = lease;
        this.host = host;
        this.firewall = firewall;
        this.publishedPorts = publishedPorts;
        this.bridge = bridge;
    }

    public void run() {
        Optional<SubnetEnv> env = lease.ifAny(
                e -> LOG.warn("no lease yet ({}); bridges are checked again when containers join", e.getMessage()));
        for (NetworkState n : state.networks()) {
            if (!n.bridge().equals(bridge)) {
                LOG.warn("network {} was created on bridge {}, the plugin now uses {}; its containers stay on {}",
                        NetworkDriver.shortId(n.id()), n.bridge(), bridge, n.bridge());
            }
            if (env.isPresent() && !env.get().lease().equals(n.pool())) {
                LOG.warn("network {} uses {} but this host's lease is now {}: new containers on it will be refused;"
                        + " remove it and create it again", NetworkDriver.shortId(n.id()), n.pool(), env.get().lease());
                continue;
            }
            // the overlay's MTU, as a CNI ADD sets it; the network's own while the agent has no lease
            host.ensureBridge(n.bridge(), n.gatewayAddress(), env.map(SubnetEnv::mtu).orElse(n.mtu()));
            if (n.ipv6()) {
                host.ensureBridge6(n.bridge(), n.gateway6());
            }
        }

        Set<String> ours = new HashSet<>();
        List<PublishedPorts.Published> published = new ArrayList<>();
        List<PublishedPorts.Published6> published6 = new ArrayList<>();
        List<LoopbackRelays.Relayed> relayed = new ArrayList<>();
        for (EndpointState ep : state.endpoints()) {
            if (state.network(ep.networkId()).isEmpty()) {
                LOG.info("forgetting endpoint {} of deleted network {}", NetworkDriver.shortId(ep.id()),
                        NetworkDriver.shortId(ep.networkId()));
                state.deleteEndpoint(ep.id());
                continue;
            }
            if (ep.joined() && host.hostLink(ep.hostVeth()).isEmpty()) {
                LOG.info("endpoint {}: its container's namespace is gone ({} missing); marking it left",
                        NetworkDriver.shortId(ep.id()), ep.hostVeth());
                state.save(ep.left());
                continue;
            }
            if (ep.joined() && host.hostLink(ep.containerVeth()).isPresent()) {
                // dockerd never moved the container end into the sandbox: the join did not finish
                LOG.info("endpoint {}: its join never completed ({} still on the host); marking it left",
                        NetworkDriver.shortId(ep.id()), ep.containerVeth());
                host.deleteHostLink(ep.hostVeth());
                state.save(ep.left());
                continue;
            }
            if (ep.joined()) {
                ours.add(ep.hostVeth());
                ep.ports().stream().filter(PortMapping::onIpv4)
                        .forEach(m -> published.add(new PublishedPorts.Published(ep.address().ip(), m, NetworkDriver.owner(ep))));
                NetworkDriver.relayedOnLoopback6(ep).forEach(m -> relayed.add(
                        new LoopbackRelays.Relayed(NetworkDriver.relayTarget(ep), m, NetworkDriver.owner(ep))));
                NetworkDriver.publishedOnIpv6(ep).forEach(m -> published6.add(
                        new PublishedPorts.Published6(ep.address6(), m, NetworkDriver.owner(ep))));
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
            publishedPorts.ensureLoopback(bridge);
            publishedPorts.syncPublished(published);
            publishedPorts.syncPublished6(published6);
            publishedPorts.syncLoopback6(relayed);
        } else {
            // a plugin stopped between its last network's deletion and its cleanup
            publishedPorts.removeAll();
            firewall.removeForwarding();
        }
        LOG.info("reconciled: {} networks, {} endpoints ({} joined), {} published ports ({} on IPv6)", state.networks().size(),
                state.endpoints().size(), ours.size(), published.size(), published6.size());
    }
}
