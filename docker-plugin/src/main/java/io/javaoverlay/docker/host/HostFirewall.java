package io.javaoverlay.docker.host;

import java.util.List;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.docker.state.PortMapping;

/**
 * The plugin's iptables rules in the host's namespace: forwarding for the bridge (dockerd sets
 * the FORWARD policy to DROP) and DNAT for published ports (dockerd leaves {@code -p} to a
 * driver that returns its own gateway).
 */
public interface HostFirewall {

    /** Lets traffic to and from {@code bridge} through the FORWARD chain, ahead of Docker's rules. */
    void ensureForwarding(String bridge);

    /** Removes every rule and chain of ours (when the last network goes). */
    void removeAll();

    /** Adds the DNAT rule for one mapping to {@code container}; present already is fine. */
    void publish(Ip4 container, PortMapping mapping, String owner);

    /** Removes it; gone already is fine. */
    void unpublish(Ip4 container, PortMapping mapping, String owner);

    /** Makes the DNAT chain hold exactly {@code all} (reconcile at start). */
    void syncPublished(List<Published> all);

    /** A mapping with its container address and owner (the endpoint, as a rule comment). */
    record Published(Ip4 container, PortMapping mapping, String owner) {}
}
