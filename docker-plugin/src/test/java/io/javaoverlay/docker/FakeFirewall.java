package io.javaoverlay.docker;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.docker.host.HostFirewall;
import io.javaoverlay.docker.state.PortMapping;

/** Records the rules the driver wants. Test sources only. */
final class FakeFirewall implements HostFirewall {

    final Set<String> forwardedBridges = new LinkedHashSet<>();
    final List<Published> published = new ArrayList<>();
    /** When set, the next publish fails (to test rollback). */
    RuntimeException failNextPublish;

    @Override
    public synchronized void ensureForwarding(String bridge) {
        forwardedBridges.add(bridge);
    }

    @Override
    public synchronized void removeAll() {
        forwardedBridges.clear();
        published.clear();
    }

    @Override
    public synchronized void publish(Ip4 container, PortMapping mapping, String owner) {
        if (failNextPublish != null) {
            RuntimeException e = failNextPublish;
            failNextPublish = null;
            throw e;
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
