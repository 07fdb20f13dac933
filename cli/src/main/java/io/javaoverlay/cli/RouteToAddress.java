package io.javaoverlay.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import io.javaoverlay.core.agent.Ipv6RouteTable;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip6Net;

/**
 * flanneld's {@code --iface-can-reach}: the interface this host's routes send an address out
 * of, as {@code ip route get ADDRESS} names it: {@code lo} for an address of this host (the
 * kernel's local table, consulted first), else from {@code /proc/net/route} (the main table of
 * this network namespace): the longest matching prefix, then the lowest metric. Other policy
 * routing rules and tables are not consulted. An IPv6 address is looked up the same way in
 * {@code /proc/net/ipv6_route} ({@link Ipv6RouteTable}).
 */
final class RouteToAddress {

    private final Path routeTable;
    private final Path ipv6RouteTable;

    RouteToAddress(Path routeTable, Path ipv6RouteTable) {
        this.routeTable = routeTable;
        this.ipv6RouteTable = ipv6RouteTable;
    }

    RouteToAddress() {
        this(Path.of("/proc/net/route"), Ipv6RouteTable.PROC);
    }

    /** The name of the interface that reaches IPv6 address {@code target} (RFC 5952 or any form), or empty when no route does. */
    Optional<String> interfaceFor6(String target) {
        java.math.BigInteger ip = Ip6Net.parseAddress(target);
        return Ipv6RouteTable.read(ipv6RouteTable).interfaceFor(ip, isLocal(Ip6Net.toInetAddress(ip)));
    }

    /** The name of the interface that reaches {@code target}, or empty when no route does. */
    Optional<String> interfaceFor(Ip4 target) {
        if (isLocal(target)) {
            return Optional.of("lo");
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(routeTable);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the routing table " + routeTable, e);
        }
        long address = target.unsigned();
        String best = null;
        int bestLength = -1;
        long bestMetric = Long.MAX_VALUE;
        for (String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 8 || (Integer.parseInt(f[3], 16) & 0x1) == 0) {
                continue; // not a route, or not up (RTF_UP)
            }
            long destination = hostOrder(f[1]);
            long mask = hostOrder(f[7]);
            long metric = Long.parseLong(f[6]);
            int length = Long.bitCount(mask);
            if ((address & mask) == destination
                    && (length > bestLength || (length == bestLength && metric < bestMetric))) {
                best = f[0];
                bestLength = length;
                bestMetric = metric;
            }
        }
        return Optional.ofNullable(best);
    }

    private static boolean isLocal(Ip4 target) {
        return isLocal(target.toInetAddress());
    }

    private static boolean isLocal(java.net.InetAddress a) {
        try {
            return a.isLoopbackAddress() || java.net.NetworkInterface.getByInetAddress(a) != null;
        } catch (java.net.SocketException e) {
            throw new UncheckedIOException("cannot list this host's addresses", e);
        }
    }

    /** /proc/net/route prints addresses as the kernel holds them: network byte order read as a little-endian int. */
    private static long hostOrder(String hex) {
        return Integer.toUnsignedLong(Integer.reverseBytes((int) Long.parseLong(hex, 16)));
    }
}
