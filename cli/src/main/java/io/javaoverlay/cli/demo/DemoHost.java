package io.javaoverlay.cli.demo;

import java.nio.file.Path;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.sandbox.UnderlayTopology;

/**
 * One simulated machine of the demo: a host namespace on the underlay running an agent, and a
 * container namespace attached to it through the CNI plugin.
 */
final class DemoHost {

    /** The host's underlay interface, inside its namespace. */
    static final String UNDERLAY_IFACE = UnderlayTopology.HOST_INTERFACE;

    final int index;
    final String name;
    final String ns;
    final Ip4 publicIp;
    final Path dir;
    Sandbox.Started agent;
    Ip4Net subnet;
    int mtu;
    String containerNs;
    Ip4 containerIp;

    DemoHost(int index, String ns, Ip4 publicIp, Path dir) {
        this.index = index;
        this.name = "h" + index;
        this.ns = ns;
        this.publicIp = publicIp;
        this.dir = dir;
    }

    Path subnetFile() {
        return dir.resolve("subnet.env");
    }

    Path agentLog() {
        return dir.resolve("agent.log");
    }

    Path ipamDir() {
        return dir.resolve("ipam");
    }

    /** The container's name as the CNI plugin sees it (CNI_CONTAINERID). */
    String containerId() {
        return ns + "-c1";
    }
}
