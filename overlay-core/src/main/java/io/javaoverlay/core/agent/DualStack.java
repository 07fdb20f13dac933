package io.javaoverlay.core.agent;

import java.io.IOException;
import java.math.BigInteger;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.javaoverlay.core.backend.ExternalInterface;
import io.javaoverlay.core.config.BackendType;
import io.javaoverlay.core.config.NetworkConfig;
import io.javaoverlay.core.config.NetworkConfigException;
import io.javaoverlay.core.config.SubnetEnv;
import io.javaoverlay.core.config.WireguardOptions;
import io.javaoverlay.core.firewall.RuleScope;
import io.javaoverlay.core.lease.Lease;
import io.javaoverlay.core.lease.SubnetManager;
import io.javaoverlay.core.net.Ip6Net;
import io.javaoverlay.core.netlink.Sysctl;

/**
 * What the agent does differently with {@code EnableIPv6}: which set-ups it runs and which it
 * refuses (docs/ipv6.md), this host's {@code PublicIPv6}, and the IPv6 subnet of an earlier
 * subnet file. Dual-stack runs with the vxlan, host-gw and wireguard (Mode separate) backends; IPv6-only
 * ({@code EnableIPv4: false}) with the Kubernetes subnet manager and the vxlan, host-gw and wireguard (Mode separate) backends; everything not
 * built yet is refused before anything is changed.
 */
final class DualStack {

    private static final Logger LOG = LoggerFactory.getLogger(DualStack.class);

    private DualStack() {}

    /** Refuses what javaoverlay cannot do for {@code c} with etcd or the embedded store; the message says what to change. */
    static void refuseUnsupported(NetworkConfig c, AgentOptions options) {
        refuseUnsupported(c, options, false);
    }

    /**
     * Refuses what javaoverlay cannot do for {@code c}; the message says what to change.
     *
     * @param storeHoldsIpv6Only whether the lease store runs IPv6-only networks (the Kubernetes subnet manager)
     */
    static void refuseUnsupported(NetworkConfig c, AgentOptions options, boolean storeHoldsIpv6Only) {
        if (!c.enableIPv4()) {
            if (!storeHoldsIpv6Only) {
                throw new NetworkConfigException(SubnetManager.IPV6_ONLY_NEEDS_KUBE);
            }
            if (c.backendType() == BackendType.UDP) {
                throw new NetworkConfigException("an IPv6-only network (EnableIPv4: false) cannot run the udp backend: it carries IPv4"
                        + " packets only, as in flannel; use \"Backend\": {\"Type\": \"vxlan\"} or {\"Type\": \"host-gw\"} (see docs/ipv6.md)");
            }
            if (c.backendType() == BackendType.WIREGUARD && c.backend().wireguard().mode() != WireguardOptions.Mode.SEPARATE) {
                throw new NetworkConfigException("an IPv6-only network (EnableIPv4: false) runs wireguard with Mode \"separate\", the"
                        + " default (flannel-wg-v6 alone); Mode \"" + c.backend().wireguard().mode().flannelName() + "\" is not run"
                        + " IPv6-only by javaoverlay: remove Backend.Mode (see docs/wireguard.md)");
            }
            requireIpv6Forwarding(options, ": an IPv6-only network needs it");
            return;
        }
        if (c.ipv6().isEmpty()) {
            if (c.backendType() == BackendType.WIREGUARD && c.backend().wireguard().mode() == WireguardOptions.Mode.IPV6) {
                // flannel publishes PublicIPv6 only with EnableIPv6: without it there is no endpoint to dial
                throw new NetworkConfigException("wireguard Backend.Mode \"ipv6\" reaches peers at their PublicIPv6, which hosts"
                        + " publish only with EnableIPv6: set EnableIPv6 and IPv6Network, or use Mode \"separate\" (see docs/wireguard.md)");
            }
            return;
        }
        if (c.backendType() == BackendType.UDP) {
            throw new NetworkConfigException("EnableIPv6 with the udp backend is not supported by javaoverlay: dual-stack runs with"
                    + " \"Backend\": {\"Type\": \"vxlan\"}, {\"Type\": \"host-gw\"} or {\"Type\": \"wireguard\"} (udp is IPv4 only,"
                    + " as in flannel); use vxlan or host-gw, or set EnableIPv6 to false (see docs/ipv6.md)");
        }
        requireIpv6Forwarding(options, ", or set EnableIPv6 to false");
    }

    /** Refuses a host that would not route IPv6; {@code ending} closes the message (what else the user can do). */
    private static void requireIpv6Forwarding(AgentOptions options, String ending) {
        if (options.dataPath() && !"1".equals(Sysctl.get("net/ipv6/conf/all/forwarding"))) {
            throw new NetworkConfigException("net.ipv6.conf.all.forwarding is not 1: this host would not route IPv6 overlay traffic;"
                    + " set it (on interfaces configured by router advertisements also set accept_ra=2)" + ending);
        }
    }

    /**
     * This host's {@code PublicIPv6}, as flannel picks it ({@link PublicIpv6}): {@code --public-ipv6},
     * else the address {@code --iface} picked the interface by, else the external interface's first
     * global IPv6 address. Empty without IPv6 ({@code --public-ipv6} is then unused, as in flannel).
     */
    static Optional<String> publicIpv6(NetworkConfig c, ExternalInterface ext, Optional<String> flag) {
        if (c.ipv6().isEmpty()) {
            flag.ifPresent(f -> LOG.info("--public-ipv6 {} is not used: EnableIPv6 is not set", f));
            return Optional.empty();
        }
        Ip6Net network = c.ipv6().get().network();
        if (flag.isPresent() && network.contains(Ip6Net.parseAddress(flag.get()))) {
            throw new NetworkConfigException("--public-ipv6 " + flag.get() + " lies inside IPv6Network " + network + ": other hosts"
                    + " refuse such a lease (their tunnel packets would be routed into the overlay); publish an underlay address");
        }
        List<BigInteger> addrs = new ArrayList<>();
        try {
            NetworkInterface nif = NetworkInterface.getByName(ext.name());
            if (nif != null) {
                for (InetAddress a : Collections.list(nif.getInetAddresses())) {
                    if (a instanceof Inet6Address && !a.isLoopbackAddress() && !a.isMulticastAddress()) {
                        addrs.add(new BigInteger(1, a.getAddress()));
                    }
                }
            }
        } catch (SocketException e) {
            throw new NetworkConfigException("cannot read the IPv6 addresses of " + ext.name() + ": " + e.getMessage());
        }
        String chosen = PublicIpv6.choose(ext.name(), addrs, ext.matchedIpv6(), flag);
        LOG.info("PublicIPv6 {} ({})", chosen, flag.isPresent() ? "--public-ipv6"
                : ext.matchedIpv6().isPresent() ? "the address --iface or --iface-regex picked " + ext.name() + " by"
                : "the first global IPv6 address of " + ext.name());
        return Optional.of(chosen);
    }

    /** What the firewall rules are for: both families with a dual-stack lease, IPv6 alone with an IPv6-only one, IPv4 alone otherwise. */
    static RuleScope ruleScope(NetworkConfig c, Lease lease) {
        if (lease.isIpv6Only()) {
            // as flanneld with EnableIPv4: false: ip6tables (or nftables' ip6 table) only
            return RuleScope.ipv6Only(c.ipv6().orElseThrow().network(), lease.ipv6Subnet().get());
        }
        Optional<Ip6Net> lease6 = lease.ipv6Subnet().filter(l -> c.ipv6().isPresent());
        return new RuleScope(c.network(), lease.subnet(), lease6.flatMap(l -> c.ipv6().map(v6 -> v6.network())), lease6);
    }

    /** The IPv6 subnet of an earlier subnet file, reused with its IPv4 subnet as flannel does. */
    static Optional<Ip6Net> previousIpv6(Path subnetFile) {
        try {
            return SubnetEnv.read(subnetFile).ipv6Lease();
        } catch (IOException | IllegalArgumentException e) {
            return Optional.empty(); // the IPv4 reading already said why
        }
    }
}
