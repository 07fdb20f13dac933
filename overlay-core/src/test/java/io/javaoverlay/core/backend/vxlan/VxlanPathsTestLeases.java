package io.javaoverlay.core.backend.vxlan;

import java.util.Optional;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.javaoverlay.core.lease.Lease;
import io.javaoverlay.core.lease.LeaseAttrs;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;

/** Leases for the vxlan path tests. */
final class VxlanPathsTestLeases {

    private VxlanPathsTestLeases() {}

    /** An IPv4-only vxlan lease. */
    static Lease ipv4(String subnet, String publicIp, String mac) {
        return new Lease(Ip4Net.parse(subnet), Optional.empty(), LeaseAttrs.of(Ip4.parse(publicIp), Optional.of("vxlan"),
                Optional.of(new ObjectMapper().createObjectNode().put("VNI", 1).put("VtepMAC", mac))), false, Optional.empty(), 1);
    }
}
