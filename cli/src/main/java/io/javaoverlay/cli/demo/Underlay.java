package io.javaoverlay.cli.demo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.sandbox.SandboxException;
import io.javaoverlay.core.sandbox.UnderlayTopology;

/**
 * The demo's machines: {@link UnderlayTopology} (the test kit's too), with a directory per host
 * for its leases, subnet.env and logs.
 */
final class Underlay {

    final String ns;
    final List<DemoHost> hosts;
    private final UnderlayTopology topology;

    private Underlay(UnderlayTopology topology, List<DemoHost> hosts) {
        this.topology = topology;
        this.ns = topology.namespace();
        this.hosts = hosts;
    }

    Ip4 gateway() {
        return topology.gateway();
    }

    static Underlay create(Sandbox sandbox, int hostCount) {
        UnderlayTopology topology;
        try {
            topology = UnderlayTopology.create(sandbox.namespaces(), UnderlayTopology.randomSubnet(), hostCount);
        } catch (SandboxException e) {
            throw new DemoException(e.getMessage());
        }
        List<DemoHost> hosts = new ArrayList<>();
        for (UnderlayTopology.Host h : topology.hosts()) {
            Path dir = sandbox.dir().resolve("h" + h.number());
            try {
                Files.createDirectories(dir);
            } catch (IOException e) {
                throw new DemoException("cannot create " + dir + ": " + e.getMessage());
            }
            hosts.add(new DemoHost(h.number(), h.namespace(), h.address(), dir));
        }
        return new Underlay(topology, List.copyOf(hosts));
    }
}
