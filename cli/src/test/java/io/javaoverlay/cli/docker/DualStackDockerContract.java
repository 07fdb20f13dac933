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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import com.fasterxml.jackson.databind.JsonNode;

import io.javaoverlay.cli.NamespaceSockets;
import io.javaoverlay.cli.docker.DualStackDockerCluster.Container;
import io.javaoverlay.core.config.SubnetEnv;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.Ip6Host;
import io.javaoverlay.core.net.Ip6Net;
import io.javaoverlay.core.netlink.NetNs;
import io.javaoverlay.core.netlink.NetlinkSocket;
import io.javaoverlay.core.netlink.Route;
import io.javaoverlay.testkit.ExecResult;
import io.javaoverlay.testkit.TestProcess;

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

    /** The address family of IPv6 routes in a netlink dump. */
    private static final int AF_INET6 = 10;

    abstract DualStackDockerCluster cluster();

    /** FLANNEL_MTU with this backend on the 1500-byte underlay, which the containers' eth0 gets. */
    abstract int expectedMtu();

    /** Host {@code from}'s IPv6 path to host {@code to}'s subnet is there, as this backend makes it (checked with iproute2). */
    abstract void assertPath6(int from, int to);

    /**
     * Whether host {@code from} has an IPv6 route to {@code subnet} in its main table, read straight
     * through netlink, so that polling it every few milliseconds costs no process. Both backends add a
     * peer's route last (vxlan: after its neighbour and FDB entry), so the rest of the path
     * ({@link #assertPath6}) is in place by then.
     */
    boolean routes6(int from, Ip6Net subnet) {
        try (NetNs ns = cluster().testHost(from).open(); NetlinkSocket nl = NetlinkSocket.open(ns)) {
            return nl.routes().list(AF_INET6).stream().anyMatch(r -> r.table() == Route.TABLE_MAIN && r.destination() != null
                    && r.prefixLength() == subnet.prefixLength() && Ip6Host.of(r.destination()).equals(subnet.address()));
        }
    }

    /**
     * Runs container {@code c<n>} on host {@code n}'s network and checks what it got: an IPv4 address
     * in FLANNEL_SUBNET and an IPv6 one in FLANNEL_IPV6_SUBNET (/64, the bridge's first address as
     * gateway), both held in the host's IPAM directory; inside, the IPv6 default route and the
     * IPv6Network's via the gateway, and FLANNEL_MTU on eth0.
     */
    Container runContainer(int n) throws Exception {
        DockerHost h = cluster().host(n);
        String name = "c" + n;
        h.dockerOk("run", "-d", "--name", name, "--net", DualStackDockerCluster.NET, DockerHost.BUSYBOX, "sleep", "3600");
        JsonNode inspect = h.inspect("container", name);
        JsonNode settings = inspect.at("/NetworkSettings/Networks/" + DualStackDockerCluster.NET);
        String ip4 = settings.path("IPAddress").asText();
        String ip6 = settings.path("GlobalIPv6Address").asText();
        SubnetEnv env = cluster().subnetEnv(n);
        Ip6Net lease6 = env.ipv6Lease().orElseThrow();
        assertThat(env.lease().contains(Ip4.parse(ip4))).as("host %d's container's %s in FLANNEL_SUBNET %s", n, ip4, env.lease()).isTrue();
        assertThat(lease6.contains(Ip6Net.parseAddress(ip6))).as("host %d's container's %s in FLANNEL_IPV6_SUBNET %s", n, ip6, lease6)
                .isTrue();
        String gw6 = Ip6Net.format(lease6.address().add(BigInteger.ONE));
        assertThat(settings.path("GlobalIPv6PrefixLen").asInt()).isEqualTo(64);
        assertThat(settings.path("IPv6Gateway").asText()).isEqualTo(gw6);
        assertThat(settings.path("Gateway").asText()).isEqualTo(env.gateway().ip().toString());
        String routes = h.dockerOk("exec", name, "ip", "-6", "route");
        assertThat(routes).contains("default via " + gw6).contains(DualStackDockerCluster.NETWORK6 + " via " + gw6);
        assertThat(h.dockerOk("exec", name, "cat", "/sys/class/net/eth0/mtu")).as("eth0's MTU in host %d's container", n)
                .isEqualTo(Integer.toString(expectedMtu()));
        try (Stream<Path> files = Files.list(h.dir().resolve("ipam"))) {
            assertThat(files.map(p -> p.getFileName().toString()).toList()).as("host %d's IPAM holds both", n).contains(ip4, ip6);
        }
        Container c = new Container(n, name, ip4, ip6, inspect.at("/State/Pid").asLong());
        assertThat(c.pid()).isPositive();
        cluster().addContainer(c);
        return c;
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
        TestProcess watch = c.net.underlay().start("watch-subnets", "etcdctl", "--endpoints", c.etcd().url(), "watch", "--prefix",
                DualStackDockerCluster.PREFIX + "/subnets/");
        Thread.sleep(300); // let the watch start before the lease is written
        CompletableFuture<Void> plugin = CompletableFuture.runAsync(() -> c.startPlugin(late));

        // the moment the lease appears, as an etcd client sees it: a dual-stack key, flannel's form
        String marker = "\"PublicIP\":\"" + c.testHost(late).underlayIp() + "\",\"PublicIPv6\":\"" + DualStackDockerCluster.underlay6(late)
                + "\"";
        Pattern put = Pattern.compile("PUT\\s+\\S+/subnets/(\\d+\\.\\d+\\.\\d+\\.\\d+-\\d+)&(\\S+-\\d+)\\s+\\{[^\\n]*" + Pattern.quote(marker));
        Ip4Net subnet = null;
        Ip6Net subnet6 = null;
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (subnet == null && System.nanoTime() < deadline) {
            Matcher m = put.matcher(Files.readString(watch.logFile()));
            if (m.find()) {
                subnet = Ip4Net.parseKey(m.group(1));
                subnet6 = Ip6Net.parseKey(m.group(2));
            } else {
                Thread.sleep(2);
            }
        }
        long leaseSeen = System.nanoTime();
        assertThat(subnet6).as("host %d's dual-stack lease in etcd; watch log:\n%s", late, watch.log()).isNotNull();

        long[] routedAfterMillis = new long[late];
        List<CompletableFuture<Void>> polls = new ArrayList<>();
        for (int h = 1; h < late; h++) {
            int n = h;
            Ip6Net peer = subnet6;
            polls.add(CompletableFuture.runAsync(() -> {
                await().atMost(Duration.ofSeconds(10)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(2)).until(() -> routes6(n, peer));
                routedAfterMillis[n] = (System.nanoTime() - leaseSeen) / 1_000_000;
            }));
        }
        polls.forEach(CompletableFuture::join);
        long slowest = Math.max(routedAfterMillis[1], routedAfterMillis[2]);
        watch.stop();

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
        Container container = runContainer(late);
        long running = System.nanoTime();
        long[] answeredAfterMillis = new long[late];
        List<CompletableFuture<Void>> pings = new ArrayList<>();
        for (int h = 1; h < late; h++) {
            int n = h;
            pings.add(CompletableFuture.runAsync(() -> {
                await().atMost(Duration.ofSeconds(5)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(20))
                        .until(() -> cluster().host(n).docker(Duration.ofSeconds(5), "exec", cluster().container(n).name(), "ping", "-6", "-c", "1",
                                "-W", "1", container.ip6()).ok());
                answeredAfterMillis[n] = (System.nanoTime() - running) / 1_000_000;
            }));
        }
        pings.forEach(CompletableFuture::join);
        System.out.printf("[%s] late host %d (%s, %s): its IPv6 path on hosts 1-2 within %d ms of its lease appearing in etcd (%d, %d ms);"
                + " its agent ready and the network created at %d ms; its container running %d ms later, answering ping -6 from hosts 1-2"
                + " %d and %d ms after docker run returned%n", getClass().getSimpleName(), late, subnet, subnet6, slowest, routedAfterMillis[1],
                routedAfterMillis[2], (ready - leaseSeen) / 1_000_000, (running - ready) / 1_000_000, answeredAfterMillis[1],
                answeredAfterMillis[2]);
        assertThat(slowest).as("milliseconds from host %d's lease to its IPv6 path on every other host", late).isLessThanOrEqualTo(1000);
        ExecResult back = ping(late, "-6", cluster().container(1).ip6(), 3);
        assertThat(back.stdout()).as("the late host's container -> host 1's: %s", back).contains("3 packets received");
    }

    @Test
    @Order(3)
    void containersAnswerPing6AndPing4AcrossEveryPairOfHosts() {
        List<CompletableFuture<String>> failures = new ArrayList<>();
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
                    failures.add(CompletableFuture.supplyAsync(() -> {
                        ExecResult r = ping(source, family, address, 3);
                        return r.stdout().contains("3 packets received") ? null : what + r.describe();
                    }));
                }
            }
        }
        assertThat(failures.stream().map(CompletableFuture::join).filter(f -> f != null).toList())
                .as("container pairs that do not answer each other's ping").isEmpty();
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
