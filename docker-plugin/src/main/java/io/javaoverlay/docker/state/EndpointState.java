package io.javaoverlay.docker.state;

import java.util.List;

import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.Ip6Host;
import io.javaoverlay.core.net.MacAddress;

/**
 * An endpoint (one container's interface on one network), as kept on disk.
 *
 * @param id         dockerd's endpoint ID
 * @param networkId  the network it belongs to
 * @param address    its address with the pool's prefix length
 * @param mac        its MAC address
 * @param sandboxKey the container's namespace while joined, null otherwise
 * @param ports      the ports published to it (set by ProgramExternalConnectivity)
 * @param veths      the names of its veth pair; null in files written before names were
 *                   recorded, which get the names those plugins used ({@link VethNames#legacy})
 * @param address6   its IPv6 address on a {@code --ipv6} network (dockerd sets it in the
 *                   container; kept for published ports on IPv6); null otherwise, and in files
 *                   written before it was recorded
 */
public record EndpointState(String id, String networkId, Ip4Net.HostAddress address, MacAddress mac, String sandboxKey,
                            List<PortMapping> ports, VethNames veths, Ip6Host address6) {

    public EndpointState {
        Ids.check("endpoint", id);
        Ids.check("network", networkId);
        if (address == null || mac == null) {
            throw new IllegalArgumentException("endpoint " + id + ": address and MAC are required");
        }
        ports = ports == null ? List.of() : List.copyOf(ports);
        veths = veths == null ? VethNames.legacy(id) : veths;
    }

    /** A new endpoint, not joined yet, with veth names derived from its whole ID. */
    public static EndpointState create(String id, String networkId, Ip4Net.HostAddress address, MacAddress mac) {
        return create(id, networkId, address, null, mac);
    }

    /** The same with its IPv6 address ({@code address6} null without one). */
    public static EndpointState create(String id, String networkId, Ip4Net.HostAddress address, Ip6Host address6, MacAddress mac) {
        return new EndpointState(id, networkId, address, mac, null, List.of(), VethNames.forEndpoint(id), address6);
    }

    public boolean joined() {
        return sandboxKey != null;
    }

    /** The veth end on the host bridge, named after the endpoint so a restart can find it. */
    public String hostVeth() {
        return veths.host();
    }

    /** The veth end dockerd moves into the container and renames to eth0, eth1, ... */
    public String containerVeth() {
        return veths.container();
    }

    public EndpointState joinedTo(String sandbox) {
        return new EndpointState(id, networkId, address, mac, sandbox, ports, veths, address6);
    }

    public EndpointState left() {
        return new EndpointState(id, networkId, address, mac, null, List.of(), veths, address6);
    }

    public EndpointState withPorts(List<PortMapping> published) {
        return new EndpointState(id, networkId, address, mac, sandboxKey, published, veths, address6);
    }
}
