package io.javaoverlay.docker.host;

import java.util.List;

import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.MacAddress;

/**
 * The kernel side of the network driver in the host's namespace: the bridge that holds the
 * host subnet's gateway address, and one veth pair per endpoint. Every operation is
 * idempotent, so Docker's retries and the plugin's reconcile at start can repeat them.
 */
public interface HostNetwork {

    /**
     * The bridge, created if missing, with {@code gateway} as an address, up. Its MTU is left
     * to the kernel, which keeps a bridge at the smallest MTU of its ports (the veths carry the
     * overlay's): an MTU set by hand would stop that.
     */
    void ensureBridge(String bridge, Ip4Net.HostAddress gateway);

    /**
     * A veth pair: {@code hostEnd} enslaved to {@code bridge} and up; {@code containerEnd}
     * with {@code mac}, left for dockerd to move into the container. Leftovers of either
     * name (a join that never finished) are replaced.
     */
    void createVethPair(String bridge, String hostEnd, String containerEnd, MacAddress mac, int mtu);

    boolean linkExists(String name);

    /** Deletes the link (for a veth, both ends); returns false when it was already gone. */
    boolean deleteLink(String name);

    /** Names of every link in the host namespace. */
    List<String> linkNames();

    /** Names of the links enslaved to {@code bridge}; empty when the bridge does not exist. */
    List<String> bridgePorts(String bridge);
}
