package io.javaoverlay.core.net;

import java.util.List;
import java.util.Optional;

/**
 * The IPv4 ranges that can be neither an overlay network nor a host's public address (RFC 6890's
 * special-purpose registry, the parts that matter to routing): what the trust checks of the
 * network config and of other hosts' leases compare against.
 */
public final class Ip4Ranges {

    private Ip4Ranges() {}

    /** A named special-purpose range. */
    public record Special(Ip4Net range, String name) {}

    /** "This network": 0.0.0.0/8, never a destination (0.0.0.0 is the unspecified address). */
    public static final Special THIS_NETWORK = new Special(Ip4Net.parse("0.0.0.0/8"), "\"this network\" (0.0.0.0/8)");
    public static final Special LOOPBACK = new Special(Ip4Net.parse("127.0.0.0/8"), "loopback (127.0.0.0/8)");
    public static final Special LINK_LOCAL = new Special(Ip4Net.parse("169.254.0.0/16"), "link-local (169.254.0.0/16)");
    public static final Special MULTICAST = new Special(Ip4Net.parse("224.0.0.0/4"), "multicast (224.0.0.0/4)");
    /** 240.0.0.0/4 holds the limited broadcast address 255.255.255.255 too. */
    public static final Special RESERVED = new Special(Ip4Net.parse("240.0.0.0/4"), "reserved or broadcast (240.0.0.0/4)");

    /** What an overlay Network must not overlap: packets to these never take a unicast route. */
    private static final List<Special> NOT_ROUTABLE = List.of(THIS_NETWORK, LOOPBACK, LINK_LOCAL, MULTICAST, RESERVED);
    /** What a peer's public IP must not be in (link-local stays allowed: an underlay may use it). */
    private static final List<Special> NOT_A_HOST = List.of(THIS_NETWORK, LOOPBACK, MULTICAST, RESERVED);

    /** The first special range {@code network} overlaps, if any: such a network cannot be an overlay. */
    public static Optional<Special> overlappedBy(Ip4Net network) {
        return NOT_ROUTABLE.stream().filter(s -> s.range().overlaps(network)).findFirst();
    }

    /** Why {@code ip} cannot be another host's unicast address, if it cannot. */
    public static Optional<Special> notAHost(Ip4 ip) {
        return NOT_A_HOST.stream().filter(s -> s.range().contains(ip)).findFirst();
    }
}
