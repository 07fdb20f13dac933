package io.javaoverlay.cni;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import io.javaoverlay.cni.model.NetConf;
import io.javaoverlay.core.net.Ip4;

/**
 * A specific address the runtime asks for, through the conventions host-local honours:
 * {@code CNI_ARGS} {@code IP=10.5.72.9}, the {@code ips} capability in {@code runtimeConfig}, or
 * {@code args.cni.ips}. Entries may carry a prefix ({@code 10.5.72.9/24}); the host subnet
 * decides the prefix anyway.
 */
final class RequestedAddress {

    private RequestedAddress() {}

    static Optional<Ip4> of(CniEnv env, NetConf conf) {
        List<String> asked = new ArrayList<>(conf.requestedIps());
        String fromArgs = env.args().get("IP");
        if (fromArgs != null && !fromArgs.isEmpty()) {
            asked.addAll(List.of(fromArgs.split(",")));
        }
        List<Ip4> v4 = new ArrayList<>();
        for (String entry : asked) {
            String bare = entry.strip();
            int slash = bare.indexOf('/');
            if (slash >= 0) {
                bare = bare.substring(0, slash);
            }
            if (bare.indexOf(':') >= 0) {
                throw new CniException(ErrorCode.ADDRESS_UNAVAILABLE, "IPv6 addresses cannot be requested",
                        "requested " + entry + ", but this plugin assigns IPv4 addresses from the host subnet only");
            }
            try {
                Ip4 ip = Ip4.parse(bare);
                if (!v4.contains(ip)) {
                    v4.add(ip);
                }
            } catch (IllegalArgumentException e) {
                throw new CniException(ErrorCode.INVALID_CONFIG, "invalid requested address", e.getMessage());
            }
        }
        if (v4.size() > 1) {
            throw new CniException(ErrorCode.ADDRESS_UNAVAILABLE, "more than one address requested",
                    "requested " + v4 + ", but a container gets one address from the host subnet");
        }
        return v4.stream().findFirst();
    }
}
