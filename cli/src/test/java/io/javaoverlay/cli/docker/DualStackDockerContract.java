package io.javaoverlay.cli.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import com.fasterxml.jackson.databind.JsonNode;

import io.javaoverlay.cli.LeaseWatch;
import io.javaoverlay.cli.NamespaceSockets;
import io.javaoverlay.cli.PeerPaths;
import io.javaoverlay.cli.docker.DualStackDockerCluster.Container;
import io.javaoverlay.core.config.SubnetEnv;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.Ip6Net;
import io.javaoverlay.testkit.ExecResult;
import io.javaoverlay.testkit.Parallel;

/**
 * The Docker face dual-stack across three hosts (#16), what every backend that carries IPv6 must
 * give a Docker user: on {@link DualStackDockerCluster}'s hosts (each its own dockerd and
 * {@code docker-plugin}, a real etcd, a dual-stack underlay), a container on a
 * {@code docker network create --ipv6} network gets an address of each family from its host's
 * {@code FLANNEL_SUBNET} and {@code FLANNEL_IPV6_SUBNET}; a third host whose agent starts after
 * the others are up has its IPv6 path on them within a second of its lease appearing in etcd, and
 * its container answers {@code ping -6}; the containers answer {@code ping -6} and {@code ping -4}
 * across every pair of hosts; a TCP stream over IPv6 arrives intact. The tests build on each other,
 * in order. Each backend's class says what its IPv6 path to a peer is.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
abstract class DualStackDockerContract {

    abstract DualStackDockerCluster cluster();

    /** FLANNEL_MTU with this backend on the 1500-byte underlay, which the containers' eth0 gets. */
    abstract int expectedMtu();

    /** Host {@code from}'s IPv6 path to host {@code to}'s subnet is there, as this backend makes it (checked with iproute2). */
    abstract void assertPath6(int from, int to);

    /** Whether host {@code from} routes {@code subnet} ({@link PeerPaths#routed6}); the rest of the path ({@link #assertPath6}) is there by then. */
    boolean routes6(int from, Ip6Net subnet) {
        return PeerPaths.routed6(cluster().testHost(from), subnet);
    }

    /** Runs container {@code c<n>} on host {@code n}'s network (busybox, sleeping), and records it with its addresses and PID. */
    Container runContainer(int n) {
        DockerHost h = cluster().host(n);
        String name = "c" + n;
        h.dockerOk("run", "-d", "--name", name, "--net", DualStackDockerCluster.NET, DockerHost.BUSYBOX, "sleep", "3600");
        JsonNode inspect = h.inspect("container", name);
        JsonNode settings = inspect.at("/NetworkSettings/Networks/" + DualStackDockerCluster.NET);
        Container c = new Container(n, name, settings.path("IPAddress").asText(), settings.path("GlobalIPv6Address").asText(),
                inspect.at("/State/Pid").asLong());
        assertThat(c.pid()).as("host %d's container's PID", n).isPositive();
        cluster().addContainer(c);
        return c;
    }

    /**
     * What host {@code n}'s container got: an IPv4 address in FLANNEL_SUBNET and an IPv6 one in
     * FLANNEL_IPV6_SUBNET (/64, the bridge's first address as gateway), both held in the host's IPAM
     * directory; inside, the IPv6 default route and the IPv6Network's via the gateway, and
     * FLANNEL_MTU on eth0.
     */
    void assertAddresses(int n) throws Exception {
        DockerHost h = cluster().host(n);
        Container c = cluster().container(n);
        JsonNode settings = h.inspect("container", c.name()).at("/NetworkSettings/Networks/" + DualStackDockerCluster.NET);
        SubnetEnv env = cluster().subnetEnv(n);
        Ip6Net lease6 = env.ipv6Lease().orElseThrow();
        assertThat(env.lease().contains(Ip4.parse(c.ip4()))).as("host %d's container's %s in FLANNEL_SUBNET %s", n, c.ip4(), env.lease())
                .isTrue();
        assertThat(lease6.contains(Ip6Net.parseAddress(c.ip6()))).as("host %d's container's %s in FLANNEL_IPV6_SUBNET %s", n, c.ip6(),
                lease6).isTrue();
        String gw6 = Ip6Net.format(lease6.address().add(BigInteger.ONE));
        assertThat(settings.path("GlobalIPv6PrefixLen").asInt()).isEqualTo(64);
        assertThat(settings.path("IPv6Gateway").asText()).isEqualTo(gw6);
        assertThat(settings.path("Gateway").asText()).isEqualTo(env.gateway().ip().toString());
        String routes = h.dockerOk("exec", c.name(), "ip", "-6", "route");
        assertThat(routes).contains("default via " + gw6).contains(DualStackDockerCluster.NETWORK6 + " via " + gw6);
        assertThat(h.dockerOk("exec", c.name(), "cat", "/sys/class/net/eth0/mtu")).as("eth0's MTU in host %d's container", n)
                .isEqualTo(Integer.toString(expectedMtu()));
        try (Stream<Path> files = Files.list(h.dir().resolve("ipam"))) {
            assertThat(files.map(p -> p.getFileName().toString()).toList()).as("host %d's IPAM holds both", n).contains(c.ip4(), c.ip6());
        }
    }

    /** {@code docker exec} of busybox's ping in host {@code from}'s container: whether all {@code count} echoes came back. */
    ExecResult ping(int from, String family, String to, int count) {
        return cluster().host(from).docker(Duration.ofSeconds(20), "exec", cluster().container(from).name(), "ping", family, "-c",
                Integer.toString(count), "-W", "2", to);
    }

    @Test
    @Order(1)
    void theNetworkHasBothPoolsAndContainersGetAnAddressOfEachFamilyFromTheirHostsSubnets() throws Exception {
        for (int n = 1; n <= 2; n++) {
            SubnetEnv env = cluster().subnetEnv(n);
            assertThat(env.ipv6Network()).hasValue(DualStackDockerCluster.NETWORK6);
            assertThat(env.mtu()).as("host %d's FLANNEL_MTU", n).isEqualTo(expectedMtu());
            JsonNode network = cluster().host(n).inspect("network", DualStackDockerCluster.NET);
            assertThat(network.path("EnableIPv6").asBoolean()).isTrue();
            assertThat(network.path("IPAM").path("Config").findValuesAsText("Subnet"))
                    .containsExactlyInAnyOrder(env.lease().toString(), env.ipv6Lease().orElseThrow().toString());
            runContainer(n);
            assertAddresses(n);
        }
        assertThat(cluster().subnetEnv(1).lease()).isNotEqualTo(cluster().subnetEnv(2).lease());
        assertThat(cluster().lease6(1)).isNotEqualTo(cluster().lease6(2));
        for (int n = 1; n <= 2; n++) {
            int from = n;
            int to = 3 - n;
            await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> assertPath6(from, to));
        }
    }

    @Test
    @Order(2)
    void aLateHostHasItsIpv6PathOnTheOthersWithinASecondOfItsLeaseAndItsContainerAnswersPing6() throws Exception {
        DualStackDockerCluster c = cluster();
        int late = DualStackDockerCluster.LATE;
        // the poll's netlink read, once before the clock runs (its first use in this JVM loads the native code): host 1 routes host 2
        assertThat(routes6(1, c.lease6(2))).as("host 1's IPv6 route to host 2's subnet, read through netlink").isTrue();
        LeaseWatch.Put put;
        Future<?> plugin;
        try (LeaseWatch watch = LeaseWatch.start(c.net.underlay(), c.etcd().url(), DualStackDockerCluster.PREFIX)) {
            // the polls below must not wait for it
            plugin = Parallel.start("start-plugin-" + late, () -> {
                c.startPlugin(late);
                return null;
            });
            // the moment the lease appears, as an etcd client sees it: a dual-stack key, flannel's form
            put = watch.awaitPut("\"PublicIP\":\"" + c.testHost(late).underlayIp() + "\",\"PublicIPv6\":\""
                    + DualStackDockerCluster.underlay6(late) + "\"");
        }
        Ip4Net subnet = put.subnet();
        Ip6Net subnet6 = put.subnet6();
        long leaseSeen = put.seenNanos();
        assertThat(subnet6).as("host %d's lease is dual-stack", late).isNotNull();

        // hosts 1 and 2 in turn, every 2 ms, each poll one netlink dump (~1 ms)
        long[] routedAfter = PeerPaths.millisUntil(List.of(1, 2), leaseSeen, h -> routes6(h, subnet6));
        long[] routedAfterMillis = {0, routedAfter[0], routedAfter[1]};
        long slowest = PeerPaths.slowest(routedAfter);
        // when the agents themselves logged the new peer, by their log's clock
        List<String> logged = new ArrayList<>();
        for (int h = 1; h < late; h++) {
            logged.add(put.loggedIn(c.host(h).pluginLog(), subnet));
        }

        plugin.get(90, TimeUnit.SECONDS);
        c.awaitReadyAndCreateNetwork(late);
        long ready = System.nanoTime();
        assertThat(c.lease6(late)).as("the lease the late host's agent wrote to subnet.env").isEqualTo(subnet6);
        assertThat(c.subnetEnv(late).lease()).isEqualTo(subnet);
        for (int h = 1; h < late; h++) {
            int n = h;
            assertPath6(n, late);
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> assertPath6(late, n));
        }
        long run = System.nanoTime();
        Container container = runContainer(late);
        long running = System.nanoTime();
        List<Callable<Long>> pings = new ArrayList<>();
        for (int h = 1; h < late; h++) {
            int n = h;
            pings.add(() -> {
                await().atMost(Duration.ofSeconds(5)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(20))
                        .until(() -> cluster().host(n).docker(Duration.ofSeconds(5), "exec", cluster().container(n).name(), "ping", "-6", "-c", "1",
                                "-W", "1", container.ip6()).ok());
                return (System.nanoTime() - running) / 1_000_000;
            });
        }
        List<Long> answeredAfterMillis = Parallel.all(pings);
        assertAddresses(late);
        System.out.printf("[%s] late host %d (%s, %s): its IPv6 path on hosts 1-2 within %d ms of its lease appearing in etcd (%d, %d ms);"
                + " the agents logged the peer at %s; its own agent ready and the network created at %d ms; docker run and inspect took %d ms, and"
                + " its container answered ping -6 from hosts 1-2 %d and %d ms after they returned%n", getClass().getSimpleName(), late, subnet,
                subnet6, slowest, routedAfterMillis[1], routedAfterMillis[2], logged, (ready - leaseSeen) / 1_000_000, (running - run) / 1_000_000,
                answeredAfterMillis.get(0), answeredAfterMillis.get(1));
        assertThat(slowest).as("milliseconds from host %d's lease to its IPv6 path on every other host", late).isLessThanOrEqualTo(1000);
        ExecResult back = ping(late, "-6", cluster().container(1).ip6(), 3);
        assertThat(back.stdout()).as("the late host's container -> host 1's: %s", back).contains("3 packets received");
    }

    @Test
    @Order(3)
    void containersAnswerPing6AndPing4AcrossEveryPairOfHosts() throws Exception {
        List<Callable<String>> pings = new ArrayList<>();
        for (int from = 1; from <= DualStackDockerCluster.HOSTS; from++) {
            for (int to = 1; to <= DualStackDockerCluster.HOSTS; to++) {
                if (from == to) {
                    continue;
                }
                for (String family : List.of("-6", "-4")) {
                    int source = from;
                    Container target = cluster().container(to);
                    String address = family.equals("-6") ? target.ip6() : target.ip4();
                    String what = "ping " + family + " host " + from + " -> host " + to + " (" + address + "): ";
                    pings.add(() -> {
                        ExecResult r = ping(source, family, address, 3);
                        return r.stdout().contains("3 packets received") ? null : what + r.describe();
                    });
                }
            }
        }
        assertThat(Parallel.all(pings).stream().filter(f -> f != null).toList()).as("container pairs that do not answer each other's ping")
                .isEmpty();
    }

    @Test
    @Order(4)
    void aTcpStreamBetweenContainersOnTwoHostsArrivesIntactOverIpv6() throws Exception {
        // vxlan: the containers' MTU is FLANNEL_MTU (1450), flannel-v6.1's 1430 (an IPv6 underlay): TCP settles on the path MTU
        Container from = cluster().container(1);
        Container to = cluster().container(2);
        InetAddress target = InetAddress.getByName(to.ip6());
        int size = 4 << 20;
        try (ServerSocketChannel server = NamespaceSockets.listen(to.netns(), target, 5006)) {
            String[] digests = NamespaceSockets.transfer(from.netns(), server, target, 5006, size, Duration.ofSeconds(60));
            assertThat(digests[1]).as("SHA-256 of the 4 MiB host 2's container received from host 1's over IPv6").isEqualTo(digests[0]);
        }
    }
}
