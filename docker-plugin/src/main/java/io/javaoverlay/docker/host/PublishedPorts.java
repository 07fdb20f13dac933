package io.javaoverlay.docker.host;

import java.util.List;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip6Host;
import io.javaoverlay.docker.state.PortMapping;

/**
 * The Docker face's own iptables rules in the host's namespace: DNAT for published ports
 * (dockerd leaves {@code -p} to a driver that returns its own gateway), on the host's loopback
 * too. Forwarding for the bridge is the host layer's
 * ({@link io.javaoverlay.core.host.BridgeFirewall}), shared with the CNI face.
 */
public interface PublishedPorts {

    /** Makes published ports answer on the host's loopback through {@code bridge} ({@link LoopbackPorts}). */
    void ensureLoopback(String bridge);

    /** Removes every rule and chain of ours for published ports, of both families (when the last network goes). */
    void removeAll();

    /** Adds the DNAT rule for one mapping to {@code container}; present already is fine. */
    void publish(Ip4 container, PortMapping mapping, String owner);

    /** Removes it; gone already is fine. */
    void unpublish(Ip4 container, PortMapping mapping, String owner);

    /** Makes the DNAT chain hold exactly {@code all} (reconcile at start). */
    void syncPublished(List<Published> all);

    /**
     * Adds the IPv6 DNAT rule for a mapping on every host address ({@code hostIp} null) to the
     * container's IPv6 address: traffic to the host's IPv6 addresses (not {@code ::1}) on the host
     * port; present already is fine.
     */
    void publish6(Ip6Host container, PortMapping mapping, String owner);

    /** Removes it; gone already is fine. */
    void unpublish6(Ip6Host container, PortMapping mapping, String owner);

    /** Makes the IPv6 DNAT chain hold exactly {@code all} (reconcile at start); makes nothing when there is nothing to hold. */
    void syncPublished6(List<Published6> all);

    /** A mapping with its container address and owner (the endpoint, as a rule comment). */
    record Published(Ip4 container, PortMapping mapping, String owner) {}

    /** The same for IPv6. */
    record Published6(Ip6Host container, PortMapping mapping, String owner) {}
}
