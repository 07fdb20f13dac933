package io.javaoverlay.docker;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip6Host;
import io.javaoverlay.docker.host.LoopbackRelays;
import io.javaoverlay.docker.host.PublishedPorts;
import io.javaoverlay.docker.state.PortMapping;

/** Records the published ports the driver wants. Test sources only. */
final class FakePublishedPorts implements PublishedPorts {

    final Set<String> loopbackBridges = new LinkedHashSet<>();
    final List<Published> published = new ArrayList<>();
    final List<Published6> published6 = new ArrayList<>();
    final List<LoopbackRelays.Relayed> relayed = new ArrayList<>();
    /** A host port whose relay on ::1 fails as a taken port does; 0 for none. */
    int failOnRelayPort;
    boolean closed;
    /** A host port whose publish fails (to test rollback); 0 for none. */
    int failOnHostPort;
    /** The same for the IPv6 publish only. */
    int failOnHostPort6;

    @Override
    public synchronized void ensureLoopback(String bridge) {
        loopbackBridges.add(bridge);
    }

    @Override
    public synchronized void removeAll() {
        loopbackBridges.clear();
        published.clear();
        published6.clear();
        relayed.clear();
    }

    @Override
    public synchronized void relayLoopback6(java.net.InetAddress container, PortMapping mapping, String owner) {
        if (mapping.hostPort() == failOnRelayPort) {
            throw new PluginException.Refused("cannot publish " + mapping + " on [::1]:" + mapping.hostPort() + ": Address already in use");
        }
        relayed.removeIf(r -> r.mapping().protocol() == mapping.protocol() && r.mapping().hostPort() == mapping.hostPort());
        relayed.add(new LoopbackRelays.Relayed(container, mapping, owner));
    }

    @Override
    public synchronized void unrelayLoopback6(PortMapping mapping) {
        relayed.removeIf(r -> r.mapping().equals(mapping));
    }

    @Override
    public synchronized void syncLoopback6(List<LoopbackRelays.Relayed> all) {
        relayed.clear();
        relayed.addAll(all);
    }

    @Override
    public synchronized void close() {
        closed = true;
        relayed.clear();
    }

    @Override
    public synchronized void publish(Ip4 container, PortMapping mapping, String owner) {
        record(published, new Published(container, mapping, owner), mapping, failOnHostPort, "iptables");
    }

    @Override
    public synchronized void unpublish(Ip4 container, PortMapping mapping, String owner) {
        published.remove(new Published(container, mapping, owner));
    }

    @Override
    public synchronized void syncPublished(List<Published> all) {
        published.clear();
        published.addAll(all);
    }

    @Override
    public synchronized void publish6(Ip6Host container, PortMapping mapping, String owner) {
        record(published6, new Published6(container, mapping, owner), mapping, failOnHostPort6, "ip6tables");
    }

    @Override
    public synchronized void unpublish6(Ip6Host container, PortMapping mapping, String owner) {
        published6.remove(new Published6(container, mapping, owner));
    }

    @Override
    public synchronized void syncPublished6(List<Published6> all) {
        published6.clear();
        published6.addAll(all);
    }

    /** Adds {@code p} once; fails as {@code tool} does with the xtables lock held when {@code mapping}'s host port is {@code failOn}. */
    private static <P> void record(List<P> to, P p, PortMapping mapping, int failOn, String tool) {
        if (mapping.hostPort() == failOn) {
            throw new io.javaoverlay.core.firewall.IptablesException(tool + " -t nat -A JAVAOVERLAY-DNAT", 4, "xtables lock held");
        }
        if (!to.contains(p)) {
            to.add(p);
        }
    }
}
