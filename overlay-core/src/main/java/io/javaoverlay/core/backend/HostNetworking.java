package io.javaoverlay.core.backend;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.javaoverlay.core.config.NetworkConfig;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.netlink.Address;
import io.javaoverlay.core.netlink.KernelChanges;
import io.javaoverlay.core.netlink.NetlinkSocket;
import io.javaoverlay.core.netlink.Sysctl;

/** Host settings every data-path backend needs, shared by the kernel backends. */
public final class HostNetworking {

    private static final Logger LOG = LoggerFactory.getLogger(HostNetworking.class);

    private HostNetworking() {}

    /**
     * Turns on IPv4 forwarding for a network with IPv4: every backend routes between the container
     * bridge and the tunnel or underlay, which the kernel only does with {@code net.ipv4.ip_forward=1}.
     * An IPv6-only network ({@code EnableIPv4: false}) routes nothing IPv4, so the host's IPv4
     * forwarding stays as it is, as every other IPv4 setting does (turning it on would make the host
     * a router of IPv4 between interfaces the overlay does not use); IPv6 forwarding is checked at
     * start instead ({@code net.ipv6.conf.all.forwarding}, in the agent's DualStack).
     */
    public static void enableForwarding(NetworkConfig config) {
        if (!config.enableIPv4()) {
            return;
        }
        if (!"1".equals(Sysctl.get("net/ipv4/ip_forward"))) {
            Sysctl.ipForward(true);
            LOG.info("enabled IPv4 forwarding (net.ipv4.ip_forward=1): overlay traffic is routed through this host");
        }
    }

    /** The IPv4 networks directly attached to the device (its addresses with their prefixes). */
    public static List<Ip4Net> networksOn(NetlinkSocket nl, int linkIndex) {
        List<Ip4Net> out = new ArrayList<>();
        for (Address a : nl.addresses().list()) {
            if (a.linkIndex() == linkIndex && a.isIp4()) {
                out.add(a.ip4().network());
            }
        }
        return out;
    }

    /**
     * The kernel changes a route-programming backend watches: {@code devices} of its own,
     * {@code links} it routes through, and the routes into the overlay's networks, the IPv4
     * one unless the network is IPv6-only and the IPv6 one when enabled.
     */
    public static KernelChanges.Interest interest(Set<String> devices, Set<String> links, NetworkConfig config) {
        return new KernelChanges.Interest(devices, links, config.enableIPv4() ? List.of(config.network()) : List.of(),
                config.ipv6().map(v6 -> List.of(v6.network())).orElse(List.of()));
    }
}
