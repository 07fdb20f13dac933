package io.javaoverlay.core.agent;

import java.io.IOException;
import java.math.BigInteger;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InterfaceAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.javaoverlay.core.backend.ExternalInterface;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.Ip6Net;

/**
 * Picks the external interface as flanneld does, from what this network namespace shows
 * ({@link NetworkInterface}, {@code /proc/net/route} and {@code /proc/net/ipv6_route}; no netlink needed):
 *
 * <ol>
 *   <li>each {@code --iface} in order, an IPv4 or IPv6 address (the interface holding it) or a name;</li>
 *   <li>then each {@code --iface-regex} in order, matched against addresses, then names. Without
 *       IPv6, against IPv4 addresses. With {@code EnableIPv6} first an interface where an IPv4 and an
 *       IPv6 address both match (flannel's rule), then one where either does; a matched IPv6 address
 *       becomes the {@code PublicIPv6};</li>
 *   <li>with neither: the interface holding {@code --public-ip} if any (exactly, or inside its
 *       prefix, as 127.0.0.2 is inside lo's 127.0.0.0/8); without {@code --public-ip}, the one
 *       holding {@code --public-ipv6} (as flannel's {@code LookupExtIface}); else the default
 *       route's interface. With {@code EnableIPv6} the IPv4 and the IPv6 default routes must leave
 *       through one interface when both exist (flannel's check); either alone will do.</li>
 * </ol>
 *
 * The interface's address is the IPv4 one matched, else its first IPv4 address (a non-loopback one
 * first); the public IP is {@code --public-ip}, else that address. An interface picked by an IPv6
 * address carries it as {@link ExternalInterface#matchedIpv6()}, the {@code PublicIPv6} unless
 * {@code --public-ipv6} is given ({@link PublicIpv6}).
 */
public final class ExternalInterfaces {

    private static final Logger LOG = LoggerFactory.getLogger(ExternalInterfaces.class);

    private static final Ip6Net LINK_LOCAL6 = Ip6Net.parse("fe80::/10");
    private static final Ip6Net MULTICAST6 = Ip6Net.parse("ff00::/8");

    private final Path routeTable;
    private final Path ipv6RouteTable;

    public ExternalInterfaces() {
        this(Path.of("/proc/net/route"), Ipv6RouteTable.PROC);
    }

    ExternalInterfaces(Path routeTable, Path ipv6RouteTable) {
        this.routeTable = routeTable;
        this.ipv6RouteTable = ipv6RouteTable;
    }

    /** Failure to find an interface; the message lists what was tried and what exists. */
    public static final class NoInterfaceException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public NoInterfaceException(String message) {
            super(message);
        }
    }

    public ExternalInterface select(List<String> ifaces, List<String> regexes, Optional<Ip4> publicIp) {
        return select(ifaces, regexes, publicIp, Optional.empty());
    }

    /** @param publicIpv6 {@code --public-ipv6} as {@link PublicIpv6#parse} gives it */
    public ExternalInterface select(List<String> ifaces, List<String> regexes, Optional<Ip4> publicIp, Optional<String> publicIpv6) {
        return select(ifaces, regexes, publicIp, publicIpv6, false);
    }

    /**
     * @param publicIpv6 {@code --public-ipv6} as {@link PublicIpv6#parse} gives it
     * @param ipv6       the network config's {@code EnableIPv6}: regexes match IPv6 addresses too, and
     *                   the IPv6 default route counts
     */
    public ExternalInterface select(List<String> ifaces, List<String> regexes, Optional<Ip4> publicIp, Optional<String> publicIpv6,
                                    boolean ipv6) {
        Optional<Match> match = Optional.empty();
        if (!ifaces.isEmpty() || !regexes.isEmpty()) {
            match = firstMatch(ifaces, this::byIfaceFlag, "", regexes, regex -> byRegex(regex, ipv6));
            if (match.isEmpty()) {
                throw new NoInterfaceException("no interface matches --iface " + ifaces + " or --iface-regex " + regexes
                        + "; interfaces here: " + available());
            }
        } else if (publicIp.isPresent() || publicIpv6.isPresent()) {
            // with both given, the interface is the one holding --public-ip
            match = publicIp.isPresent() ? holding(publicIp.get()) : holding6(publicIpv6.get());
            if (match.isEmpty()) {
                match = defaultRoute(ipv6);
            }
            if (match.isEmpty()) {
                String flag = publicIp.isPresent() ? "--public-ip " + publicIp.get() : "--public-ipv6 " + publicIpv6.get();
                throw new NoInterfaceException("no interface holds " + flag + " and there is no default route: pass --iface;"
                        + " interfaces here: " + available());
            }
        } else {
            match = defaultRoute(ipv6);
            if (match.isEmpty()) {
                throw new NoInterfaceException("there is no default route to pick the external interface from: pass --iface "
                        + "(a name, an IPv4 or an IPv6 address) or --public-ip; interfaces here: " + available());
            }
        }
        Match m = match.get();
        int mtu = mtu(m.iface);
        ExternalInterface ext = new ExternalInterface(m.iface.getName(), m.iface.getIndex(), mtu, m.addr, publicIp.orElse(m.addr), m.ipv6);
        LOG.info("using interface {} with address {}{}; public IP {}", ext.name(), ext.ifaceAddr(),
                m.ipv6.map(a -> " (picked by its IPv6 address " + a + ")").orElse(""), ext.publicIp());
        return ext;
    }

    /**
     * The external interface of an IPv6-only network ({@code EnableIPv4: false}), as flannel's
     * {@code LookupExtIface} with its IPv6 stack picks it: no IPv4 address is needed. Each
     * {@code --iface} (an IPv6 address, exactly, or a name; an IPv4 address matches nothing here), then
     * each {@code --iface-regex} against the interfaces' IPv6 addresses, then their names; with neither,
     * the interface holding {@code --public-ipv6}, else the IPv6 default route's. {@code --public-ip} is
     * refused: nothing IPv4 is published.
     */
    public ExternalInterface selectIpv6Only(List<String> ifaces, List<String> regexes, Optional<Ip4> publicIp,
                                            Optional<String> publicIpv6) {
        if (publicIp.isPresent()) {
            throw new NoInterfaceException("--public-ip " + publicIp.get() + " is an IPv4 address, but the network is IPv6-only"
                    + " (EnableIPv4: false) and publishes none: use --public-ipv6");
        }
        Optional<Match6> match = Optional.empty();
        if (!ifaces.isEmpty() || !regexes.isEmpty()) {
            match = firstMatch(ifaces, this::byIfaceFlag6, " (IPv6-only: an IPv6 address or a name)", regexes, this::byRegex6);
            if (match.isEmpty()) {
                throw new NoInterfaceException("no interface matches --iface " + ifaces + " or --iface-regex " + regexes
                        + " (IPv6-only network); interfaces here: " + available6());
            }
        } else {
            if (publicIpv6.isPresent()) {
                match = holding6Only(publicIpv6.get());
            }
            if (match.isEmpty()) {
                match = defaultRoute6();
            }
            if (match.isEmpty()) {
                throw new NoInterfaceException("there is no IPv6 default route to pick the external interface from"
                        + publicIpv6.map(a -> " and no interface holds --public-ipv6 " + a).orElse("")
                        + ": pass --iface (a name or an IPv6 address); interfaces here: " + available6());
            }
        }
        Match6 m = match.get();
        int mtu = mtu(m.iface());
        ExternalInterface ext = ExternalInterface.ipv6Only(m.iface().getName(), m.iface().getIndex(), mtu, m.ipv6());
        LOG.info("using interface {}, IPv6 only{}", ext.name(), m.ipv6().map(a -> " (picked by its IPv6 address " + a + ")").orElse(""));
        return ext;
    }

    /**
     * flannel's order: each {@code --iface} in turn, then each {@code --iface-regex}; the first that
     * matches, or empty. Every miss is logged ({@code ifaceNote} follows the {@code --iface} ones).
     */
    private static <M> Optional<M> firstMatch(List<String> ifaces, Function<String, Optional<M>> byIface, String ifaceNote,
                                              List<String> regexes, Function<String, Optional<M>> byRegex) {
        for (String spec : ifaces) {
            Optional<M> match = byIface.apply(spec);
            if (match.isPresent()) {
                return match;
            }
            LOG.info("no usable interface matches --iface {}{}", spec, ifaceNote);
        }
        for (String regex : regexes) {
            Optional<M> match = byRegex.apply(regex);
            if (match.isPresent()) {
                return match;
            }
            LOG.info("no interface matches --iface-regex {}", regex);
        }
        return Optional.empty();
    }

    private static int mtu(NetworkInterface iface) {
        try {
            return iface.getMTU();
        } catch (SocketException e) {
            throw new NoInterfaceException("cannot read the MTU of " + iface.getName() + ": " + e.getMessage());
        }
    }

    /** An interface of an IPv6-only network and the IPv6 address it was picked by, if it was. */
    private record Match6(NetworkInterface iface, Optional<String> ipv6) {}

    private Optional<Match6> byIfaceFlag6(String spec) {
        Optional<BigInteger> v6 = parseIp6(spec);
        if (v6.isPresent()) {
            return holding6Only(Ip6Net.format(v6.get()));
        }
        if (parseIp(spec).isPresent()) {
            return Optional.empty(); // an IPv4 address picks no interface in an IPv6-only network (flannel's neither)
        }
        try {
            NetworkInterface ni = NetworkInterface.getByName(spec);
            return ni == null ? Optional.empty() : Optional.of(new Match6(ni, Optional.empty()));
        } catch (SocketException e) {
            return Optional.empty();
        }
    }

    private Optional<Match6> byRegex6(String regex) {
        Pattern p;
        try {
            p = Pattern.compile(regex);
        } catch (PatternSyntaxException e) {
            throw new NoInterfaceException("--iface-regex " + regex + " is not a valid regular expression: " + e.getDescription());
        }
        for (NetworkInterface ni : interfaces()) {
            Optional<BigInteger> v6 = matching6(ni, p);
            if (v6.isPresent()) {
                return Optional.of(new Match6(ni, publishable(v6.get())));
            }
        }
        for (NetworkInterface ni : interfaces()) {
            if (p.matcher(ni.getName()).find()) {
                return Optional.of(new Match6(ni, Optional.empty()));
            }
        }
        return Optional.empty();
    }

    /** The interface holding IPv6 address {@code ip} exactly (flannel's {@code GetInterfaceByIP6}); no IPv4 address needed. */
    private Optional<Match6> holding6Only(String ip) {
        BigInteger wanted = Ip6Net.parseAddress(ip);
        return holdingIpv6(wanted).map(ni -> new Match6(ni, Optional.of(Ip6Net.format(wanted))));
    }

    /** The first interface holding the IPv6 address {@code wanted} (exactly). */
    private Optional<NetworkInterface> holdingIpv6(BigInteger wanted) {
        for (NetworkInterface ni : interfaces()) {
            for (InterfaceAddress a : ni.getInterfaceAddresses()) {
                if (a.getAddress() instanceof Inet6Address v6 && new BigInteger(1, v6.getAddress()).equals(wanted)) {
                    return Optional.of(ni);
                }
            }
        }
        return Optional.empty();
    }

    /** The IPv6 default route's interface (flannel's {@code GetDefaultV6GatewayInterface}). */
    private Optional<Match6> defaultRoute6() {
        Optional<String> name;
        try {
            name = Ipv6RouteTable.read(ipv6RouteTable).defaultInterface();
        } catch (java.io.UncheckedIOException e) {
            throw new NoInterfaceException(e.getMessage() + ": " + e.getCause().getMessage());
        }
        if (name.isEmpty()) {
            return Optional.empty();
        }
        LOG.info("determining the external interface from the IPv6 default route: {}", name.get());
        try {
            NetworkInterface ni = NetworkInterface.getByName(name.get());
            return ni == null ? Optional.empty() : Optional.of(new Match6(ni, Optional.empty()));
        } catch (SocketException e) {
            return Optional.empty();
        }
    }

    private static String available6() {
        List<String> out = new ArrayList<>();
        for (NetworkInterface ni : interfaces()) {
            List<String> v6 = new ArrayList<>();
            for (InterfaceAddress a : ni.getInterfaceAddresses()) {
                if (a.getAddress() instanceof Inet6Address x) {
                    v6.add(Ip6Net.format(new BigInteger(1, x.getAddress())));
                }
            }
            out.add(ni.getName() + v6);
        }
        return String.join(", ", out);
    }

    /** @param ipv6 the IPv6 address the interface was picked by, if it was */
    private record Match(NetworkInterface iface, Ip4 addr, Optional<String> ipv6) {
        Match(NetworkInterface iface, Ip4 addr) {
            this(iface, addr, Optional.empty());
        }
    }

    private Optional<Match> byIfaceFlag(String spec) {
        Optional<BigInteger> v6 = parseIp6(spec);
        if (v6.isPresent()) {
            return holding6(Ip6Net.format(v6.get()));
        }
        Optional<Ip4> ip = parseIp(spec);
        if (ip.isPresent()) {
            for (NetworkInterface ni : interfaces()) {
                for (Ip4Net.HostAddress a : ipv4(ni)) {
                    if (a.ip().equals(ip.get())) {
                        return Optional.of(new Match(ni, a.ip()));
                    }
                }
            }
            return Optional.empty();
        }
        try {
            NetworkInterface ni = NetworkInterface.getByName(spec);
            return ni == null ? Optional.empty() : firstAddress(ni).map(a -> new Match(ni, a));
        } catch (SocketException e) {
            return Optional.empty();
        }
    }

    private Optional<Match> byRegex(String regex, boolean ipv6) {
        Pattern p;
        try {
            p = Pattern.compile(regex);
        } catch (PatternSyntaxException e) {
            throw new NoInterfaceException("--iface-regex " + regex + " is not a valid regular expression: " + e.getDescription());
        }
        if (ipv6) {
            // flannel, dual-stack: an interface where an IPv4 and an IPv6 address both match
            for (NetworkInterface ni : interfaces()) {
                Optional<Ip4> v4 = matching4(ni, p);
                Optional<BigInteger> v6 = matching6(ni, p);
                if (v4.isPresent() && v6.isPresent()) {
                    return Optional.of(new Match(ni, v4.get(), publishable(v6.get())));
                }
            }
            // javaoverlay: one family matching will do (flannel finds no interface here and goes on to names)
            for (NetworkInterface ni : interfaces()) {
                Optional<Ip4> v4 = matching4(ni, p);
                Optional<BigInteger> v6 = matching6(ni, p);
                if (v4.isPresent()) {
                    return Optional.of(new Match(ni, v4.get()));
                }
                if (v6.isPresent()) {
                    Optional<Ip4> first = firstAddress(ni);
                    if (first.isPresent()) {
                        return Optional.of(new Match(ni, first.get(), publishable(v6.get())));
                    }
                    LOG.info("{} has {}, which matches --iface-regex {}, but no IPv4 address", ni.getName(), Ip6Net.format(v6.get()), regex);
                }
            }
        } else {
            for (NetworkInterface ni : interfaces()) {
                Optional<Ip4> v4 = matching4(ni, p);
                if (v4.isPresent()) {
                    return Optional.of(new Match(ni, v4.get()));
                }
            }
        }
        for (NetworkInterface ni : interfaces()) {
            if (p.matcher(ni.getName()).find()) {
                Optional<Ip4> a = firstAddress(ni);
                if (a.isPresent()) {
                    return Optional.of(new Match(ni, a.get()));
                }
            }
        }
        return Optional.empty();
    }

    private static Optional<Ip4> matching4(NetworkInterface ni, Pattern p) {
        return ipv4(ni).stream().map(Ip4Net.HostAddress::ip).filter(ip -> p.matcher(ip.toString()).find()).findFirst();
    }

    /**
     * The first of {@code ni}'s IPv6 addresses (global ones, then link-local ones, as flannel's
     * {@code GetInterfaceIP6Addrs} lists them) whose RFC 5952 form (Go's {@code net.IP.String()})
     * matches {@code p}.
     */
    private static Optional<BigInteger> matching6(NetworkInterface ni, Pattern p) {
        List<BigInteger> addrs = new ArrayList<>();
        for (InterfaceAddress a : ni.getInterfaceAddresses()) {
            if (a.getAddress() instanceof Inet6Address v6) {
                addrs.add(new BigInteger(1, v6.getAddress()));
            }
        }
        return firstMatching6(addrs, p);
    }

    /** Of {@code addrs}, global unicast ones first, then link-local ones (no loopback, multicast or unspecified): the first that matches. */
    static Optional<BigInteger> firstMatching6(List<BigInteger> addrs, Pattern p) {
        List<BigInteger> global = new ArrayList<>();
        List<BigInteger> linkLocal = new ArrayList<>();
        for (BigInteger a : addrs) {
            if (LINK_LOCAL6.contains(a)) {
                linkLocal.add(a);
            } else if (!a.equals(BigInteger.ZERO) && !a.equals(BigInteger.ONE) && !MULTICAST6.contains(a)) {
                global.add(a);
            }
        }
        global.addAll(linkLocal);
        return global.stream().filter(ip -> p.matcher(Ip6Net.format(ip)).find()).findFirst();
    }

    /** A matched IPv6 address as the {@code PublicIPv6}; a link-local one cannot be (other hosts refuse it): then none. */
    private static Optional<String> publishable(BigInteger ip) {
        try {
            return Optional.of(PublicIpv6.parse(Ip6Net.format(ip)));
        } catch (IllegalArgumentException e) {
            LOG.info("--iface-regex matched {}, which cannot be published as PublicIPv6: {}", Ip6Net.format(ip), e.getMessage());
            return Optional.empty();
        }
    }

    private Optional<Match> holding(Ip4 ip) {
        for (NetworkInterface ni : interfaces()) {
            for (Ip4Net.HostAddress a : ipv4(ni)) {
                if (a.ip().equals(ip)) {
                    return Optional.of(new Match(ni, a.ip()));
                }
            }
        }
        for (NetworkInterface ni : interfaces()) {
            for (Ip4Net.HostAddress a : ipv4(ni)) {
                if (a.prefixLength() < 32 && a.network().contains(ip)) {
                    return Optional.of(new Match(ni, a.ip()));
                }
            }
        }
        return Optional.empty();
    }

    /**
     * The interface holding IPv6 address {@code ip} (exactly, as flannel's {@code GetInterfaceByIP6}),
     * with its first IPv4 address; none when that interface has no IPv4 address (dual-stack needs one).
     */
    private Optional<Match> holding6(String ip) {
        return holdingIpv6(Ip6Net.parseAddress(ip)).flatMap(ni -> {
            Optional<Ip4> v4 = firstAddress(ni);
            if (v4.isEmpty()) {
                LOG.info("{} holds {} but has no IPv4 address", ni.getName(), ip);
            }
            return v4.map(addr -> new Match(ni, addr, Optional.of(ip)));
        });
    }

    /**
     * The default route's interface. With {@code ipv6} (flannel's dual-stack), the IPv4 and the IPv6
     * default routes must leave through one interface when there are both; either alone will do.
     */
    private Optional<Match> defaultRoute(boolean ipv6) {
        Optional<String> v4 = defaultRoute4();
        Optional<String> v6;
        try {
            v6 = ipv6 ? Ipv6RouteTable.read(ipv6RouteTable).defaultInterface() : Optional.empty();
        } catch (java.io.UncheckedIOException e) {
            throw new NoInterfaceException(e.getMessage() + ": " + e.getCause().getMessage());
        }
        if (v4.isPresent() && v6.isPresent() && !v4.get().equals(v6.get())) {
            throw new NoInterfaceException("the IPv6 default route leaves through " + v6.get() + " but the IPv4 default route through "
                    + v4.get() + " (EnableIPv6 is set): flannel needs them on one interface; pick it with --iface, --iface-regex or "
                    + "--iface-can-reach");
        }
        Optional<String> name = v4.or(() -> v6);
        if (name.isEmpty()) {
            return Optional.empty();
        }
        LOG.info("determining the external interface from the {} default route: {}", v4.isPresent() ? v6.isPresent() ? "IPv4 and IPv6"
                : "IPv4" : "IPv6", name.get());
        try {
            NetworkInterface ni = NetworkInterface.getByName(name.get());
            return ni == null ? Optional.empty() : firstAddress(ni).map(a -> new Match(ni, a));
        } catch (SocketException e) {
            return Optional.empty();
        }
    }

    /** The interface of the IPv4 default route with the lowest metric, from /proc/net/route. */
    private Optional<String> defaultRoute4() {
        List<String> lines;
        try {
            lines = Files.readAllLines(routeTable);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new NoInterfaceException("cannot read " + routeTable + ": " + e.getMessage());
        }
        String best = null;
        long bestMetric = Long.MAX_VALUE;
        for (String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 8 || !f[1].equals("00000000") || !f[7].equals("00000000")) {
                continue;
            }
            long metric = Long.parseLong(f[6]);
            if (metric < bestMetric) {
                best = f[0];
                bestMetric = metric;
            }
        }
        return Optional.ofNullable(best);
    }

    private static Optional<Ip4> firstAddress(NetworkInterface ni) {
        List<Ip4Net.HostAddress> addrs = ipv4(ni);
        return addrs.stream().map(Ip4Net.HostAddress::ip).filter(ip -> (ip.value() >>> 24) != 127).findFirst()
                .or(() -> addrs.stream().map(Ip4Net.HostAddress::ip).findFirst());
    }

    private static List<Ip4Net.HostAddress> ipv4(NetworkInterface ni) {
        List<Ip4Net.HostAddress> out = new ArrayList<>();
        for (InterfaceAddress a : ni.getInterfaceAddresses()) {
            if (a.getAddress() instanceof Inet4Address v4) {
                out.add(new Ip4Net.HostAddress(Ip4.of(v4), Math.max(0, a.getNetworkPrefixLength())));
            }
        }
        return out;
    }

    private static List<NetworkInterface> interfaces() {
        try {
            List<NetworkInterface> all = Collections.list(NetworkInterface.getNetworkInterfaces());
            all.sort((a, b) -> Integer.compare(a.getIndex(), b.getIndex()));
            return all;
        } catch (SocketException e) {
            throw new NoInterfaceException("cannot list network interfaces: " + e.getMessage());
        }
    }

    private static String available() {
        List<String> out = new ArrayList<>();
        for (NetworkInterface ni : interfaces()) {
            out.add(ni.getName() + ipv4(ni));
        }
        return String.join(", ", out);
    }

    /** An IPv6 literal; a name with a colon (an alias such as eth0:1) is none. */
    private static Optional<BigInteger> parseIp6(String s) {
        try {
            return s.indexOf(':') < 0 ? Optional.empty() : Optional.of(Ip6Net.parseAddress(s.strip()));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private static Optional<Ip4> parseIp(String s) {
        try {
            return Optional.of(Ip4.parse(s));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
