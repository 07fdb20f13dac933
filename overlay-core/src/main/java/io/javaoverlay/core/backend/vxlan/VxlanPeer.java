package io.javaoverlay.core.backend.vxlan;

import java.util.Iterator;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;

import io.javaoverlay.core.backend.PeerRejection;
import io.javaoverlay.core.lease.Lease;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.MacAddress;

/**
 * What this host programs for one peer: its subnet, the public IP its VTEP listens on, its VTEP
 * MAC, and whether it is reached directly (DirectRouting, same L2) instead of through VXLAN.
 */
record VxlanPeer(Ip4Net subnet, Ip4 publicIp, MacAddress vtepMac, boolean direct) {

    /** The peer a vxlan lease describes; empty (with the reason) when it is not a usable vxlan lease. */
    static Result from(Lease lease) {
        Optional<String> type = lease.attrs().backendType();
        if (type.isEmpty() || !type.get().equals("vxlan")) {
            return Result.rejected(PeerRejection.Reason.BACKEND_TYPE,
                    "its BackendType is " + type.map(t -> "\"" + t + "\"").orElse("missing") + ", not \"vxlan\"");
        }
        Optional<JsonNode> data = lease.attrs().backendData();
        JsonNode mac = data.map(d -> field(d, "VtepMAC")).orElse(null);
        if (mac == null || !mac.isTextual()) {
            return Result.rejected(PeerRejection.Reason.BAD_BACKEND_DATA, "its BackendData has no VtepMAC");
        }
        MacAddress parsed;
        try {
            parsed = MacAddress.parse(mac.textValue());
        } catch (IllegalArgumentException e) {
            return Result.rejected(PeerRejection.Reason.BAD_BACKEND_DATA, "its VtepMAC \"" + mac.textValue() + "\" is not a MAC address");
        }
        if (!parsed.isUnicastStation()) {
            // a group or zero MAC as a neighbour would flood every VTEP, or be dropped by the kernel
            return Result.rejected(PeerRejection.Reason.BAD_VTEP_MAC, "its VtepMAC " + parsed + " is a multicast, broadcast or zero address");
        }
        return new Result(new VxlanPeer(lease.subnet(), lease.attrs().publicIp(), parsed, false), null);
    }

    VxlanPeer withDirect(boolean on) {
        return new VxlanPeer(subnet, publicIp, vtepMac, on);
    }

    /** Go's JSON decoding, which flannel uses, matches keys case-insensitively. */
    private static JsonNode field(JsonNode object, String name) {
        if (!object.isObject()) {
            return null;
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equalsIgnoreCase(name)) {
                return e.getValue();
            }
        }
        return null;
    }

    /** A parsed peer or why the lease was not usable. */
    record Result(VxlanPeer peer, PeerRejection problem) {
        static Result rejected(PeerRejection.Reason reason, String detail) {
            return new Result(null, new PeerRejection(reason, detail));
        }
    }

    @Override
    public String toString() {
        return subnet + (direct ? " via " + publicIp + " (direct)" : " at " + publicIp + " VTEP " + vtepMac);
    }
}
