package io.javaoverlay.core.backend.vxlan;

import java.math.BigInteger;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.Ip6Net;
import io.javaoverlay.core.net.MacAddress;
import io.javaoverlay.core.netlink.Address;
import io.javaoverlay.core.netlink.Link;
import io.javaoverlay.core.netlink.NetlinkException;
import io.javaoverlay.core.netlink.NetlinkSocket;
import io.javaoverlay.core.netlink.NewLink;
import io.javaoverlay.core.netlink.VxlanInfo;

/**
 * The host's VXLAN device ({@code flannel.<VNI>}): made to match what is wanted, kept when an
 * existing one already does (so a restarted agent does not interrupt traffic), recreated when
 * it does not.
 *
 * @param name   the device name
 * @param info   the VXLAN settings it must have
 * @param mac    the VTEP MAC published in the lease (kept across restarts by the VtepMacStore)
 * @param mtu    the device MTU: the external MTU minus the 50 bytes of encapsulation
 */
record VxlanDevice(String name, VxlanInfo info, MacAddress mac, int mtu) {

    private static final Logger LOG = LoggerFactory.getLogger(VxlanDevice.class);

    /**
     * Makes the device exist as wanted, up, and returns it. A device of that name that is not a
     * VXLAN device, or one with other VXLAN settings, is deleted and made again; a wrong MAC or
     * MTU on an otherwise right device is corrected in place.
     */
    Link ensure(NetlinkSocket nl) {
        Optional<Link> existing = nl.links().get(name);
        if (existing.isPresent()) {
            Optional<String> why = incompatibility(existing.get());
            if (why.isEmpty()) {
                Link link = existing.get();
                if (!mac.equals(link.mac())) {
                    LOG.info("{}: MAC {} is not the VTEP MAC {}; changing it", name, link.mac(), mac);
                    try {
                        nl.links().setMac(link.index(), mac);
                    } catch (NetlinkException e) {
                        LOG.warn("{}: cannot change the MAC in place ({}); recreating the device", name, e.getMessage());
                        return recreate(nl, link);
                    }
                }
                if (link.mtu() != mtu) {
                    LOG.info("{}: MTU {} should be {}; changing it", name, link.mtu(), mtu);
                    nl.links().setMtu(link.index(), mtu);
                }
                if (!link.isUp()) {
                    nl.links().setUp(link.index());
                }
                LOG.info("{}: reusing the existing VXLAN device (VNI {}, port {}, local {})", name, info.vni(), info.port(), info.localText());
                return nl.links().get(link.index()).orElseThrow();
            }
            LOG.warn("{} exists but {}; recreating it", name, why.get());
            return recreate(nl, existing.get());
        }
        return create(nl);
    }

    private Link recreate(NetlinkSocket nl, Link old) {
        try {
            nl.links().delete(old.index());
        } catch (NetlinkException.NotFound e) {
            // gone already
        }
        return create(nl);
    }

    private Link create(NetlinkSocket nl) {
        Link link = nl.links().create(NewLink.vxlan(name, info).withMac(mac).withMtu(mtu));
        nl.links().setUp(link.index());
        LOG.info("{}: created VXLAN device (VNI {}, UDP port {}, local {}, MAC {}, MTU {})", name, info.vni(), info.port(),
                info.localText(), mac, mtu);
        return nl.links().get(link.index()).orElseThrow();
    }

    /** Why an existing device cannot be kept, or empty when it can. */
    Optional<String> incompatibility(Link link) {
        if (!"vxlan".equals(link.kind())) {
            return Optional.of("is a " + (link.kind().isEmpty() ? "device without a kind" : link.kind() + " device") + ", not VXLAN");
        }
        VxlanInfo have = link.vxlan();
        if (have == null) {
            return Optional.of("its VXLAN settings cannot be read");
        }
        List<String> diffs = new ArrayList<>();
        if (have.vni() != info.vni()) {
            diffs.add("VNI " + have.vni() + " instead of " + info.vni());
        }
        if (info.local() != null && !info.local().equals(have.local())) {
            diffs.add("local address " + have.local() + " instead of " + info.local());
        }
        if (info.local6() != null && !info.local6().equals(have.local6())) {
            diffs.add("local address " + (have.local6() == null ? have.localText() : have.local6().getHostAddress()) + " instead of "
                    + info.local6().getHostAddress());
        }
        if (info.deviceIndex() != 0 && have.deviceIndex() != info.deviceIndex()) {
            diffs.add("underlay device #" + have.deviceIndex() + " instead of #" + info.deviceIndex());
        }
        if (have.port() != info.port()) {
            diffs.add("port " + have.port() + " instead of " + info.port());
        }
        if (have.learning() != info.learning()) {
            diffs.add("learning " + (have.learning() ? "on" : "off"));
        }
        if (have.gbp() != info.gbp()) {
            diffs.add("GBP " + (have.gbp() ? "on" : "off"));
        }
        return diffs.isEmpty() ? Optional.empty() : Optional.of("has " + String.join(", ", diffs));
    }

    /**
     * Gives the device exactly {@code <subnet>.0/32} among the addresses in the overlay
     * network: an address from an earlier lease is removed, so the kernel never sources overlay
     * traffic from a subnet this host no longer holds. The /32 adds no route: every peer gets
     * its own route, and the host's own subnet is routed to the local bridge.
     */
    void ensureAddress(NetlinkSocket nl, Link link, Ip4Net network, Ip4Net own) {
        Ip4 want = own.address();
        ensureOnlyAddress(nl, link, Address.ip4(link.index(), want, 32), want + "/32",
                ip -> ip instanceof Inet4Address && network.contains(Ip4.of(ip)), "subnet " + own);
    }

    /**
     * The IPv6 form of {@link #ensureAddress}, as flannel's {@code ConfigureIPv6} does for
     * {@code flannel-v6.<VNI>}: exactly {@code <IPv6 subnet>/128} among the device's addresses in
     * the IPv6 network (no route of its own; a source address for host-to-container traffic). It is
     * added without duplicate address detection: no other host has it, and the device would only
     * send the probe into the void.
     */
    void ensureAddress6(NetlinkSocket nl, Link link, Ip6Net network, Ip6Net own) {
        BigInteger want = own.address();
        ensureOnlyAddress(nl, link, Address.of(link.index(), VxlanPeer.address(want), 128).withFlags(Address.IFA_F_NODAD),
                Ip6Net.format(want) + "/128", ip -> ip instanceof Inet6Address && network.contains(new BigInteger(1, ip.getAddress())),
                "IPv6 subnet " + own);
    }

    /**
     * Leaves {@code wanted} the device's only address in the overlay network of its family
     * ({@code inNetwork} says which addresses those are): any other one there is from an earlier
     * lease and is removed; {@code wanted} is added when missing.
     */
    private void ensureOnlyAddress(NetlinkSocket nl, Link link, Address wanted, String wantedText, Predicate<InetAddress> inNetwork,
                                   String ownSubnet) {
        boolean present = false;
        for (Address a : nl.addresses().list(link)) {
            if (a.address().equals(wanted.address()) && a.prefixLength() == wanted.prefixLength()) {
                present = true;
            } else if (inNetwork.test(a.address())) {
                LOG.info("{}: removing {} (not this host's {} any more)", name, a, ownSubnet);
                nl.addresses().delete(a);
            }
        }
        if (!present) {
            nl.addresses().replace(wanted);
            LOG.info("{}: address {}", name, wantedText);
        }
    }
}
