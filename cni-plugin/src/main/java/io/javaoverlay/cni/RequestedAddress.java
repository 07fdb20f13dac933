package io.javaoverlay.cni;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import io.javaoverlay.cni.model.NetConf;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip6Net;

/**
 * A specific address the runtime asks for, through the conventions host-local honours:
 * {@code CNI_ARGS} {@code IP=10.5.72.9}, the {@code ips} capability in {@code runtimeConfig}, or
 * {@code args.cni.ips}. Entries may carry a prefix ({@code 10.5.72.9/24}); the host subnet
 * decides the prefix anyway. At most one address of each family, as host-local takes one per
 * range: a dual-stack pod may ask for {@code IP=10.5.72.9,fc00:5:0:34::9}.
 */
record RequestedAddress(Optional<Ip4> ipv4, Optional<BigInteger> ipv6) {

    static RequestedAddress of(CniEnv env, NetConf conf) {
        List<String> asked = new ArrayList<>(conf.requestedIps());
        String fromArgs = env.args().get("IP");
        if (fromArgs != null && !fromArgs.isEmpty()) {
            asked.addAll(List.of(fromArgs.split(",")));
        }
        List<Ip4> v4 = new ArrayList<>();
        List<BigInteger> v6 = new ArrayList<>();
        for (String entry : asked) {
            String bare = entry.strip();
            int slash = bare.indexOf('/');
            if (slash >= 0) {
                bare = bare.substring(0, slash);
            }
            try {
                if (bare.indexOf(':') >= 0) {
                    addOnce(v6, Ip6Net.parseAddress(bare));
                } else {
                    addOnce(v4, Ip4.parse(bare));
                }
            } catch (IllegalArgumentException e) {
                throw new CniException(ErrorCode.INVALID_CONFIG, "invalid requested address", e.getMessage());
            }
        }
        if (v4.size() > 1) {
            throw new CniException(ErrorCode.ADDRESS_UNAVAILABLE, "more than one address requested",
                    "requested " + v4 + ", but a container gets one address from the host subnet");
        }
        if (v6.size() > 1) {
            throw new CniException(ErrorCode.ADDRESS_UNAVAILABLE, "more than one IPv6 address requested",
                    "requested " + v6.stream().map(Ip6Net::format).toList() + ", but a container gets one address from the host's"
                            + " IPv6 subnet");
        }
        return new RequestedAddress(v4.stream().findFirst(), v6.stream().findFirst());
    }

    /** Adds {@code ip} to {@code to} unless it is there already. */
    private static <A> void addOnce(List<A> to, A ip) {
        if (!to.contains(ip)) {
            to.add(ip);
        }
    }
}
