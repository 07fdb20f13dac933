package io.javaoverlay.docker.host;

import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.javaoverlay.core.firewall.Iptables;
import io.javaoverlay.core.firewall.Rule;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip6Host;
import io.javaoverlay.docker.state.PortMapping;

/**
 * {@link PublishedPorts} with iptables, in a chain of our own so it can be listed, checked and
 * removed without touching Docker's: {@code nat JAVAOVERLAY-DNAT}, jumped to from PREROUTING
 * (traffic arriving for a local address) and OUTPUT (the host's own connections to its
 * addresses, 127.0.0.1 included): one DNAT rule per published port. Loopback needs more:
 * {@link LoopbackPorts}.
 *
 * <p>On a {@code --ipv6} network the same chain in ip6tables DNATs a port published on every
 * host address ({@code -p 8080:80}) to the container's IPv6 address, as Docker's bridge driver
 * does with {@code ip6tables} on, and a port published on one IPv6 address
 * ({@code -p [fd00::1]:8080:80}) with {@code -d} that address. Its OUTPUT jump leaves out
 * {@code ::1}: IPv6 has no {@code route_localnet}, so a packet from {@code ::1} can never leave
 * for the bridge; {@link LoopbackRelays} answers there instead. A port published on one IPv4
 * address ({@code -p 10.0.0.1:8080:80}) is IPv4 only, one on an IPv6 address IPv6 only.
 *
 * <p>DNAT rules change one at a time as containers come and go (a rewrite of the whole chain
 * would drop other containers' traffic for a moment); the whole chain is compared and rebuilt
 * only at start.
 */
public final class IptablesPublishedPorts implements PublishedPorts {

    private static final Logger LOG = LoggerFactory.getLogger(IptablesPublishedPorts.class);

    public static final String DNAT_CHAIN = "JAVAOVERLAY-DNAT";
    static final String DNAT_COMMENT = "javaoverlay published ports";

    private final Iptables iptables;
    private final Iptables ip6tables;
    private final LoopbackPorts loopback;
    private final LoopbackRelays relays;
    /** The plugin's bridge (or the last one {@link #ensureLoopback} saw), whose route_localnet {@link #removeAll} turns off. */
    private volatile String bridge;

    public IptablesPublishedPorts(Iptables iptables, String bridge) {
        this(iptables, bridge, new LoopbackRelays());
    }

    public IptablesPublishedPorts(Iptables iptables, String bridge, LoopbackRelays relays) {
        this.iptables = iptables;
        this.ip6tables = iptables.ipv6();
        this.bridge = bridge;
        this.loopback = new LoopbackPorts(iptables);
        this.relays = relays;
    }

    @Override
    public void relayLoopback6(java.net.InetAddress container, PortMapping mapping, String owner) {
        relays.open(container, mapping, owner);
    }

    @Override
    public void unrelayLoopback6(PortMapping mapping) {
        relays.close(mapping);
    }

    @Override
    public void syncLoopback6(List<LoopbackRelays.Relayed> all) {
        relays.sync(all);
    }

    @Override
    public void close() {
        relays.close();
    }

    @Override
    public void ensureLoopback(String bridge) {
        this.bridge = bridge;
        loopback.ensure(bridge);
    }

    @Override
    public void removeAll() {
        relays.close();
        loopback.remove(bridge);
        // iptables -C on a jump to a chain that does not exist is an error, not "no such rule"
        if (iptables.chainExists("nat", DNAT_CHAIN)) {
            for (Rule jump : dnatJumps()) {
                iptables.deleteIfExists(jump);
            }
            iptables.deleteIfExists(OLD_OUTPUT_JUMP);
            iptables.deleteChainIfExists("nat", DNAT_CHAIN);
        }
        if (dnatChain6Exists()) {
            for (Rule jump : dnatJumps6()) {
                ip6tables.deleteIfExists(jump);
            }
            ip6tables.deleteChainIfExists("nat", DNAT_CHAIN);
        }
    }

    /** Whether ip6tables has our chain; a host without ip6tables has none. */
    private boolean dnatChain6Exists() {
        try {
            return ip6tables.chainExists("nat", DNAT_CHAIN);
        } catch (UncheckedIOException e) {
            return false;
        }
    }

    @Override
    public void publish(Ip4 container, PortMapping mapping, String owner) {
        ensureDnatChain();
        appendIfMissing(iptables, dnatRule(container, mapping, owner));
        LOG.info("published {} to {} ({})", mapping, container, owner);
    }

    @Override
    public void unpublish(Ip4 container, PortMapping mapping, String owner) {
        if (iptables.chainExists("nat", DNAT_CHAIN)) {
            iptables.deleteIfExists(dnatRule(container, mapping, owner));
            LOG.info("unpublished {} from {} ({})", mapping, container, owner);
        }
    }

    @Override
    public void syncPublished(List<Published> all) {
        ensureDnatChain();
        List<Rule> wanted = new ArrayList<>();
        for (Published p : all) {
            wanted.add(dnatRule(p.container(), p.mapping(), p.owner()));
        }
        rebuildIfChanged(iptables, "nat", wanted);
    }

    /**
     * Compares the whole chain in {@code tool} with {@code wanted} (in {@code -S} form) and, when
     * they differ, rebuilds it; {@code table} names it in the log. At start only (class comment).
     */
    private static void rebuildIfChanged(Iptables tool, String table, List<Rule> wanted) {
        List<String> present = tool.listRules("nat", DNAT_CHAIN);
        if (!present.equals(wanted.stream().map(Rule::toSaveFormat).toList())) {
            LOG.info("{} {}: rebuilding ({} rules present, {} wanted)", table, DNAT_CHAIN, present.size(), wanted.size());
            tool.flushChain("nat", DNAT_CHAIN);
            wanted.forEach(tool::append);
        }
    }

    @Override
    public void publish6(Ip6Host container, PortMapping mapping, String owner) {
        ensureDnatChain6();
        appendIfMissing(ip6tables, dnatRule6(container, mapping, owner));
        LOG.info("published {} to {} on IPv6 ({})", mapping, container.ipText(), owner);
    }

    @Override
    public void unpublish6(Ip6Host container, PortMapping mapping, String owner) {
        if (dnatChain6Exists()) {
            ip6tables.deleteIfExists(dnatRule6(container, mapping, owner));
            LOG.info("unpublished {} from {} on IPv6 ({})", mapping, container.ipText(), owner);
        }
    }

    @Override
    public void syncPublished6(List<Published6> all) {
        if (all.isEmpty() && !dnatChain6Exists()) {
            return; // an IPv4-only host never needs ip6tables
        }
        ensureDnatChain6();
        List<Rule> wanted = new ArrayList<>();
        for (Published6 p : all) {
            wanted.add(dnatRule6(p.container(), p.mapping(), p.owner()));
        }
        rebuildIfChanged(ip6tables, "ip6tables nat", wanted);
    }

    private void ensureDnatChain6() {
        ip6tables.ensureChain("nat", DNAT_CHAIN);
        insertMissing(ip6tables, dnatJumps6());
    }

    private static void appendIfMissing(Iptables tool, Rule rule) {
        if (!tool.exists(rule)) {
            tool.append(rule);
        }
    }

    /** Each of {@code jumps} that {@code tool} does not have, first in its chain. */
    private static void insertMissing(Iptables tool, List<Rule> jumps) {
        for (Rule jump : jumps) {
            if (!tool.exists(jump)) {
                tool.insertFirst(jump);
            }
        }
    }

    /** The IPv6 jumps: OUTPUT leaves out ::1, which cannot be DNATed off the host (no route_localnet for IPv6). */
    static List<Rule> dnatJumps6() {
        return List.of(
                Rule.of("nat", "PREROUTING", "-m", "addrtype", "--dst-type", "LOCAL",
                        "-m", "comment", "--comment", DNAT_COMMENT, "-j", DNAT_CHAIN),
                Rule.of("nat", "OUTPUT", "!", "-d", "::1/128", "-m", "addrtype", "--dst-type", "LOCAL",
                        "-m", "comment", "--comment", DNAT_COMMENT, "-j", DNAT_CHAIN));
    }

    /** In the order {@code ip6tables -S} prints; the destination in brackets, as ip6tables writes it. */
    static Rule dnatRule6(Ip6Host container, PortMapping m, String owner) {
        if (!m.onIpv6Addresses()) {
            throw new IllegalArgumentException("port " + m + " is not published on the host's IPv6 addresses");
        }
        List<String> spec = new ArrayList<>();
        if (m.hostIp6() != null && !PortMapping.ANY6.equals(m.hostIp6())) {
            spec.add("-d");
            spec.add(m.hostIp6().ipText() + "/128");
        }
        String proto = m.protocol().iptablesName();
        spec.addAll(List.of("-p", proto, "-m", proto, "--dport", Integer.toString(m.hostPort()),
                "-m", "comment", "--comment", owner,
                "-j", "DNAT", "--to-destination", "[" + container.ipText() + "]:" + m.containerPort()));
        return new Rule("nat", DNAT_CHAIN, spec);
    }

    private void ensureDnatChain() {
        iptables.ensureChain("nat", DNAT_CHAIN);
        iptables.deleteIfExists(OLD_OUTPUT_JUMP);
        insertMissing(iptables, dnatJumps());
    }

    static List<Rule> dnatJumps() {
        return List.of(
                Rule.of("nat", "PREROUTING", "-m", "addrtype", "--dst-type", "LOCAL",
                        "-m", "comment", "--comment", DNAT_COMMENT, "-j", DNAT_CHAIN),
                Rule.of("nat", "OUTPUT", "-m", "addrtype", "--dst-type", "LOCAL",
                        "-m", "comment", "--comment", DNAT_COMMENT, "-j", DNAT_CHAIN));
    }

    /**
     * The OUTPUT jump of plugins before published ports answered on 127.0.0.1: replaced by the
     * one above wherever it is found, so an upgraded host does not keep both.
     */
    static final Rule OLD_OUTPUT_JUMP = Rule.of("nat", "OUTPUT", "!", "-d", "127.0.0.0/8", "-m", "addrtype", "--dst-type",
            "LOCAL", "-m", "comment", "--comment", DNAT_COMMENT, "-j", DNAT_CHAIN);

    /** In the order {@code iptables -S} prints, so that the chain compares equal when unchanged. */
    static Rule dnatRule(Ip4 container, PortMapping m, String owner) {
        if (!m.onIpv4()) {
            throw new IllegalArgumentException("port " + m + " is not published on IPv4");
        }
        List<String> spec = new ArrayList<>();
        if (m.hostIp() != null) {
            spec.add("-d");
            spec.add(m.hostIp() + "/32");
        }
        String proto = m.protocol().iptablesName();
        spec.addAll(List.of("-p", proto, "-m", proto, "--dport", Integer.toString(m.hostPort()),
                "-m", "comment", "--comment", owner,
                "-j", "DNAT", "--to-destination", container + ":" + m.containerPort()));
        return new Rule("nat", DNAT_CHAIN, spec);
    }
}
