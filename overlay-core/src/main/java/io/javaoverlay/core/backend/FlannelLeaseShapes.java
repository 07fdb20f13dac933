package io.javaoverlay.core.backend;

import java.util.Optional;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.javaoverlay.core.config.BackendConfig;
import io.javaoverlay.core.config.BackendType;
import io.javaoverlay.core.config.FlannelOverhead;
import io.javaoverlay.core.config.WireguardOptions;
import io.javaoverlay.core.net.MacAddress;
import io.javaoverlay.core.net.WireguardKey;

/**
 * What each flannel backend publishes and which MTU it gives containers, so a javaoverlay host
 * and a flanneld host read each other's leases. Shared by the real backends and the
 * control-plane-only {@link PeerLogBackend}.
 */
public final class FlannelLeaseShapes {

    /** flannel's default VNI. */
    public static final int DEFAULT_VNI = 1;

    /**
     * VXLAN costs 50 bytes per packet: outer IPv4 (20) + UDP (8) + VXLAN header (8) + the inner
     * Ethernet header (14) the VXLAN device adds.
     */
    public static final int VXLAN_OVERHEAD = 50;

    /**
     * The same over an IPv6 underlay: the outer header is 40 bytes, not 20. flannel asks for the
     * IPv4 device's MTU for {@code flannel-v6.<VNI>} too, and the kernel caps a VXLAN device over
     * IPv6 at its lower device's MTU minus 70; javaoverlay asks for what the kernel gives, so that
     * the device it finds and the device it wants compare equal. FLANNEL_MTU stays the IPv4 one, as
     * in flannel: an IPv6 packet larger than the IPv6 device's MTU is answered with ICMPv6 "packet
     * too big" and the sender learns the path MTU.
     */
    public static final int VXLAN6_OVERHEAD = 70;

    /** flannel's udp backend: outer IPv4 (20) + UDP (8); the inner IP packet is the payload. */
    public static final int UDP_OVERHEAD = 28;

    /** The largest IPv4 packet; loopback reports an MTU of 65536, one more than IPv4 can fill. */
    static final int MAX_IPV4_MTU = 65535;

    private FlannelLeaseShapes() {}

    private static int mtu(int deviceMtu, int overhead) {
        return Math.min(deviceMtu, MAX_IPV4_MTU) - overhead;
    }

    /** vxlan: {@code "BackendType":"vxlan","BackendData":{"VNI":1,"VtepMAC":"..."}}; MTU = Backend.MTU or external MTU, minus 50. */
    public static Registration vxlan(BackendConfig backend, ExternalInterface ext, MacAddress vtepMac) {
        ObjectNode data = JsonNodeFactory.instance.objectNode();
        data.put("VNI", backend.vni().orElse(DEFAULT_VNI));
        data.put("VtepMAC", vtepMac.toString());
        return new Registration(Optional.of(BackendType.VXLAN.flannelName()), Optional.of(data),
                mtu(backend.mtu().orElse(ext.mtu()), VXLAN_OVERHEAD));
    }

    /** The MTU of {@code flannel-v6.<VNI>}: flannel's request (Backend.MTU or the external MTU, minus 50) as the kernel caps it. */
    public static int vxlan6DeviceMtu(BackendConfig backend, ExternalInterface ext) {
        return Math.min(mtu(backend.mtu().orElse(ext.mtu()), VXLAN_OVERHEAD), mtu(ext.mtu(), VXLAN6_OVERHEAD));
    }

    /** vxlan's {@code BackendV6Data}: {@code {"VNI":1,"VtepMAC":"..."}} with the IPv6 device's MAC, as flannel's {@code newSubnetAttrs}. */
    public static ObjectNode vxlanV6Data(BackendConfig backend, MacAddress v6VtepMac) {
        ObjectNode data = JsonNodeFactory.instance.objectNode();
        data.put("VNI", backend.vni().orElse(DEFAULT_VNI));
        data.put("VtepMAC", v6VtepMac.toString());
        return data;
    }

    /** udp: flannel publishes neither BackendType nor BackendData; MTU = external MTU minus 28. */
    public static Registration udp(ExternalInterface ext) {
        return new Registration(Optional.empty(), Optional.empty(), mtu(ext.mtu(), UDP_OVERHEAD));
    }

    /**
     * host-gw: {@code "BackendType":"host-gw"}, no data; the external MTU. Peers route to the
     * public IP directly, so it must be the interface's own address (flannel refuses NAT too).
     */
    public static Registration hostGw(ExternalInterface ext) {
        if (!ext.publicIp().equals(ext.ifaceAddr())) {
            throw new BackendException("host-gw needs the public IP to be the interface's address, but --public-ip is "
                    + ext.publicIp() + " and " + ext.name() + " has " + ext.ifaceAddr()
                    + " (behind NAT? use vxlan, or drop --public-ip)");
        }
        return new Registration(Optional.of(BackendType.HOST_GW.flannelName()), Optional.empty(), mtu(ext.mtu(), 0));
    }

    /**
     * wireguard: {@code "BackendType":"wireguard","BackendData":{"PublicKey":"<base64>","Port":51820}}
     * (flannel's field order); MTU = Backend.MTU or external MTU, minus 80. flannel publishes the
     * IPv4 listen port; peers connect to PublicIP:Port.
     */
    public static Registration wireguard(WireguardOptions options, ExternalInterface ext, WireguardKey publicKey) {
        ObjectNode data = JsonNodeFactory.instance.objectNode();
        data.put("PublicKey", publicKey.toString());
        data.put("Port", options.listenPort());
        return new Registration(Optional.of(BackendType.WIREGUARD.flannelName()), Optional.of(data),
                mtu(options.mtu().orElse(ext.mtu()), FlannelOverhead.WIREGUARD));
    }

    /**
     * wireguard's {@code BackendV6Data} with {@code EnableIPv6}: {@code {"PublicKey":"<base64>","Port":51821}},
     * as flannel v0.28's {@code newSubnetAttrs}: the same public key as BackendData (flannel reads
     * one key file for both devices) and {@code ListenPortV6}, the port of {@code flannel-wg-v6}.
     */
    public static ObjectNode wireguardV6Data(WireguardOptions options, WireguardKey publicKey) {
        ObjectNode data = JsonNodeFactory.instance.objectNode();
        data.put("PublicKey", publicKey.toString());
        data.put("Port", options.listenPortV6());
        return data;
    }

    /** The shape for any supported type; {@code wireguardKeys} is read only for wireguard. */
    public static Registration forType(BackendType type, BackendConfig backend, ExternalInterface ext, VtepMacStore macs,
            WireguardKeyStore wireguardKeys) {
        return switch (type) {
            case VXLAN -> vxlan(backend, ext, macs.macFor(backend.vni().orElse(DEFAULT_VNI)));
            case UDP -> udp(ext);
            case HOST_GW -> hostGw(ext);
            case WIREGUARD -> wireguard(backend.wireguard(), ext, wireguardKeys.privateKey().publicKey());
        };
    }
}
