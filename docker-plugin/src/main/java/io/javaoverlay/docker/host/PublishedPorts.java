package io.javaoverlay.docker.host;

import java.util.List;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip6Host;
import io.javaoverlay.docker.state.PortMapping;

/**
 * The Docker face's own iptables rules in the host's namespace: DNAT for published ports
 * (dockerd leaves {@code -p} to a driver that returns its own gateway), on the host's loopback
 * too, and the relays that make them answer on {@code ::1}, which no DNAT reaches
 * ({@link LoopbackRelays}). Forwarding for the bridge is the host layer's
 * ({@link io.javaoverlay.core.host.BridgeFirewall}), shared with the CNI face.
 */
public interface PublishedPorts extends AutoCloseable {

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
     * Adds the IPv6 DNAT rule for a mapping on the host's IPv6 addresses
     * ({@link PortMapping#onIpv6Addresses}: every address, {@code ::}, or one IPv6 address) to the
     * container's IPv6 address: traffic to those addresses (never {@code ::1}) on the host port;
     * present already is fine.
     */
    void publish6(Ip6Host container, PortMapping mapping, String owner);

    /** Removes it; gone already is fine. */
    void unpublish6(Ip6Host container, PortMapping mapping, String owner);

    /** Makes the IPv6 DNAT chain hold exactly {@code all} (reconcile at start); makes nothing when there is nothing to hold. */
    void syncPublished6(List<Published6> all);

    /**
     * Starts the relay that makes a mapping answer on {@code [::1]:hostPort}
     * ({@link PortMapping#onLoopback6}), to {@code container} (its IPv6 address when it has one);
     * the same relay running already is fine. A port taken on {@code ::1} throws a refusal.
     */
    void relayLoopback6(java.net.InetAddress container, PortMapping mapping, String owner);

    /** Stops it; none running is fine. */
    void unrelayLoopback6(PortMapping mapping);

    /** Makes the running relays exactly {@code all} (reconcile at start); one that cannot bind is logged, not thrown. */
    void syncLoopback6(List<LoopbackRelays.Relayed> all);

    /** Stops every relay: the plugin stops. The rules stay, for the containers that keep running. */
    @Override
    void close();

    /** A mapping with its container address and owner (the endpoint, as a rule comment). */
    record Published(Ip4 container, PortMapping mapping, String owner) {}

    /** The same for IPv6. */
    record Published6(Ip6Host container, PortMapping mapping, String owner) {}
}
