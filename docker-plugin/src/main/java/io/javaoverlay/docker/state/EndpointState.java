package io.javaoverlay.docker.state;

import java.util.List;

import io.javaoverlay.core.net.Ip4Net;
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
 */
public record EndpointState(String id, String networkId, Ip4Net.HostAddress address, MacAddress mac, String sandboxKey,
                            List<PortMapping> ports, VethNames veths) {

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
        return new EndpointState(id, networkId, address, mac, null, List.of(), VethNames.forEndpoint(id));
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
        return new EndpointState(id, networkId, address, mac, sandbox, ports, veths);
    }

    public EndpointState left() {
        return new EndpointState(id, networkId, address, mac, null, List.of(), veths);
    }

    public EndpointState withPorts(List<PortMapping> published) {
        return new EndpointState(id, networkId, address, mac, sandboxKey, published, veths);
    }
}
