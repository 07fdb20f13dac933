package io.javaoverlay.docker.host;

import java.util.ArrayList;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.javaoverlay.core.firewall.Iptables;
import io.javaoverlay.core.firewall.Rule;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.docker.state.PortMapping;

/**
 * {@link PublishedPorts} with iptables, in a chain of our own so it can be listed, checked and
 * removed without touching Docker's: {@code nat JAVAOVERLAY-DNAT}, jumped to from PREROUTING
 * (traffic arriving for a local address) and OUTPUT (the host's own connections to its
 * addresses, 127.0.0.1 included): one DNAT rule per published port. Loopback needs more:
 * {@link LoopbackPorts}.
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
    private final LoopbackPorts loopback;
    /** The plugin's bridge (or the last one {@link #ensureLoopback} saw), whose route_localnet {@link #removeAll} turns off. */
    private volatile String bridge;

    public IptablesPublishedPorts(Iptables iptables, String bridge) {
        this.iptables = iptables;
        this.bridge = bridge;
        this.loopback = new LoopbackPorts(iptables);
    }

    @Override
    public void ensureLoopback(String bridge) {
        this.bridge = bridge;
        loopback.ensure(bridge);
    }

    @Override
    public void removeAll() {
        loopback.remove(bridge);
        // iptables -C on a jump to a chain that does not exist is an error, not "no such rule"
        if (iptables.chainExists("nat", DNAT_CHAIN)) {
            for (Rule jump : dnatJumps()) {
                iptables.deleteIfExists(jump);
            }
            iptables.deleteIfExists(OLD_OUTPUT_JUMP);
            iptables.deleteChainIfExists("nat", DNAT_CHAIN);
        }
    }

    @Override
    public void publish(Ip4 container, PortMapping mapping, String owner) {
        ensureDnatChain();
        Rule rule = dnatRule(container, mapping, owner);
        if (!iptables.exists(rule)) {
            iptables.append(rule);
        }
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
        List<String> present = iptables.listRules("nat", DNAT_CHAIN);
        if (!present.equals(wanted.stream().map(Rule::toSaveFormat).toList())) {
            LOG.info("nat {}: rebuilding ({} rules present, {} wanted)", DNAT_CHAIN, present.size(), wanted.size());
            iptables.flushChain("nat", DNAT_CHAIN);
            wanted.forEach(iptables::append);
        }
    }

    private void ensureDnatChain() {
        iptables.ensureChain("nat", DNAT_CHAIN);
        iptables.deleteIfExists(OLD_OUTPUT_JUMP);
        for (Rule jump : dnatJumps()) {
            if (!iptables.exists(jump)) {
                iptables.insertFirst(jump);
            }
        }
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
