package io.javaoverlay.docker.driver;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip6Host;
import io.javaoverlay.core.net.Ip6Net;
import io.javaoverlay.docker.DockerInput;
import io.javaoverlay.docker.PluginException;
import io.javaoverlay.docker.host.HostPorts;
import io.javaoverlay.docker.state.PortMapping;

/**
 * Docker's {@code -p} as libnetwork passes it to ProgramExternalConnectivity, under
 * {@code com.docker.network.portmap}: a list of
 * {@code {"Proto":6,"IP":"","Port":80,"HostIP":"","HostPort":8080,"HostPortEnd":8080}}
 * (libnetwork's types.PortBinding; Proto is the IP protocol number, HostPortEnd > HostPort for
 * a range {@code -p 8000-8010:80}, empty or missing HostIP for every address).
 */
final class PortMaps {

    static final String PORTMAP = "com.docker.network.portmap";

    private PortMaps() {}

    /**
     * A binding as requested; the host port is chosen from {@code hostPort..hostPortEnd}, or
     * from the host's dynamic range when {@code hostPort} is 0 ({@code -P}, {@code -p 80}).
     */
    record Requested(PortMapping.Protocol protocol, Ip4 hostIp, int hostPort, int hostPortEnd, int containerPort, Ip6Host hostIp6) {
        Requested(PortMapping.Protocol protocol, Ip4 hostIp, int hostPort, int hostPortEnd, int containerPort) {
            this(protocol, hostIp, hostPort, hostPortEnd, containerPort, null);
        }

        boolean anyHostPort() {
            return hostPort == 0;
        }

        PortMapping at(int port) {
            return new PortMapping(protocol, hostIp, port, containerPort, hostIp6);
        }

        /** The host address, for messages. */
        String where() {
            PortMapping any = at(1);
            return any.everyAddress() ? "" : " on " + any.hostAddressText();
        }
    }

    static List<Requested> parse(Map<String, Object> options) {
        Object raw = options == null ? null : options.get(PORTMAP);
        if (raw == null) {
            return List.of();
        }
        if (!(raw instanceof List<?> list)) {
            throw new PluginException.BadRequest(PORTMAP + " must be a list of port bindings, got " + raw);
        }
        List<Requested> out = new ArrayList<>();
        for (Object item : list) {
            if (!(item instanceof Map<?, ?> b)) {
                throw new PluginException.BadRequest(PORTMAP + " entries must be objects, got " + item);
            }
            String hostIpText = text(b.get("HostIP"));
            PortMapping.Protocol proto;
            try {
                proto = PortMapping.Protocol.ofNumber(number(b, "Proto", true));
            } catch (IllegalArgumentException e) {
                throw new PluginException.Refused(e.getMessage());
            }
            int port = number(b, "Port", true);
            int hostPort = number(b, "HostPort", false);
            int hostPortEnd = Math.max(hostPort, number(b, "HostPortEnd", false));
            Ip4 hostIp = null;
            Ip6Host hostIp6 = null;
            if (hostIpText.contains(":")) {
                hostIp6 = hostIp6(hostIpText);
            } else if (!hostIpText.isEmpty() && !hostIpText.equals("0.0.0.0")) {
                hostIp = DockerInput.parsed("HostIP", hostIpText, Ip4::parse);
            }
            if (port < 1 || port > 65535 || hostPort < 0 || hostPortEnd > 65535 || (hostPort == 0 && hostPortEnd != 0)) {
                throw new PluginException.BadRequest("port out of range in " + b);
            }
            out.add(new Requested(proto, hostIp, hostPort, hostPortEnd, port, hostIp6));
        }
        // newer dockerds send -p 8080:80 as 0.0.0.0 and an IPv6 twin on ::; javaoverlay's mapping on
        // every address answers on both families already, so the twin is not a second mapping
        return out.stream().filter(r -> !PortMapping.ANY6.equals(r.hostIp6()) || out.stream().noneMatch(o -> o.hostIp() == null
                && o.hostIp6() == null && o.protocol() == r.protocol() && o.containerPort() == r.containerPort()
                && o.hostPort() == r.hostPort() && o.hostPortEnd() == r.hostPortEnd())).toList();
    }

    /**
     * An IPv6 HostIP: a unicast address a DNAT rule can match (Docker's CLI writes
     * {@code -p [fd00::1]:8080:80} as {@code "HostIP":"fd00::1"}), {@code ::1}, or {@code ::} for
     * every IPv6 address. A multicast address is never a
     * destination a host listens on, and a link-local one needs a zone a DNAT rule cannot carry.
     */
    static Ip6Host hostIp6(String text) {
        if (text.indexOf('%') >= 0) {
            throw new PluginException.Refused("HostIP " + DockerInput.quote(text) + ": an address with a zone cannot be published on;"
                    + " publish on a global address of the host");
        }
        java.math.BigInteger value = DockerInput.parsed("HostIP", text, Ip6Net::parseAddress);
        // (an IPv4-mapped address does not get here: parseAddress takes IPv6 addresses only)
        if (MULTICAST.contains(value) || LINK_LOCAL.contains(value)) {
            throw new PluginException.Refused("HostIP " + text + " cannot be published on: "
                    + (MULTICAST.contains(value) ? "a multicast address" : "a link-local address")
                    + "; publish on one of the host's global addresses, or on every address (-p HOSTPORT:PORT)");
        }
        return new Ip6Host(value, 128);
    }

    private static final Ip6Net MULTICAST = Ip6Net.parse("ff00::/8");
    private static final Ip6Net LINK_LOCAL = Ip6Net.parse("fe80::/10");

    /**
     * Chooses the host port of every request: the first of its range not published already (by
     * another endpoint, or by an earlier request of the same container). A request for any host
     * port gets the first port of the host's dynamic range (Docker's choice for {@code -P}) that
     * is neither published nor listened on by anything on the host.
     */
    static List<PortMapping> choose(List<Requested> requests, Collection<PortMapping> taken, HostPorts host) {
        List<PortMapping> inUse = new ArrayList<>(taken);
        List<PortMapping> chosen = new ArrayList<>();
        for (Requested r : requests) {
            PortMapping pick = r.anyHostPort() ? pickDynamic(r, inUse, host) : pickInRange(r, inUse);
            inUse.add(pick);
            chosen.add(pick);
        }
        return chosen;
    }

    private static PortMapping pickInRange(Requested r, List<PortMapping> inUse) {
        for (int p = r.hostPort(); p <= r.hostPortEnd(); p++) {
            PortMapping candidate = r.at(p);
            if (inUse.stream().noneMatch(t -> clashes(t, candidate))) {
                return candidate;
            }
        }
        String range = r.hostPort() == r.hostPortEnd() ? "host port " + r.hostPort() : "every host port " + r.hostPort() + "-" + r.hostPortEnd();
        throw new PluginException.Refused(range + "/" + r.protocol().iptablesName()
                + " is already published for another container on this host; choose another");
    }

    private static PortMapping pickDynamic(Requested r, List<PortMapping> inUse, HostPorts host) {
        HostPorts.Range range = host.dynamicRange();
        for (int p = range.first(); p <= range.last(); p++) {
            PortMapping candidate = r.at(p);
            if (inUse.stream().noneMatch(t -> clashes(t, candidate)) && host.isFree(candidate)) {
                return candidate;
            }
        }
        throw new PluginException.Refused("no host port of " + range.first() + "-" + range.last() + "/"
                + r.protocol().iptablesName() + r.where()
                + " is free for container port " + r.containerPort() + "; publish it with an explicit host port (-p HOSTPORT:"
                + r.containerPort() + ")");
    }

    /** Two mappings clash when a packet could match both: same protocol and port, overlapping addresses. */
    static boolean clashes(PortMapping a, PortMapping b) {
        return a.clashesWith(b);
    }

    private static String text(Object v) {
        return v == null ? "" : v.toString();
    }

    private static int number(Map<?, ?> binding, String key, boolean required) {
        Object v = binding.get(key);
        if (v == null) {
            if (required) {
                throw new PluginException.BadRequest(PORTMAP + " entry " + binding + " has no " + key);
            }
            return 0;
        }
        if (v instanceof Number n) {
            try {
                // exact: 4294967376 must not wrap around to port 80
                return new java.math.BigDecimal(n.toString()).intValueExact();
            } catch (NumberFormatException | ArithmeticException e) {
                throw new PluginException.BadRequest(PORTMAP + ": " + key + " " + n + " is not a port number");
            }
        }
        throw new PluginException.BadRequest(PORTMAP + ": " + key + " must be a number, got " + DockerInput.quote(String.valueOf(v)));
    }
}
