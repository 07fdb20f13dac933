package io.javaoverlay.core.agent;

import java.math.BigInteger;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.javaoverlay.core.config.NetworkConfigException;
import io.javaoverlay.core.net.Ip6Net;

/**
 * This host's {@code PublicIPv6} as flanneld v0.28 picks it ({@code LookupExtIface} in
 * {@code pkg/ipmatch}): {@code --public-ipv6} when given, else the IPv6 address the external
 * interface was picked by ({@code --iface <IPv6>}), else the interface's first global IPv6
 * address. {@code --public-ipv6} need not be an address of this host (a host behind NAT), as
 * {@code --public-ip}; it must be one other hosts can send to.
 */
public final class PublicIpv6 {

    /** Addresses that are no host's underlay address (RFC 4291), with why. */
    private static final Map<String, Ip6Net> NOT_GLOBAL = Map.of(
            "the unspecified address", Ip6Net.parse("::/128"),
            "the loopback address", Ip6Net.parse("::1/128"),
            "a link-local address (it needs an interface scope a lease cannot carry)", Ip6Net.parse("fe80::/10"),
            "a multicast address", Ip6Net.parse("ff00::/8"));

    private PublicIpv6() {}

    /**
     * {@code text} in RFC 5952 form (as flannel writes {@code PublicIPv6}) when it is a global
     * unicast IPv6 address.
     *
     * @throws IllegalArgumentException saying what is wrong with it (the caller names the flag)
     */
    public static String parse(String text) {
        String t = text == null ? "" : text.strip();
        BigInteger ip;
        try {
            ip = Ip6Net.parseAddress(t);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("\"" + t + "\" is not an IPv6 address (for an IPv4 address use --public-ip)");
        }
        for (var bad : NOT_GLOBAL.entrySet()) {
            if (bad.getValue().contains(ip)) {
                throw new IllegalArgumentException(t + " is " + bad.getKey() + ", not a global unicast address other hosts can send to");
            }
        }
        return Ip6Net.format(ip);
    }

    /**
     * The {@code PublicIPv6} of a dual-stack host.
     *
     * @param iface      the external interface's name
     * @param ifaceAddrs its IPv6 addresses as the kernel lists them (link-local ones too; no loopback or multicast)
     * @param matched    the IPv6 address the interface was picked by ({@code --iface <IPv6>}), if any
     * @param flag       {@code --public-ipv6}, already {@link #parse parsed}
     * @throws NetworkConfigException as flannel's "failed to find IPv6 address for interface"
     */
    public static String choose(String iface, List<BigInteger> ifaceAddrs, Optional<String> matched, Optional<String> flag) {
        if (flag.isPresent()) {
            // flannel: the interface needs an IPv6 address (a link-local one will do) even when --public-ipv6 is published
            if (ifaceAddrs.isEmpty()) {
                throw noIpv6Address(iface, "it has none, and --public-ipv6 " + flag.get()
                        + " goes out through it: turn IPv6 on for it, pick another interface with --iface, or set EnableIPv6 to false");
            }
            return flag.get();
        }
        if (matched.isPresent()) {
            return matched.get();
        }
        for (BigInteger a : ifaceAddrs) {
            if (NOT_GLOBAL.values().stream().noneMatch(n -> n.contains(a))) {
                return Ip6Net.format(a);
            }
        }
        throw noIpv6Address(iface, (ifaceAddrs.isEmpty() ? "it has none" : "it has only link-local ones, which other hosts"
                + " cannot be sent to") + ": give it a global IPv6 address, pick another interface with --iface, publish an address"
                + " with --public-ipv6, or set EnableIPv6 to false");
    }

    /** flannel's error, and what to do. */
    private static NetworkConfigException noIpv6Address(String iface, String why) {
        return new NetworkConfigException("failed to find IPv6 address for interface " + iface + " (EnableIPv6 is set): " + why);
    }
}
