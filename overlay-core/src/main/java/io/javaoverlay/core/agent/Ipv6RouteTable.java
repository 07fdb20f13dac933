package io.javaoverlay.core.agent;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import io.javaoverlay.core.net.Ip6Net;

/**
 * This network namespace's IPv6 routes as {@code /proc/net/ipv6_route} prints them, for picking the
 * external interface without netlink (as {@code /proc/net/route} serves the IPv4 side): the default
 * route's interface (flannel's {@code GetDefaultV6GatewayInterface}) and the interface a destination
 * goes out of ({@code --iface-can-reach}).
 *
 * <p>A line is {@code dest plen src srcplen nexthop metric refcnt use flags dev}, addresses as 32 hex
 * digits, numbers in hex. The file lists every table; routes that are not up, reject routes (the
 * kernel's {@code ::/0 dev lo} placeholder is one) and the local table's routes (flag
 * {@code RTF_LOCAL}: this host's own addresses, answered by {@link #interfaceFor} before) are left
 * out. Routes of other tables than main are not told apart: with policy routing, check
 * {@code ip -6 route get}.
 */
public final class Ipv6RouteTable {

    public static final Path PROC = Path.of("/proc/net/ipv6_route");

    private static final int RTF_UP = 0x0001;
    private static final int RTF_REJECT = 0x0200;
    private static final long RTF_LOCAL = 0x80000000L;

    /** One usable route. */
    record Entry(Ip6Net destination, long metric, String device) {}

    private final List<Entry> routes;

    private Ipv6RouteTable(List<Entry> routes) {
        this.routes = List.copyOf(routes);
    }

    /** The table in {@code file}; empty when the file does not exist (a kernel without IPv6). */
    public static Ipv6RouteTable read(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (NoSuchFileException e) {
            return new Ipv6RouteTable(List.of());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the IPv6 routing table " + file, e);
        }
        List<Entry> out = new ArrayList<>();
        for (String line : lines) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 10 || f[0].length() != 32) {
                continue;
            }
            try {
                long flags = Long.parseLong(f[8], 16);
                if ((flags & RTF_UP) == 0 || (flags & RTF_REJECT) != 0 || (flags & RTF_LOCAL) != 0) {
                    continue;
                }
                BigInteger dest = new BigInteger(f[0], 16);
                int length = Integer.parseInt(f[1], 16);
                out.add(new Entry(new Ip6Net(dest.andNot(Ip6Net.hostMask(length)), length), Long.parseLong(f[5], 16), f[9]));
            } catch (IllegalArgumentException e) {
                // not a line of this format: skipped, as /proc/net/route's header is
            }
        }
        return new Ipv6RouteTable(out);
    }

    /** The interface of the IPv6 default route ({@code ::/0}) with the lowest metric. */
    public Optional<String> defaultInterface() {
        return best(BigInteger.ZERO, 0);
    }

    /**
     * The interface the longest matching route sends {@code target} out of (then the lowest
     * metric); {@code lo} for an address of this host.
     */
    public Optional<String> interfaceFor(BigInteger target, boolean local) {
        return local ? Optional.of("lo") : best(target, 128);
    }

    /** Among routes no longer than {@code maxLength} that contain {@code target}: the longest, then the lowest metric. */
    private Optional<String> best(BigInteger target, int maxLength) {
        Entry best = null;
        for (Entry e : routes) {
            if (e.destination().prefixLength() > maxLength || !e.destination().contains(target)) {
                continue;
            }
            if (best == null || e.destination().prefixLength() > best.destination().prefixLength()
                    || (e.destination().prefixLength() == best.destination().prefixLength() && e.metric() < best.metric())) {
                best = e;
            }
        }
        return Optional.ofNullable(best).map(Entry::device);
    }
}
