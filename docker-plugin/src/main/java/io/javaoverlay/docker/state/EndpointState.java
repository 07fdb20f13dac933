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
 */
public record EndpointState(String id, String networkId, Ip4Net.HostAddress address, MacAddress mac, String sandboxKey,
                            List<PortMapping> ports) {

    /** Interface names are at most 15 bytes: a 3-letter prefix and 12 hex digits of the ID. */
    static final int ID_CHARS_IN_NAMES = 12;

    /** The prefix of the host ends of our veth pairs (on the bridge). */
    public static final String HOST_VETH_PREFIX = "vjo";
    /** The prefix of the container ends before dockerd moves them into the sandbox. */
    public static final String CONTAINER_VETH_PREFIX = "tjo";

    public EndpointState {
        Ids.check("endpoint", id);
        Ids.check("network", networkId);
        if (address == null || mac == null) {
            throw new IllegalArgumentException("endpoint " + id + ": address and MAC are required");
        }
        ports = ports == null ? List.of() : List.copyOf(ports);
    }

    public boolean joined() {
        return sandboxKey != null;
    }

    /** The veth end on the host bridge, named after the endpoint so a restart can find it. */
    public String hostVeth() {
        return HOST_VETH_PREFIX + id.substring(0, Math.min(ID_CHARS_IN_NAMES, id.length()));
    }

    /** The veth end dockerd moves into the container and renames to eth0, eth1, ... */
    public String containerVeth() {
        return CONTAINER_VETH_PREFIX + id.substring(0, Math.min(ID_CHARS_IN_NAMES, id.length()));
    }

    public EndpointState joinedTo(String sandbox) {
        return new EndpointState(id, networkId, address, mac, sandbox, ports);
    }

    public EndpointState left() {
        return new EndpointState(id, networkId, address, mac, null, List.of());
    }

    public EndpointState withPorts(List<PortMapping> published) {
        return new EndpointState(id, networkId, address, mac, sandboxKey, published);
    }
}
