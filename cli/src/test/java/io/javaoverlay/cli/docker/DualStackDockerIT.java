package io.javaoverlay.cli.docker;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import com.fasterxml.jackson.databind.JsonNode;

import io.javaoverlay.core.config.SubnetEnv;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip6Net;
import io.javaoverlay.testkit.ExecResult;
import io.javaoverlay.testkit.Requirements;
import io.javaoverlay.testkit.TestHost;
import io.javaoverlay.testkit.TestNetwork;
import io.javaoverlay.testkit.UnderlayEtcd;

/**
 * {@code docker network create --ipv6 -d javaoverlay --ipam-driver javaoverlay} on two Docker
 * hosts (namespaces with their own dockerd and {@code bin/javaoverlay docker-plugin}) of a
 * dual-stack underlay, a real etcd, the agents in dual-stack host-gw mode: containers get an
 * address of each family from their host's subnets and reach the other host's container with
 * {@code ping -6} and {@code ping -4}; a port published with {@code -p} answers a TCP client on
 * the host's IPv6 address and, through the plugin's relay, on {@code ::1}; one published on one
 * IPv6 address answers there only; a port held by another program on {@code ::1} fails the
 * container's start and leaves no rule; the addresses are freed when the containers go. Three hosts,
 * vxlan, a late host and a TCP stream are {@link DualStackDockerContract}'s.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class DualStackDockerIT {

    static final String PREFIX = "/javaoverlay-docker6/network";
    static final String NETWORK6 = "fc00:7::/48";
    static final String NET = "ov6";

    @RegisterExtension
    final TestNetwork net = TestNetwork.withHosts(2);

    private final List<DockerHost> hosts = new ArrayList<>();

    @AfterEach
    void stopDocker() {
        hosts.forEach(DockerHost::close);
    }

    private DockerHost startHost(int n, String etcdUrl) {
        TestHost h = net.host(n);
        h.ip("-6", "addr", "add", "fd00:e2e::" + n + "/64", "dev", h.underlayInterface(), "nodad");
        h.execOk("sysctl", "-q", "-w", "net.ipv6.conf.all.forwarding=1");
        DockerHost docker = DockerHost.start(h, net.workDir());
        hosts.add(docker);
        Path dir = docker.dir();
        // no --ip-masq: traffic stays inside the overlay here
        docker.startPlugin(List.of("--etcd-endpoints", etcdUrl, "--etcd-prefix", PREFIX, "--iface", h.underlayInterface(),
                "--subnet-file", dir.resolve("subnet.env").toString(), "--data-dir", dir.resolve("agent").toString(),
                "--docker-data-dir", dir.resolve("plugin").toString(), "--ipam-dir", dir.resolve("ipam").toString(),
                "--docker-host", "unix://" + docker.apiSocket()));
        Awaitility.await("agent on host " + n).atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200))
                .until(() -> docker.pluginLog().contains("javaoverlay is ready"));
        docker.dockerOk("network", "create", "--ipv6", "-d", "javaoverlay", "--ipam-driver", "javaoverlay", NET);
        return docker;
    }

    private static SubnetEnv subnetEnv(DockerHost h) throws Exception {
        return SubnetEnv.read(h.dir().resolve("subnet.env"));
    }

    private static List<String> ipamRecords(DockerHost h) throws Exception {
        try (Stream<Path> files = Files.list(h.dir().resolve("ipam"))) {
            return files.map(p -> p.getFileName().toString()).toList();
        }
    }

    /** {@code GET /} over TCP to {@code [ip]:port} with socat, as a shell command. */
    private static String get(String ip, int port) {
        return "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | socat -T 3 - TCP6:[" + ip + "]:" + port + ",connect-timeout=2";
    }

    /** {@code javaoverlay docker-ports} for a container, as a user runs it. */
    private static List<String> dockerPorts(DockerHost h, String container) {
        String sandbox = h.inspect("container", container).at("/NetworkSettings/SandboxKey").asText();
        ExecResult ports = io.javaoverlay.testkit.Exec.run(List.of(DockerHost.launcher().toString(), "docker-ports",
                "--docker-data-dir", h.dir().resolve("plugin").toString(), sandbox), java.util.Map.of(), null, Duration.ofSeconds(60));
        assertThat(ports.ok()).as("%s", ports).isTrue();
        return ports.stdout().strip().lines().toList();
    }

    @Test
    void containersOnAnIpv6NetworkGetBothFamiliesAndReachEachOtherAcrossHosts() throws Exception {
        Requirements.check().root().executable("/usr/sbin/dockerd", "docker.io").executable("/usr/bin/etcd", "etcd-server")
                .command("etcdctl", "etcd-client").command("socat", "socat").command("ip6tables", "iptables").command("curl", "curl").orAbort();
        UnderlayEtcd etcd = UnderlayEtcd.start(net, "docker6");
        etcd.etcdctl("put", PREFIX + "/config", "{\"Network\":\"" + DockerCluster.OVERLAY + "\",\"EnableIPv6\":true,\"IPv6Network\":\""
                + NETWORK6 + "\",\"Backend\":{\"Type\":\"host-gw\"}}").orThrow();
        DockerHost h1 = startHost(1, etcd.url());
        DockerHost h2 = startHost(2, etcd.url());

        // the network as dockerd reports it: both pools, the gateways the bridges carry
        JsonNode network = h1.inspect("network", NET);
        assertThat(network.path("EnableIPv6").asBoolean()).isTrue();
        SubnetEnv env1 = subnetEnv(h1);
        Ip6Net lease6 = env1.ipv6Lease().orElseThrow();
        String gw6 = Ip6Net.format(lease6.address().add(BigInteger.ONE));
        assertThat(network.path("IPAM").path("Config").findValuesAsText("Subnet")).contains(env1.lease().toString(), lease6.toString());
        // dockerd 28 shows the IPv4 gateway bare and the IPv6 one with the pool's prefix
        assertThat(network.path("IPAM").path("Config").findValuesAsText("Gateway")).map(g -> g.split("/")[0]).contains(gw6);
        assertThat(net.host(1).ip("-6", "addr", "show", "dev", "cni0")).contains(gw6 + "/64");

        String[] v4 = new String[3];
        String[] v6 = new String[3];
        int i = 1;
        for (DockerHost h : List.of(h1, h2)) {
            String name = "c" + i;
            h.dockerOk("run", "-d", "--name", name, "--net", NET, DockerHost.BUSYBOX, "sleep", "600");
            JsonNode settings = h.inspect("container", name).at("/NetworkSettings/Networks/" + NET);
            v4[i] = settings.path("IPAddress").asText();
            v6[i] = settings.path("GlobalIPv6Address").asText();
            SubnetEnv env = subnetEnv(h);
            assertThat(env.lease().contains(Ip4.parse(v4[i]))).as("%s in %s", v4[i], env.lease()).isTrue();
            assertThat(env.ipv6Lease().orElseThrow().contains(Ip6Net.parseAddress(v6[i]))).as("%s in %s", v6[i], env.ipv6Lease()).isTrue();
            assertThat(settings.path("GlobalIPv6PrefixLen").asInt()).isEqualTo(64);
            assertThat(settings.path("IPv6Gateway").asText()).isEqualTo(Ip6Net.format(env.ipv6Lease().get().address().add(BigInteger.ONE)));
            // inside the container: the address and both IPv6 routes via the bridge
            String routes = h.dockerOk("exec", name, "ip", "-6", "route");
            assertThat(routes).contains("default via " + settings.path("IPv6Gateway").asText()).contains(NETWORK6);
            assertThat(ipamRecords(h)).as("the shared IPAM holds both").contains(v4[i], v6[i]);
            i++;
        }

        Awaitility.await("c1 pings c2 over IPv6").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> h1.docker("exec", "c1", "ping", "-6", "-c", "1", "-W", "1", v6[2]).ok());
        ExecResult six = h2.docker("exec", "c2", "ping", "-6", "-c", "3", "-W", "2", v6[1]);
        assertThat(six.stdout()).as(six.toString()).contains("3 packets received");
        ExecResult four = h1.docker("exec", "c1", "ping", "-4", "-c", "3", "-W", "2", v4[2]);
        assertThat(four.stdout()).as(four.toString()).contains("3 packets received");

        // a port published on every address answers on the host's IPv6 addresses too: DNAT in ip6tables
        // to the container's IPv6 address. ip6tables' FORWARD policy DROP, as dockerd 27+ leaves it
        // (this dockerd 20.10 has ip6tables off): the bridge's JAVAOVERLAY-FWD lets it through
        net.host(1).execOk("ip6tables", "-P", "FORWARD", "DROP");
        assertThat(net.host(1).execOk("ip6tables", "-S", "FORWARD")).contains("-j JAVAOVERLAY-FWD");
        h1.dockerOk("run", "-d", "--name", "web", "--net", NET, "-p", "8080:80", DockerHost.BUSYBOX, "sh", "-c",
                "mkdir /www && echo hello-from-web6 > /www/index.html && exec httpd -f -p 80 -h /www");
        String web6 = h1.inspect("container", "web").at("/NetworkSettings/Networks/" + NET).path("GlobalIPv6Address").asText();
        String get = "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | socat -T 3 - TCP6:[fd00:e2e::1]:8080,connect-timeout=2";
        // from another machine: PREROUTING DNAT, then FORWARD
        Awaitility.await("web over IPv6 from host 2").atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(200))
                .until(() -> net.host(2).exec("sh", "-c", get).stdout().contains("hello-from-web6"));
        // from the host itself: OUTPUT DNAT
        assertThat(net.host(1).exec("sh", "-c", get).stdout()).contains("hello-from-web6");
        assertThat(net.host(1).execOk("ip6tables", "-t", "nat", "-S", "JAVAOVERLAY-DNAT"))
                .contains("--dport 8080 ").contains("-j DNAT --to-destination [" + web6 + "]:80");

        // ::1: no DNAT can reach it (IPv6 has no route_localnet); the plugin's relay answers there, as docker-proxy does
        assertThat(net.host(1).exec("sh", "-c", get("::1", 8080)).stdout()).as("socat to [::1]:8080").contains("hello-from-web6");
        assertThat(net.host(1).exec("curl", "-gsS", "-m", "5", "http://[::1]:8080/").stdout()).contains("hello-from-web6");
        assertThat(h1.pluginLog()).contains("relaying [::1]:8080/tcp to [" + web6 + "]:80");
        assertThat(dockerPorts(h1, "web")).containsExactly("80/tcp -> 0.0.0.0:8080", "80/tcp -> [::]:8080");

        // -p [ADDRESS]:8081:80 on one of the host's IPv6 addresses: that address only, not its other IPv6
        // address, nor IPv4, nor ::1
        net.host(1).ip("-6", "addr", "add", "fd00:e2e::11/64", "dev", net.host(1).underlayInterface(), "nodad");
        h1.dockerOk("run", "-d", "--name", "one6", "--net", NET, "-p", "[fd00:e2e::1]:8081:80", DockerHost.BUSYBOX, "sh", "-c",
                "mkdir /www && echo hello-from-one6 > /www/index.html && exec httpd -f -p 80 -h /www");
        String one6 = h1.inspect("container", "one6").at("/NetworkSettings/Networks/" + NET).path("GlobalIPv6Address").asText();
        Awaitility.await("one6 on [fd00:e2e::1]:8081 from host 2").atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(200))
                .until(() -> net.host(2).exec("sh", "-c", get("fd00:e2e::1", 8081)).stdout().contains("hello-from-one6"));
        assertThat(net.host(1).exec("sh", "-c", get("fd00:e2e::1", 8081)).stdout()).as("from the host itself").contains("hello-from-one6");
        assertThat(net.host(1).execOk("ip6tables", "-t", "nat", "-S", "JAVAOVERLAY-DNAT"))
                .contains("-A JAVAOVERLAY-DNAT -d fd00:e2e::1/128 -p tcp -m tcp --dport 8081 ")
                .contains("-j DNAT --to-destination [" + one6 + "]:80");
        String hostIp4 = net.host(1).underlayIp().toString();
        assertThat(net.host(2).exec("sh", "-c", get("fd00:e2e::11", 8081)).stdout()).as("the other IPv6 address").doesNotContain("hello");
        assertThat(net.host(1).exec("sh", "-c", get("fd00:e2e::11", 8081)).stdout()).doesNotContain("hello");
        assertThat(net.host(1).exec("sh", "-c", get("::1", 8081)).stdout()).as("not on ::1").doesNotContain("hello");
        assertThat(net.host(2).exec("sh", "-c", "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | socat -T 3 - TCP4:" + hostIp4
                + ":8081,connect-timeout=2").stdout()).as("not on IPv4").doesNotContain("hello");
        assertThat(net.host(1).execOk("iptables", "-t", "nat", "-S", "JAVAOVERLAY-DNAT")).doesNotContain("8081");
        assertThat(dockerPorts(h1, "one6")).containsExactly("80/tcp -> [fd00:e2e::1]:8081");

        // a port something else holds on ::1: the request fails with the plugin's reason, and leaves no rule behind
        io.javaoverlay.testkit.TestProcess holder = net.host(1).start("holder", "socat", "TCP6-LISTEN:8083,bind=[::1],reuseaddr,fork",
                "SYSTEM:echo held");
        Awaitility.await("socat holds [::1]:8083").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                .until(() -> net.host(1).exec("sh", "-c", get("::1", 8083)).stdout().contains("held"));
        ExecResult taken = h1.docker("run", "-d", "--name", "taken", "--net", NET, "-p", "8083:80", DockerHost.BUSYBOX, "sleep", "600");
        assertThat(taken.ok()).isFalse();
        assertThat(taken.stderr()).contains("[::1]:8083/tcp").contains("Address already in use");
        assertThat(net.host(1).execOk("iptables", "-t", "nat", "-S", "JAVAOVERLAY-DNAT")).doesNotContain("8083");
        assertThat(net.host(1).execOk("ip6tables", "-t", "nat", "-S", "JAVAOVERLAY-DNAT")).doesNotContain("8083");
        holder.stop();
        h1.docker("rm", "-f", "taken");

        h1.dockerOk("rm", "-f", "web", "one6");
        assertThat(net.host(1).execOk("ip6tables", "-t", "nat", "-S", "JAVAOVERLAY-DNAT")).doesNotContain("8080").doesNotContain("8081");
        assertThat(net.host(2).exec("sh", "-c", get).stdout()).doesNotContain("hello");
        assertThat(net.host(1).exec("sh", "-c", get("::1", 8080)).stdout()).as("the relay went with the container").doesNotContain("hello");
        assertThat(net.host(1).execOk("ss", "-Htln", "sport = :8080")).as("nothing listens on 8080 any more").isBlank();

        // the container goes, and so do its addresses
        h1.dockerOk("rm", "-f", "c1");
        Awaitility.await("c1's addresses freed").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                .until(() -> !ipamRecords(h1).contains(v6[1]) && !ipamRecords(h1).contains(v4[1]));
        h1.dockerOk("network", "rm", NET);
        assertThat(ipamRecords(h1)).noneMatch(f -> f.contains(":"));
        assertThat(net.host(1).exec("ip6tables", "-S", "JAVAOVERLAY-FWD").ok()).as("the ip6tables chains go with the network").isFalse();
        assertThat(net.host(1).exec("ip6tables", "-t", "nat", "-S", "JAVAOVERLAY-DNAT").ok()).isFalse();
    }
}
