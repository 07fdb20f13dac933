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
 * ({@link NetworkInterface} and {@code /proc/net/route}; no netlink needed):
 *
 * <ol>
 *   <li>each {@code --iface} in order, an IPv4 or IPv6 address (the interface holding it) or a name;</li>
 *   <li>then each {@code --iface-regex} in order, matched against addresses, then names;</li>
 *   <li>with neither: the interface holding {@code --public-ip} if any (exactly, or inside its
 *       prefix, as 127.0.0.2 is inside lo's 127.0.0.0/8); without {@code --public-ip}, the one
 *       holding {@code --public-ipv6} (as flannel's {@code LookupExtIface}); else the default
 *       route's interface.</li>
 * </ol>
 *
 * The interface's address is the IPv4 one matched, else its first IPv4 address (a non-loopback one
 * first); the public IP is {@code --public-ip}, else that address. An interface picked by an IPv6
 * address carries it as {@link ExternalInterface#matchedIpv6()}, the {@code PublicIPv6} unless
 * {@code --public-ipv6} is given ({@link PublicIpv6}).
 */
public final class ExternalInterfaces {

    private static final Logger LOG = LoggerFactory.getLogger(ExternalInterfaces.class);

    private final Path routeTable;

    public ExternalInterfaces() {
        this(Path.of("/proc/net/route"));
    }

    ExternalInterfaces(Path routeTable) {
        this.routeTable = routeTable;
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
        Optional<Match> match = Optional.empty();
        if (!ifaces.isEmpty() || !regexes.isEmpty()) {
            for (String spec : ifaces) {
                match = byIfaceFlag(spec);
                if (match.isPresent()) {
                    break;
                }
                LOG.info("no usable interface matches --iface {}", spec);
            }
            for (int i = 0; match.isEmpty() && i < regexes.size(); i++) {
                match = byRegex(regexes.get(i));
                if (match.isEmpty()) {
                    LOG.info("no interface matches --iface-regex {}", regexes.get(i));
                }
            }
            if (match.isEmpty()) {
                throw new NoInterfaceException("no interface matches --iface " + ifaces + " or --iface-regex " + regexes
                        + "; interfaces here: " + available());
            }
        } else if (publicIp.isPresent()) {
            match = holding(publicIp.get());
            if (match.isEmpty()) {
                match = defaultRoute();
            }
            if (match.isEmpty()) {
                throw new NoInterfaceException("no interface holds --public-ip " + publicIp.get()
                        + " and there is no default route: pass --iface; interfaces here: " + available());
            }
        } else if (publicIpv6.isPresent()) {
            match = holding6(publicIpv6.get());
            if (match.isEmpty()) {
                match = defaultRoute();
            }
            if (match.isEmpty()) {
                throw new NoInterfaceException("no interface holds --public-ipv6 " + publicIpv6.get()
                        + " and there is no default route: pass --iface; interfaces here: " + available());
            }
        } else {
            match = defaultRoute();
            if (match.isEmpty()) {
                throw new NoInterfaceException("there is no default route to pick the external interface from: pass --iface "
                        + "(a name, an IPv4 or an IPv6 address) or --public-ip; interfaces here: " + available());
            }
        }
        Match m = match.get();
        int mtu;
        try {
            mtu = m.iface.getMTU();
        } catch (SocketException e) {
            throw new NoInterfaceException("cannot read the MTU of " + m.iface.getName() + ": " + e.getMessage());
        }
        ExternalInterface ext = new ExternalInterface(m.iface.getName(), m.iface.getIndex(), mtu, m.addr, publicIp.orElse(m.addr), m.ipv6);
        LOG.info("using interface {} with address {}{}; public IP {}", ext.name(), ext.ifaceAddr(),
                m.ipv6.map(a -> " (picked by its IPv6 address " + a + ")").orElse(""), ext.publicIp());
        return ext;
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

    private Optional<Match> byRegex(String regex) {
        Pattern p;
        try {
            p = Pattern.compile(regex);
        } catch (PatternSyntaxException e) {
            throw new NoInterfaceException("--iface-regex " + regex + " is not a valid regular expression: " + e.getDescription());
        }
        for (NetworkInterface ni : interfaces()) {
            for (Ip4Net.HostAddress a : ipv4(ni)) {
                if (p.matcher(a.ip().toString()).find()) {
                    return Optional.of(new Match(ni, a.ip()));
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
        BigInteger wanted = Ip6Net.parseAddress(ip);
        for (NetworkInterface ni : interfaces()) {
            for (InterfaceAddress a : ni.getInterfaceAddresses()) {
                if (a.getAddress() instanceof Inet6Address v6 && new BigInteger(1, v6.getAddress()).equals(wanted)) {
                    Optional<Ip4> v4 = firstAddress(ni);
                    if (v4.isEmpty()) {
                        LOG.info("{} holds {} but has no IPv4 address", ni.getName(), ip);
                    }
                    return v4.map(addr -> new Match(ni, addr, Optional.of(ip)));
                }
            }
        }
        return Optional.empty();
    }

    /** The interface of the IPv4 default route with the lowest metric, from /proc/net/route. */
    private Optional<Match> defaultRoute() {
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
        if (best == null) {
            return Optional.empty();
        }
        LOG.info("determining the external interface from the default route: {}", best);
        try {
            NetworkInterface ni = NetworkInterface.getByName(best);
            return ni == null ? Optional.empty() : firstAddress(ni).map(a -> new Match(ni, a));
        } catch (SocketException e) {
            return Optional.empty();
        }
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
