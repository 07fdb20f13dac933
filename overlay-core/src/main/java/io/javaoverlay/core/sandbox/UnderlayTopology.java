package io.javaoverlay.core.sandbox;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;

/**
 * flannel's docs topology made of namespaces: an underlay namespace holding a bridge, and one
 * namespace per host joined to it by a veth pair, as if each host had one NIC on a shared LAN.
 *
 * <pre>
 *   PREFIX-ul:  br0 10.U.V.254/24 --+-- h1 ==veth== eth0 10.U.V.1/24  PREFIX-h1
 *                                   +-- h2 ==veth== eth0 10.U.V.2/24  PREFIX-h2
 *                                   ...
 * </pre>
 *
 * Each host's default route goes via the underlay bridge, so "the interface of the default
 * route" (the agent's default {@code --iface}) is its {@value #HOST_INTERFACE}, as on a real
 * machine. Nothing is made in the root namespace.
 *
 * @param namespace the underlay's namespace, holding {@code br0} at {@link #gateway()}
 * @param subnet    the underlay's /24; host N is {@code .N}, the bridge {@code .254}
 * @param hosts     host 1 first
 */
public record UnderlayTopology(String namespace, Ip4Net subnet, List<Host> hosts) {

    /** A host's interface to the underlay, inside its namespace. */
    public static final String HOST_INTERFACE = "eth0";
    /** The most hosts one underlay /24 holds beside its bridge. */
    public static final int MAX_HOSTS = 200;

    /** One host: its number (1-based), its namespace and its address on the underlay (its public IP for flannel). */
    public record Host(int number, String namespace, Ip4 address) {}

    public UnderlayTopology {
        hosts = List.copyOf(hosts);
    }

    /**
     * A random /24 in 10.200.0.0-10.254.255.0, never inside 10.244.0.0/16: the overlay Network of
     * most configurations (a peer whose public IP lies inside the overlay is refused, see
     * docs/security.md) and clear of 10.5.0.0/16 too.
     */
    public static Ip4Net randomSubnet() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        int second = r.nextInt(200, 254);
        return new Ip4Net(Ip4.of(10, second >= 244 ? second + 1 : second, r.nextInt(0, 256), 0), 24);
    }

    /**
     * Makes the underlay namespace ({@code PREFIX-ul}) and {@code hostCount} host namespaces
     * ({@code PREFIX-h1} ...) on {@code subnet}, a /24.
     */
    public static UnderlayTopology create(Namespaces namespaces, Ip4Net subnet, int hostCount) {
        if (subnet.prefixLength() != 24) {
            throw new IllegalArgumentException("the underlay is a /24, got " + subnet);
        }
        if (hostCount < 1 || hostCount > MAX_HOSTS) {
            throw new IllegalArgumentException("an underlay has 1-" + MAX_HOSTS + " hosts, got " + hostCount);
        }
        Ip4 gateway = gateway(subnet);
        String ul = namespaces.create("ul");
        StringBuilder batch = new StringBuilder()
                .append("link add br0 type bridge\n")
                .append("addr add ").append(gateway).append("/24 dev br0\n")
                .append("link set br0 up\n");
        List<Host> hosts = new ArrayList<>();
        for (int i = 1; i <= hostCount; i++) {
            Host host = new Host(i, namespaces.create("h" + i), subnet.address().plus(i));
            batch.append("link add h").append(i).append(" type veth peer name ").append(HOST_INTERFACE)
                    .append(" netns ").append(host.namespace()).append('\n')
                    .append("link set h").append(i).append(" master br0 up\n");
            hosts.add(host);
        }
        namespaces.ip(ul, batch.toString().strip());
        for (Host h : hosts) {
            namespaces.ip(h.namespace(), "addr add " + h.address() + "/24 dev " + HOST_INTERFACE + "\n"
                    + "link set " + HOST_INTERFACE + " up\n"
                    + "route add default via " + gateway);
        }
        return new UnderlayTopology(ul, subnet, hosts);
    }

    /** The underlay bridge's address, every host's default gateway. */
    public Ip4 gateway() {
        return gateway(subnet);
    }

    /** Host {@code number}, 1-based. */
    public Host host(int number) {
        if (number < 1 || number > hosts.size()) {
            throw new IllegalArgumentException("no host " + number + "; this underlay has hosts 1.." + hosts.size());
        }
        return hosts.get(number - 1);
    }

    private static Ip4 gateway(Ip4Net subnet) {
        return subnet.address().plus(254);
    }
}
