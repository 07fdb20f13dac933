package io.javaoverlay.docker;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.docker.host.PublishedPorts;
import io.javaoverlay.docker.state.PortMapping;

/** Records the published ports the driver wants. Test sources only. */
final class FakePublishedPorts implements PublishedPorts {

    final Set<String> loopbackBridges = new LinkedHashSet<>();
    final List<Published> published = new ArrayList<>();
    /** A host port whose publish fails (to test rollback); 0 for none. */
    int failOnHostPort;

    @Override
    public synchronized void ensureLoopback(String bridge) {
        loopbackBridges.add(bridge);
    }

    @Override
    public synchronized void removeAll() {
        loopbackBridges.clear();
        published.clear();
    }

    @Override
    public synchronized void publish(Ip4 container, PortMapping mapping, String owner) {
        if (mapping.hostPort() == failOnHostPort) {
            throw new io.javaoverlay.core.firewall.IptablesException("iptables -t nat -A JAVAOVERLAY-DNAT", 4, "xtables lock held");
        }
        Published p = new Published(container, mapping, owner);
        if (!published.contains(p)) {
            published.add(p);
        }
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
}
