package io.javaoverlay.cni.model;

import java.util.Optional;
import java.util.OptionalInt;

/** A route in a result; the numeric attributes came with 1.1.0 and are kept when present. */
public record Route(String dst, Optional<String> gw, OptionalInt mtu, OptionalInt advmss, OptionalInt priority,
                    OptionalInt table, OptionalInt scope) {

    public Route {
        if (dst == null || dst.isEmpty()) {
            throw new IllegalArgumentException("a route needs a dst");
        }
        gw = gw == null ? Optional.empty() : gw;
        mtu = mtu == null ? OptionalInt.empty() : mtu;
        advmss = advmss == null ? OptionalInt.empty() : advmss;
        priority = priority == null ? OptionalInt.empty() : priority;
        table = table == null ? OptionalInt.empty() : table;
        scope = scope == null ? OptionalInt.empty() : scope;
    }

    public static Route via(String dst, String gw) {
        return new Route(dst, Optional.of(gw), null, null, null, null, null);
    }
}
