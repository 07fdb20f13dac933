package io.javaoverlay.core.config;

import java.math.BigInteger;

import io.javaoverlay.core.net.Ip6Net;

/**
 * The IPv6 half of a dual-stack network config ({@code EnableIPv6: true}), with flannel's defaults
 * applied: {@code IPv6SubnetLen} 64 when the network is a /62 or wider, else prefix+2; min and max
 * the second and the last subnet.
 */
public record Ipv6Config(Ip6Net network, int subnetLen, BigInteger subnetMin, BigInteger subnetMax) {

    public Ipv6Config {
        if (network == null || subnetMin == null || subnetMax == null) {
            throw new IllegalArgumentException("IPv6 network and range are required");
        }
    }

    /** Whether {@code subnet} may be leased: IPv6SubnetLen long, its address within IPv6SubnetMin..IPv6SubnetMax. */
    public boolean fits(Ip6Net subnet) {
        return subnet.prefixLength() == subnetLen && subnet.address().compareTo(subnetMin) >= 0 && subnet.address().compareTo(subnetMax) <= 0;
    }

    static Ipv6Config resolve(Ip6Net network, Integer subnetLen, BigInteger min, BigInteger max) {
        int len;
        if (subnetLen != null && subnetLen > 0) {
            if (subnetLen > 126) {
                throw new NetworkConfigException("IPv6SubnetLen " + subnetLen + " is too long: use 126 or less");
            }
            if (subnetLen < network.prefixLength() + 2) {
                throw new NetworkConfigException("IPv6SubnetLen " + subnetLen + " is too short for IPv6Network " + network
                        + ": use at least " + (network.prefixLength() + 2) + " so the network holds four subnets");
            }
            len = subnetLen;
        } else if (network.prefixLength() > 124) {
            throw new NetworkConfigException("IPv6Network " + network + " is too small: use a /124 or wider");
        } else {
            len = network.prefixLength() <= 62 ? 64 : network.prefixLength() + 2;
        }
        BigInteger size = Ip6Net.size(len);
        BigInteger lo = min != null ? min : network.address().add(size);
        BigInteger hi = max != null ? max : network.end().subtract(size);
        check("IPv6SubnetMin", lo, network, len);
        check("IPv6SubnetMax", hi, network, len);
        if (lo.compareTo(hi) > 0) {
            throw new NetworkConfigException("IPv6SubnetMin " + Ip6Net.format(lo) + " is above IPv6SubnetMax " + Ip6Net.format(hi)
                    + ": swap them or widen the range");
        }
        return new Ipv6Config(network, len, lo, hi);
    }

    private static void check(String name, BigInteger ip, Ip6Net network, int len) {
        if (!network.contains(ip)) {
            throw new NetworkConfigException(name + " " + Ip6Net.format(ip) + " is outside IPv6Network " + network);
        }
        BigInteger aligned = ip.andNot(Ip6Net.hostMask(len));
        if (!aligned.equals(ip)) {
            throw new NetworkConfigException(name + " " + Ip6Net.format(ip) + " is not on a /" + len + " boundary: use "
                    + Ip6Net.format(aligned));
        }
    }
}
