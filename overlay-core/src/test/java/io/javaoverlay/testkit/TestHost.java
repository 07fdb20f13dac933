package io.javaoverlay.testkit;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;

import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A test host: a network namespace whose {@value #UNDERLAY_INTERFACE} is a veth to the
 * underlay bridge, with an address in {@link TestNetwork#underlaySubnet()} and a default route
 * via the underlay bridge (so "the interface of the default route" is the underlay, as on a
 * real machine).
 */
public final class TestHost extends TestNamespace {

    /** The host's interface to the underlay. */
    public static final String UNDERLAY_INTERFACE = "eth0";

    private final int number;
    private final Ip4 underlayIp;

    TestHost(String name, TestNetwork network, int number, Ip4 underlayIp) {
        super(name, network);
        this.number = number;
        this.underlayIp = underlayIp;
    }

    /** 1-based, as in "host 1". */
    public int number() {
        return number;
    }

    /** This host's address on the underlay (its "public IP" for flannel). */
    public Ip4 underlayIp() {
        return underlayIp;
    }

    public String underlayInterface() {
        return UNDERLAY_INTERFACE;
    }

    /** Creates a bridge in this host with an address, up (what docker0 or cni0 would be). */
    public void createBridge(String bridge, Ip4Net.HostAddress address) {
        ip("link", "add", bridge, "type", "bridge");
        ip("addr", "add", address.toString(), "dev", bridge);
        ip("link", "set", bridge, "up");
    }

    /**
     * A container: a new namespace attached by a veth pair to {@code bridge} in this host
     * (which must exist), with {@code eth0} at {@code address} and a default route via
     * {@code gateway}. Torn down with the network.
     */
    public TestNamespace addContainer(String containerName, String bridge, Ip4Net.HostAddress address, Ip4 gateway) {
        TestNamespace c = network().createNamespace(name().substring(network().prefix().length() + 1) + "-" + containerName);
        String hostEnd = "jv" + HexFormat.of().toHexDigits((byte) ThreadLocalRandom.current().nextInt())
                + HexFormat.of().toHexDigits((short) ThreadLocalRandom.current().nextInt());
        ip("link", "add", hostEnd, "type", "veth", "peer", "name", "eth0", "netns", c.name());
        ip("link", "set", hostEnd, "master", bridge, "up");
        c.ip("addr", "add", address.toString(), "dev", "eth0");
        c.ip("link", "set", "eth0", "up");
        c.ip("route", "add", "default", "via", gateway.toString(), "dev", "eth0");
        return c;
    }
}
