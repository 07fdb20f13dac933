package io.javaoverlay.cli.demo;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;

/**
 * The demo's machines: an underlay namespace holding a bridge, and one namespace per host joined
 * to it by a veth pair, as if each host had one NIC on a shared LAN.
 *
 * <pre>
 *   PREFIX-ul:  br0 10.U.V.254/24 --+-- h1 ==veth== eth0 10.U.V.1/24  PREFIX-h1
 *                                   +-- h2 ==veth== eth0 10.U.V.2/24  PREFIX-h2
 * </pre>
 *
 * The underlay /24 is random in 10.200.0.0-10.239.255.0, clear of the overlay (10.244.0.0/16).
 */
final class Underlay {

    final String ns;
    final Ip4Net subnet;
    final List<DemoHost> hosts;

    private Underlay(String ns, Ip4Net subnet, List<DemoHost> hosts) {
        this.ns = ns;
        this.subnet = subnet;
        this.hosts = hosts;
    }

    Ip4 gateway() {
        return subnet.address().plus(254);
    }

    static Underlay create(Sandbox sandbox, int hostCount) {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        Ip4Net subnet = new Ip4Net(Ip4.of(10, r.nextInt(200, 240), r.nextInt(0, 256), 0), 24);
        Ip4 gateway = subnet.address().plus(254);
        String ul = sandbox.createNamespace("ul");
        StringBuilder batch = new StringBuilder()
                .append("link add br0 type bridge\n")
                .append("addr add ").append(gateway).append("/24 dev br0\n")
                .append("link set br0 up\n");
        List<DemoHost> hosts = new ArrayList<>();
        for (int i = 1; i <= hostCount; i++) {
            String ns = sandbox.createNamespace("h" + i);
            Path dir = sandbox.dir().resolve("h" + i);
            try {
                Files.createDirectories(dir);
            } catch (java.io.IOException e) {
                throw new DemoException("cannot create " + dir + ": " + e.getMessage());
            }
            DemoHost host = new DemoHost(i, ns, subnet.address().plus(i), dir);
            batch.append("link add h").append(i).append(" type veth peer name ").append(DemoHost.UNDERLAY_IFACE)
                    .append(" netns ").append(ns).append('\n')
                    .append("link set h").append(i).append(" master br0 up\n");
            hosts.add(host);
        }
        sandbox.ip(ul, batch.toString());
        for (DemoHost h : hosts) {
            sandbox.ip(h.ns, "addr add " + h.publicIp + "/24 dev " + DemoHost.UNDERLAY_IFACE + "\n"
                    + "link set " + DemoHost.UNDERLAY_IFACE + " up\n"
                    + "route add default via " + gateway);
        }
        return new Underlay(ul, subnet, List.copyOf(hosts));
    }
}
