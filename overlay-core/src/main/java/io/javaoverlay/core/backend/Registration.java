package io.javaoverlay.core.backend;

import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.javaoverlay.core.lease.LeaseAttrs;
import io.javaoverlay.core.net.Ip4;

/**
 * What a backend publishes with this host's lease and the MTU containers should use.
 *
 * @param backendType the lease's {@code BackendType}; empty for flannel's udp backend, which writes none
 * @param backendData the lease's {@code BackendData}, e.g. {@code {"VNI":1,"VtepMAC":"..."}} for vxlan
 * @param mtu         {@code FLANNEL_MTU} in subnet.env: the external MTU minus encapsulation
 * @param backendV6Data the lease's {@code BackendV6Data} with a dual-stack lease, e.g. the IPv6
 *                    device's {@code {"VNI":1,"VtepMAC":"..."}} for vxlan; empty when the backend has none
 */
public record Registration(Optional<String> backendType, Optional<ObjectNode> backendData, int mtu, Optional<ObjectNode> backendV6Data) {

    public Registration {
        backendType = backendType == null ? Optional.empty() : backendType;
        backendData = backendData == null ? Optional.empty() : backendData.map(ObjectNode::deepCopy);
        backendV6Data = backendV6Data == null ? Optional.empty() : backendV6Data.map(ObjectNode::deepCopy);
        if (mtu < 68) {
            throw new IllegalArgumentException("MTU " + mtu + " is below IPv4's minimum of 68");
        }
    }

    /** Without {@code BackendV6Data}. */
    public Registration(Optional<String> backendType, Optional<ObjectNode> backendData, int mtu) {
        this(backendType, backendData, mtu, Optional.empty());
    }

    /** The same with {@code BackendV6Data}. */
    public Registration withV6Data(ObjectNode data) {
        return new Registration(backendType, backendData, mtu, Optional.of(data));
    }

    /** The lease value this host publishes. */
    public LeaseAttrs attrs(Ip4 publicIp) {
        return LeaseAttrs.of(publicIp, backendType, backendData.map(d -> d.deepCopy()));
    }

    /** The lease value of this host's IPv6-only lease: {@code PublicIPv6}, {@code BackendType} and {@code BackendV6Data} alone. */
    public LeaseAttrs ipv6OnlyAttrs(String publicIpv6) {
        return LeaseAttrs.ipv6Only(publicIpv6, backendType, backendV6Data.map(d -> (JsonNode) d.deepCopy()));
    }

    /** The lease value this host publishes, with {@code PublicIPv6} and {@code BackendV6Data} when it has a {@code publicIpv6}. */
    public LeaseAttrs attrs(Ip4 publicIp, Optional<String> publicIpv6) {
        LeaseAttrs v4 = attrs(publicIp);
        return publicIpv6.isEmpty() ? v4 : v4.withIpv6(publicIpv6.get(), backendV6Data.map(d -> (JsonNode) d.deepCopy()));
    }
}
