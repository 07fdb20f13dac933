package io.javaoverlay.docker.host;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.javaoverlay.docker.PluginException;
import io.javaoverlay.docker.state.PortMapping;

/**
 * Published ports on the host's IPv6 loopback {@code ::1}: one {@link PortRelay} per mapping,
 * listening on {@code [::1]:HOSTPORT} and relaying to the container. IPv6 has no
 * {@code route_localnet}, so the kernel will not DNAT a connection from {@code ::1} out of the
 * bridge (the way {@link LoopbackPorts} makes {@code 127.0.0.1} work); Docker's bridge driver
 * reaches {@code ::1} the same way, with its userland proxy.
 *
 * <p>A port another program holds on {@code ::1} fails the request (the caller then removes
 * what it made). A host without {@code ::1} (IPv6 off) has no IPv6 loopback to answer on: a
 * mapping on every address then goes without its relay, logged once; one asked for on
 * {@code ::1} by name is refused.
 */
public final class LoopbackRelays implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LoopbackRelays.class);

    private final InetAddress listenAt;
    private final PortRelay.Limits limits;
    /** By protocol and host port ("tcp/8080"): at most one mapping of a host uses {@code [::1]:port} (PortMaps' clash check). */
    private final Map<String, Open> relays = new HashMap<>();
    private boolean warnedNoLoopback;

    public LoopbackRelays() {
        this(loopback6(), PortRelay.Limits.standard());
    }

    /** Listening on {@code listenAt} (tests: {@code ::1} too, with small limits). */
    public LoopbackRelays(InetAddress listenAt, PortRelay.Limits limits) {
        this.listenAt = listenAt;
        this.limits = limits;
    }

    /** A relay and what it is for. */
    private record Open(PortRelay relay, PortMapping mapping, String owner) {}

    /** A mapping to relay, with the container address to relay to and the owner (for logs). */
    public record Relayed(InetAddress container, PortMapping mapping, String owner) {}

    /**
     * Starts the relay for {@code mapping} on {@code [::1]:hostPort} to {@code container}'s
     * container port; the same relay running already is fine. Throws a refusal naming the port
     * when it is taken on {@code ::1}.
     */
    public synchronized void open(InetAddress container, PortMapping mapping, String owner) {
        String key = key(mapping);
        InetSocketAddress target = new InetSocketAddress(container, mapping.containerPort());
        Open present = relays.get(key);
        if (present != null) {
            if (present.relay().target().equals(target)) {
                return;
            }
            close(present.mapping());
        }
        if (mapping.protocol() == PortMapping.Protocol.SCTP) {
            if (PortMapping.LOOPBACK6.equals(mapping.hostIp6())) {
                throw new PluginException.Refused("cannot publish " + mapping + ": SCTP on ::1 takes a userland relay, which"
                        + " javaoverlay has for TCP and UDP only; publish it on 127.0.0.1 or an address of the host");
            }
            LOG.info("{} ({}): SCTP is not relayed on ::1; it answers on the host's other addresses", mapping, owner);
            return;
        }
        if (!hasLoopback()) {
            if (PortMapping.LOOPBACK6.equals(mapping.hostIp6())) {
                throw new PluginException.Refused("cannot publish " + mapping + ": this host has no IPv6 loopback address ::1"
                        + " (IPv6 is off on lo); publish on 127.0.0.1 instead");
            }
            if (!warnedNoLoopback) {
                LOG.warn("this host has no ::1 (IPv6 is off on lo): published ports answer on 127.0.0.1 and the host's"
                        + " addresses, not on ::1");
                warnedNoLoopback = true;
            }
            return;
        }
        InetSocketAddress listen = new InetSocketAddress(listenAt, mapping.hostPort());
        PortRelay relay;
        try {
            relay = PortRelay.open(mapping.protocol(), listen, target, limits);
        } catch (IOException e) {
            throw new PluginException.Refused("cannot publish " + mapping + " on " + PortRelay.text(listen) + "/"
                    + mapping.protocol().iptablesName() + ": " + e.getMessage() + " (another program holds the port there, or"
                    + " it is not free for a relay); choose another host port, or publish on 0.0.0.0 or an address of the host");
        }
        relays.put(key, new Open(relay, mapping, owner));
        LOG.info("relaying {}/{} to {} ({}, {})", PortRelay.text(relay.listening()), mapping.protocol().iptablesName(),
                PortRelay.text(target), mapping, owner);
    }

    /** Stops the relay of {@code mapping}; none running is fine. */
    public synchronized void close(PortMapping mapping) {
        Open present = relays.remove(key(mapping));
        if (present != null) {
            present.relay().close();
            LOG.info("stopped relaying {}/{} ({}, {})", PortRelay.text(present.relay().listening()),
                    mapping.protocol().iptablesName(), present.mapping(), present.owner());
        }
    }

    /**
     * Makes the running relays exactly {@code all} (at start, when the plugin finds its
     * containers again): the others stop, the missing ones start. One that cannot bind is
     * logged and left out; the others go on.
     */
    public synchronized void sync(List<Relayed> all) {
        Map<String, Relayed> wanted = new LinkedHashMap<>();
        for (Relayed r : all) {
            wanted.put(key(r.mapping()), r);
        }
        for (Open o : new ArrayList<>(relays.values())) {
            Relayed w = wanted.get(key(o.mapping()));
            if (w == null || !o.relay().target().equals(new InetSocketAddress(w.container(), w.mapping().containerPort()))) {
                close(o.mapping());
            }
        }
        for (Relayed r : wanted.values()) {
            try {
                open(r.container(), r.mapping(), r.owner());
            } catch (PluginException e) {
                LOG.warn("{} ({}): it does not answer on ::1 until its container is started again", e.getMessage(), r.owner());
            }
        }
    }

    /** The relays running now, for tests and operators. */
    public synchronized List<PortRelay> running() {
        return relays.values().stream().map(Open::relay).toList();
    }

    /** Stops every relay (plugin stop, or the last network gone). */
    @Override
    public synchronized void close() {
        for (Open o : new ArrayList<>(relays.values())) {
            close(o.mapping());
        }
    }

    private boolean hasLoopback() {
        if (!listenAt.isLoopbackAddress()) {
            return true;
        }
        try {
            return NetworkInterface.getByInetAddress(listenAt) != null;
        } catch (SocketException e) {
            return false;
        }
    }

    private static String key(PortMapping m) {
        return m.protocol().iptablesName() + "/" + m.hostPort();
    }

    private static InetAddress loopback6() {
        try {
            return InetAddress.getByAddress("::1", PortMapping.LOOPBACK6.toInetAddress().getAddress());
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
