package io.javaoverlay.core.backend.vxlan;

import java.math.BigInteger;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;

import io.javaoverlay.core.backend.PeerRejection;
import io.javaoverlay.core.lease.Lease;
import io.javaoverlay.core.lease.LeaseId;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.Ip6Net;
import io.javaoverlay.core.net.MacAddress;

/**
 * What this host programs for one peer on one VXLAN device: the peer's subnet there (its first
 * address is the peer's VTEP address), the public address its VTEP listens on, its VTEP MAC, and
 * whether it is reached directly (DirectRouting, same L2) instead of through VXLAN. On
 * {@code flannel.<VNI>} these are the lease's IPv4 subnet, {@code PublicIP} and
 * {@code BackendData}; on {@code flannel-v6.<VNI>} its IPv6 subnet, {@code PublicIPv6} and
 * {@code BackendV6Data}.
 *
 * @param lease        what names the lease ({@link Lease#id()}: its IPv4 subnet, an IPv6-only lease's IPv6 subnet), whichever device
 * @param vtep         the peer's subnet on this device, as its first address: the VTEP address
 * @param prefixLength the peer's subnet's prefix length
 * @param publicIp     where the encapsulated packets go
 */
record VxlanPeer(LeaseId lease, InetAddress vtep, int prefixLength, InetAddress publicIp, MacAddress vtepMac, boolean direct) {

    /** A peer on the IPv4 device. */
    VxlanPeer(Ip4Net subnet, Ip4 publicIp, MacAddress vtepMac, boolean direct) {
        this(LeaseId.of(subnet), subnet.address().toInetAddress(), subnet.prefixLength(), publicIp.toInetAddress(), vtepMac, direct);
    }

    /** The lease's IPv4 half: {@code PublicIP} and {@code BackendData}; empty (with the reason) when it is not a usable vxlan lease. */
    static Result from(Lease lease) {
        Optional<PeerRejection> type = checkType(lease);
        if (type.isPresent()) {
            return new Result(null, type.get());
        }
        return mac(lease.attrs().backendData(), "BackendData")
                .map(m -> new VxlanPeer(lease.subnet(), lease.attrs().publicIp(), m, false));
    }

    /**
     * The lease's IPv6 half: its IPv6 subnet, {@code PublicIPv6} and {@code BackendV6Data}, as
     * flannel's vxlan network reads them for {@code flannel-v6.<VNI>}. A lease without an IPv6
     * half (an IPv4-only peer) gives {@link Result#none()}; one whose IPv6 half is unusable, the reason.
     */
    static Result from6(Lease lease) {
        Optional<PeerRejection> type = checkType(lease);
        if (type.isPresent()) {
            return new Result(null, type.get());
        }
        if (lease.ipv6Subnet().isEmpty() || lease.attrs().publicIpv6().isEmpty()) {
            return Result.none();
        }
        Ip6Net subnet = lease.ipv6Subnet().get();
        InetAddress publicIpv6 = address(Ip6Net.parseAddress(lease.attrs().publicIpv6().get()));
        return mac(lease.attrs().backendV6Data(), "BackendV6Data")
                .map(m -> new VxlanPeer(lease.id(), address(subnet.address()), subnet.prefixLength(), publicIpv6, m, false));
    }

    private static Optional<PeerRejection> checkType(Lease lease) {
        Optional<String> type = lease.attrs().backendType();
        if (type.isEmpty() || !type.get().equals("vxlan")) {
            return Optional.of(new PeerRejection(PeerRejection.Reason.BACKEND_TYPE,
                    "its BackendType is " + type.map(t -> "\"" + t + "\"").orElse("missing") + ", not \"vxlan\""));
        }
        return Optional.empty();
    }

    /** The VtepMAC of {@code BackendData} or {@code BackendV6Data} ({@code field} names it in messages). */
    private static MacResult mac(Optional<JsonNode> data, String field) {
        JsonNode mac = data.map(d -> field(d, "VtepMAC")).orElse(null);
        if (mac == null || !mac.isTextual()) {
            return MacResult.rejected(PeerRejection.Reason.BAD_BACKEND_DATA, "its " + field + " has no VtepMAC");
        }
        MacAddress parsed;
        try {
            parsed = MacAddress.parse(mac.textValue());
        } catch (IllegalArgumentException e) {
            return MacResult.rejected(PeerRejection.Reason.BAD_BACKEND_DATA, "its " + (field.equals("BackendData") ? "" : field + " ")
                    + "VtepMAC \"" + mac.textValue() + "\" is not a MAC address");
        }
        if (!parsed.isUnicastStation()) {
            // a group or zero MAC as a neighbour would flood every VTEP, or be dropped by the kernel
            return MacResult.rejected(PeerRejection.Reason.BAD_VTEP_MAC, "its " + (field.equals("BackendData") ? "" : field + " ")
                    + "VtepMAC " + parsed + " is a multicast, broadcast or zero address");
        }
        return new MacResult(parsed, null);
    }

    private record MacResult(MacAddress mac, PeerRejection problem) {
        static MacResult rejected(PeerRejection.Reason reason, String detail) {
            return new MacResult(null, new PeerRejection(reason, detail));
        }

        Result map(java.util.function.Function<MacAddress, VxlanPeer> peer) {
            return mac == null ? new Result(null, problem) : new Result(peer.apply(mac), null);
        }
    }

    VxlanPeer withDirect(boolean on) {
        return new VxlanPeer(lease, vtep, prefixLength, publicIp, vtepMac, on);
    }

    /** Whether this is a peer of the IPv4 device. */
    boolean isIpv4() {
        return vtep instanceof Inet4Address;
    }

    /** The peer's subnet on this device, e.g. {@code 10.5.7.0/24} or {@code fc00:5:0:7::/64}. */
    String destination() {
        return prefix(vtep, prefixLength);
    }

    /** A route destination written the way {@link #destination()} writes it, to compare the two. */
    static String prefix(InetAddress address, int prefixLength) {
        if (address instanceof Inet4Address) {
            return Ip4Net.containing(Ip4.of(address), prefixLength).toString();
        }
        return Ip6Net.containing(new BigInteger(1, address.getAddress()), prefixLength).toString();
    }

    static InetAddress address(BigInteger value) {
        return Ip6Net.toInetAddress(value);
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

    /** A parsed peer, or why the lease was not usable, or neither: the lease has no half for this device. */
    record Result(VxlanPeer peer, PeerRejection problem) {
        static Result rejected(PeerRejection.Reason reason, String detail) {
            return new Result(null, new PeerRejection(reason, detail));
        }

        static Result none() {
            return new Result(null, null);
        }
    }

    @Override
    public String toString() {
        String pub = publicIp.getHostAddress();
        return destination() + (direct ? " via " + pub + " (direct)" : " at " + pub + " VTEP " + vtepMac);
    }
}
