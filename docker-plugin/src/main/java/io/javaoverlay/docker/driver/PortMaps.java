package io.javaoverlay.docker.driver;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.javaoverlay.core.net.Ip4;
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

    private static final Logger LOG = LoggerFactory.getLogger(PortMaps.class);

    static final String PORTMAP = "com.docker.network.portmap";

    private PortMaps() {}

    /**
     * A binding as requested; the host port is chosen from {@code hostPort..hostPortEnd}, or
     * from the host's dynamic range when {@code hostPort} is 0 ({@code -P}, {@code -p 80}).
     */
    record Requested(PortMapping.Protocol protocol, Ip4 hostIp, int hostPort, int hostPortEnd, int containerPort) {
        boolean anyHostPort() {
            return hostPort == 0;
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
            if (hostIpText.contains(":")) {
                LOG.info("skipping IPv6 binding {}: javaoverlay publishes on IPv6 what is published on every address (0.0.0.0 or empty)", b);
                continue;
            }
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
            if (!hostIpText.isEmpty() && !hostIpText.equals("0.0.0.0")) {
                try {
                    hostIp = Ip4.parse(hostIpText);
                } catch (IllegalArgumentException e) {
                    throw new PluginException.BadRequest("HostIP: " + e.getMessage());
                }
            }
            if (port < 1 || port > 65535 || hostPort < 0 || hostPortEnd > 65535 || (hostPort == 0 && hostPortEnd != 0)) {
                throw new PluginException.BadRequest("port out of range in " + b);
            }
            out.add(new Requested(proto, hostIp, hostPort, hostPortEnd, port));
        }
        return out;
    }

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
            PortMapping candidate = new PortMapping(r.protocol(), r.hostIp(), p, r.containerPort());
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
            PortMapping candidate = new PortMapping(r.protocol(), r.hostIp(), p, r.containerPort());
            if (inUse.stream().noneMatch(t -> clashes(t, candidate)) && host.isFree(r.protocol(), r.hostIp(), p)) {
                return candidate;
            }
        }
        throw new PluginException.Refused("no host port of " + range.first() + "-" + range.last() + "/"
                + r.protocol().iptablesName() + (r.hostIp() == null ? "" : " on " + r.hostIp())
                + " is free for container port " + r.containerPort() + "; publish it with an explicit host port (-p HOSTPORT:"
                + r.containerPort() + ")");
    }

    /** Two mappings clash when a packet could match both: same protocol and port, overlapping addresses. */
    static boolean clashes(PortMapping a, PortMapping b) {
        return a.protocol() == b.protocol() && a.hostPort() == b.hostPort()
                && (a.hostIp() == null || b.hostIp() == null || a.hostIp().equals(b.hostIp()));
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
