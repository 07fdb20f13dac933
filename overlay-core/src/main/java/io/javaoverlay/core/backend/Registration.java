package io.javaoverlay.core.backend;

import java.util.Optional;

import com.fasterxml.jackson.databind.node.ObjectNode;

import io.javaoverlay.core.lease.LeaseAttrs;
import io.javaoverlay.core.net.Ip4;

/**
 * What a backend publishes with this host's lease and the MTU containers should use.
 *
 * @param backendType the lease's {@code BackendType}; empty for flannel's udp backend, which writes none
 * @param backendData the lease's {@code BackendData}, e.g. {@code {"VNI":1,"VtepMAC":"..."}} for vxlan
 * @param mtu         {@code FLANNEL_MTU} in subnet.env: the external MTU minus encapsulation
 */
public record Registration(Optional<String> backendType, Optional<ObjectNode> backendData, int mtu) {

    public Registration {
        backendType = backendType == null ? Optional.empty() : backendType;
        backendData = backendData == null ? Optional.empty() : backendData.map(ObjectNode::deepCopy);
        if (mtu < 68) {
            throw new IllegalArgumentException("MTU " + mtu + " is below IPv4's minimum of 68");
        }
    }

    /** The lease value this host publishes. */
    public LeaseAttrs attrs(Ip4 publicIp) {
        return LeaseAttrs.of(publicIp, backendType, backendData.map(d -> d.deepCopy()));
    }
}
