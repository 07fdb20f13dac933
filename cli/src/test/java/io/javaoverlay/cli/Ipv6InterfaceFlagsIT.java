package io.javaoverlay.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.javaoverlay.testkit.TestHost;
import io.javaoverlay.testkit.TestProcess;

/**
 * {@code --iface-regex} and {@code --iface-can-reach} with IPv6, on namespace hosts on a dual-stack
 * underlay ({@link DualStackHosts}) with a real etcd and dual-stack host-gw, the agents started by
 * {@code bin/javaoverlay}. Each host has a second interface, a decoy ({@code jd0}, a veth pair
 * inside the host) with {@code 10.199.77.<n>/24} and {@code fd00:77::<n>/64}, where the overlay's
 * traffic cannot go:
 *
 * <ul>
 *   <li>host 1 runs with {@code --iface-regex '^(127\.|10\.|fd00:e2e::101$)'}: the IPv4 half matches
 *       {@code lo} (index 1, tried first), the underlay interface and the decoy; flannel's
 *       dual-stack rule (an IPv4 and an IPv6 address of one interface; {@code ::1} is never
 *       matched) picks the underlay, and the matched {@code fd00:e2e::101} (the second of its two
 *       IPv6 addresses) is the {@code PublicIPv6}. Matching IPv4 addresses alone would pick
 *       {@code lo};</li>
 *   <li>host 2 has both default routes on the decoy and runs with
 *       {@code --iface-can-reach fd00:e2e::1} (host 1's underlay address): the interface of the route
 *       to it is the underlay, whose first global address {@code fd00:e2e::2} is published.</li>
 * </ul>
 *
 * Before that, the refusals: the two default routes on different interfaces, and an
 * {@code --iface-can-reach} no route reaches, each leaving nothing behind.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class Ipv6InterfaceFlagsIT {

    static final String NETWORK6 = "fc00:8::/48";
    static final String HOST1_MATCHED6 = "fd00:e2e::101";
    static final String DECOY = "jd0";

    @RegisterExtension
    static final OverlayCluster cluster = DualStackHosts.withoutIpMasq("{\"Type\":\"host-gw\"}", 2, NETWORK6)
            .withHostIfaceFlags(n -> n == 1 ? List.of("--iface-regex", "^(127\\.|10\\.|fd00:e2e::101$)")
                    : List.of("--iface-can-reach", DualStackHosts.underlay6(1)));

    static final DualStackHosts hosts = new DualStackHosts(cluster);

    /** A veth pair inside host {@code n} with addresses of both families on {@code jd0}: an interface the overlay must not pick. */
    static void addDecoy(int n) {
        TestHost h = cluster.host(n);
        h.ip("link", "add", DECOY, "type", "veth", "peer", "name", "jd1");
        h.ip("link", "set", "jd1", "up");
        h.ip("link", "set", DECOY, "up");
        h.ip("addr", "add", "10.199.77." + n + "/24", "dev", DECOY);
        h.ip("-6", "addr", "add", "fd00:77::" + n + "/64", "dev", DECOY, "nodad");
    }

    /** Runs an agent on host {@code n} with {@code ifaceFlags} instead of --iface until it exits; its process, exited. */
    static TestProcess runUntilExit(int n, String name, List<String> ifaceFlags) {
        TestHost h = cluster.host(n);
        List<String> cmd = new ArrayList<>(List.of(OverlayCluster.launcher().toString(), "agent",
                "--etcd-endpoints", cluster.etcdUrl(), "--etcd-prefix", OverlayCluster.PREFIX,
                "--subnet-file", cluster.subnetFile(n).toString(), "--data-dir", cluster.hostDir(n).resolve("data").toString(),
                "--cni-socket=" + cluster.hostDir(n).resolve(name + ".sock")));
        cmd.addAll(ifaceFlags);
        TestProcess p = h.start(name, cmd, Map.of());
        try {
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> !p.isAlive());
        } finally {
            p.stop();
        }
        return p;
    }

    static void assertNothingLeftBy(int n) {
        TestHost h = cluster.host(n);
        assertThat(cluster.subnetFile(n)).as("no subnet.env").doesNotExist();
        assertThat(cluster.etcdctl("get", "--prefix", OverlayCluster.PREFIX + "/subnets/")).as("no lease taken")
                .doesNotContain("\"" + h.underlayIp() + "\"");
        assertThat(h.ipJson("-6", "route", "show", "proto", "74")).isEmpty();
        assertThat(h.ipJson("route", "show", "proto", "74")).isEmpty();
    }

    @Test
    @Order(1)
    void ipv4AndIpv6DefaultRoutesOnDifferentInterfacesStopTheAgentBeforeItChangesAnything() {
        TestHost h2 = cluster.host(2);
        h2.execOk("sysctl", "-q", "-w", "net.ipv6.conf.all.forwarding=1");
        addDecoy(2);
        assertThat(h2.ip("route", "show", "default")).as("the host's IPv4 default route").contains("dev " + h2.underlayInterface());
        h2.ip("-6", "route", "add", "default", "dev", DECOY);
        TestProcess p = runUntilExit(2, "agent-two-defaults", List.of());
        assertThat(p.process().exitValue()).as(p.log()).isEqualTo(1);
        assertThat(p.log()).contains("cannot start: the IPv6 default route leaves through " + DECOY
                + " but the IPv4 default route through " + h2.underlayInterface() + " (EnableIPv6 is set)");
        assertNothingLeftBy(2);
        // for the can-reach test: both default routes now lead to the decoy, which an agent without flags would take
        h2.ip("route", "replace", "default", "dev", DECOY);
    }

    @Test
    @Order(2)
    void ifaceCanReachAnIpv6AddressNoRouteReachesIsRefusedBeforeAnythingHappens() {
        TestProcess p = runUntilExit(1, "agent-no-route", List.of("--iface-can-reach", "fd00:dead::1"));
        assertThat(p.process().exitValue()).as(p.log()).isEqualTo(2);
        assertThat(p.log()).contains("--iface-can-reach").contains("no route of this host reaches fd00:dead::1; check `ip -6 route get fd00:dead::1`");
        assertNothingLeftBy(1);
    }

    @Test
    @Order(3)
    void ifaceRegexMatchingAnIpv6AddressPicksItsInterfaceAndPublishesThatAddress() {
        TestHost h1 = cluster.host(1);
        addDecoy(1);
        h1.ip("-6", "addr", "add", HOST1_MATCHED6 + "/64", "dev", h1.underlayInterface(), "nodad");
        hosts.bringUp(1);
        assertThat(cluster.agent(1).log()).as("interfaces: " + h1.ip("-br", "link"))
                .contains("using interface " + h1.underlayInterface() + " with address " + h1.underlayIp()
                        + " (picked by its IPv6 address " + HOST1_MATCHED6 + ")")
                .contains("PublicIPv6 " + HOST1_MATCHED6 + " (the address --iface or --iface-regex picked " + h1.underlayInterface() + " by)");
        assertThat(hosts.leaseValue(1)).isEqualTo("{\"PublicIP\":\"" + h1.underlayIp() + "\",\"PublicIPv6\":\"" + HOST1_MATCHED6
                + "\",\"BackendType\":\"host-gw\"}");
    }

    @Test
    @Order(4)
    void ifaceCanReachAnIpv6AddressPicksTheInterfaceOfTheRouteToIt() {
        TestHost h2 = cluster.host(2);
        assertThat(h2.ip("-6", "route", "show", "default")).as("the default routes lead to the decoy").contains("dev " + DECOY);
        assertThat(h2.ip("route", "show", "default")).contains("dev " + DECOY);
        hosts.bringUp(2);
        assertThat(cluster.agent(2).log()).contains("using interface " + h2.underlayInterface() + " with address " + h2.underlayIp());
        assertThat(hosts.leaseValue(2)).as("the underlay's IPv4 address and its first global IPv6 address")
                .isEqualTo("{\"PublicIP\":\"" + h2.underlayIp() + "\",\"PublicIPv6\":\"" + DualStackHosts.underlay6(2)
                        + "\",\"BackendType\":\"host-gw\"}");
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200))
                .until(() -> hosts.routesIpv6Via(1, 2, DualStackHosts.underlay6(2)) && hosts.routesIpv6Via(2, 1, HOST1_MATCHED6));
        assertThat(cluster.container(2, 1).ping(hosts.containerIp6(1, 1), 10)).as("ping -6 from host 2 to host 1").isTrue();
        assertThat(cluster.container(1, 2).ping(hosts.containerIp6(2, 2), 10)).as("ping -6 from host 1 to host 2").isTrue();
        assertThat(cluster.container(1, 1).ping(cluster.containerIp(2, 1).toString(), 5)).as("ping -4 too").isTrue();
    }
}
