package io.javaoverlay.cli.docker;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Network;
import org.testcontainers.dockerclient.DockerClientProviderStrategy;
import org.testcontainers.dockerclient.TransportConfig;

import io.javaoverlay.core.ipam.DiskStore;
import io.javaoverlay.core.ipam.Owner;
import io.javaoverlay.core.ipam.Reservations;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.docker.PluginClient;
import io.javaoverlay.testkit.ExecResult;
import io.javaoverlay.testkit.TestHost;
import io.javaoverlay.testkit.TestNamespace;
import io.javaoverlay.testkit.TestNetwork;

/**
 * The plugin process ({@code bin/javaoverlay docker-plugin}) with a real dockerd in a test
 * host: what a user does with {@code docker network} and {@code docker run}, checked against
 * the containers' interfaces, the shared IPAM store and real traffic. The lease comes from a
 * subnet.env this test writes ({@code --no-agent}): the agent has its own tests.
 */
@Timeout(value = 600)
class DockerPluginIT {

    static final String LEASE = "10.5.72.0/24";

    @RegisterExtension
    static final TestNetwork NET = TestNetwork.withHosts(1);

    static DockerHost docker;
    static Path ipamDir;

    @BeforeAll
    static void startDocker() throws IOException {
        DockerHost.requirements().executable("/usr/bin/nsenter", "util-linux").orAbort();
        TestHost h1 = NET.host(1);
        docker = DockerHost.start(h1, NET.workDir());
        ipamDir = docker.ipamDir();
        docker.startPlugin(docker.noAgentPluginArgs(LEASE));
    }

    @AfterAll
    static void stopDocker() {
        if (docker != null) {
            docker.close();
        }
    }

    @AfterEach
    void removeContainersAndNetworks() {
        String ids = docker.dockerOk("ps", "-aq");
        if (!ids.isEmpty()) {
            docker.docker(concat(List.of("rm", "-f"), List.of(ids.split("\\s+"))));
        }
        for (String n : docker.dockerOk("network", "ls", "--filter", "driver=javaoverlay", "-q").split("\\s+")) {
            if (!n.isBlank()) {
                docker.dockerOk("network", "rm", n);
            }
        }
    }

    @Test
    void networkCreateInspectAndRemove() {
        docker.dockerOk("network", "create", "-d", "javaoverlay", "--ipam-driver", "javaoverlay", "plain");
        JsonNode plain = docker.inspect("network", "plain");
        assertThat(plain.get("Driver").asText()).isEqualTo("javaoverlay");
        assertThat(plain.get("Scope").asText()).isEqualTo("local");
        assertThat(plain.at("/IPAM/Driver").asText()).isEqualTo("javaoverlay");
        assertThat(plain.at("/IPAM/Config/0/Subnet").asText()).as("the addresses its containers get").isEqualTo(LEASE);
        assertThat(plain.at("/IPAM/Config/0/Gateway").asText()).isEqualTo("10.5.72.1");
        assertThat(docker.namespace().ip("-4", "-o", "addr", "show", "dev", "cni0")).contains("10.5.72.1/24");
        docker.dockerOk("network", "rm", "plain");
        assertThat(docker.namespace().exec("ip", "link", "show", "cni0").ok())
                .as("idle bridge removed; links: %s; plugin log: %s", docker.namespace().exec("ip", "-o", "link").stdout(),
                        DockerHost.tail(docker.pluginLog(), 40))
                .isFalse();

        docker.dockerOk("network", "create", "-d", "javaoverlay", "--ipam-driver", "javaoverlay", "--subnet", LEASE, "named");
        assertThat(docker.inspect("network", "named").at("/IPAM/Config/0/Subnet").asText()).isEqualTo(LEASE);
        docker.dockerOk("network", "rm", "named");
    }

    /**
     * A host whose bridge already routes the lease (CNI pods on it): dockerd's overlap check
     * refuses the lease as the pool of a network made without --subnet, and asks again; the
     * second answer (0.0.0.0/0) ends that, instead of a create that never returns.
     */
    @Test
    void onAHostWhoseBridgeAlreadyRoutesTheLeaseTheNetworkIsStillCreated() {
        TestNamespace ns = docker.namespace();
        ns.ip("link", "add", "cni0", "type", "bridge");
        try {
            ns.ip("addr", "add", "10.5.72.1/24", "dev", "cni0");
            ns.ip("link", "set", "cni0", "up");
            docker.dockerOk("network", "create", "-d", "javaoverlay", "--ipam-driver", "javaoverlay", "crowded");
            assertThat(docker.inspect("network", "crowded").at("/IPAM/Config/0/Subnet").asText()).isEqualTo("0.0.0.0/0");
            String out = docker.dockerOk("run", "--rm", "--net", "crowded", DockerHost.BUSYBOX, "ip", "-o", "-4", "addr", "show", "eth0");
            assertThat(out).containsPattern("inet 10\\.5\\.72\\.\\d+/24");
            docker.dockerOk("network", "rm", "crowded");
        } finally {
            ns.exec("ip", "link", "del", "cni0");
        }
    }

    /** javaoverlay's one network per host: a second one is refused with the reason, and nothing of it stays. */
    @Test
    void aSecondNetworkOnTheHostIsRefusedWithTheOneNetworkModel() {
        docker.dockerOk("network", "create", "-d", "javaoverlay", "--ipam-driver", "javaoverlay", "jnet");
        String jnet = docker.inspect("network", "jnet").get("Id").asText();
        ExecResult second = docker.docker("network", "create", "-d", "javaoverlay", "--ipam-driver", "javaoverlay", "jnet2");
        assertThat(second.ok()).isFalse();
        assertThat(second.stderr()).contains("already has a javaoverlay network (" + jnet.substring(0, 12) + ")")
                .contains("one network per host").contains("not be isolated");
        assertThat(docker.dockerOk("network", "ls", "--filter", "driver=javaoverlay", "--format", "{{.Name}}").strip())
                .isEqualTo("jnet");
        assertThat(docker.dockerOk("network", "ls", "--format", "{{.Name}}")).doesNotContain("jnet2");
        // the first network works as before
        assertThat(docker.dockerOk("run", "--rm", "--net", "jnet", DockerHost.BUSYBOX, "ping", "-c", "1", "-W", "2", "10.5.72.1"))
                .contains("1 packets received");
    }

    @Test
    void networksThatCouldCollideAreRefusedWithAdvice() {
        ExecResult defaultIpam = docker.docker("network", "create", "-d", "javaoverlay", "bad1");
        assertThat(defaultIpam.ok()).isFalse();
        assertThat(defaultIpam.stderr()).contains("--ipam-driver javaoverlay");
        ExecResult foreign = docker.docker("network", "create", "-d", "javaoverlay", "--ipam-driver", "javaoverlay",
                "--subnet", "10.9.0.0/24", "bad2");
        assertThat(foreign.ok()).isFalse();
        assertThat(foreign.stderr()).contains("not this host's subnet " + LEASE);
        assertThat(docker.dockerOk("network", "ls", "--filter", "driver=javaoverlay", "-q")).isEmpty();
    }

    @Test
    void aContainerGetsAnAddressFromTheLeaseWithTheOverlayRouteAndMtu() {
        docker.dockerOk("network", "create", "-d", "javaoverlay", "--ipam-driver", "javaoverlay", "ov");
        String out = docker.dockerOk("run", "--rm", "--net", "ov", DockerHost.BUSYBOX, "sh", "-c",
                "ip -o -4 addr show eth0; ip -o link show eth0; ip route");
        assertThat(out).containsPattern("inet 10\\.5\\.72\\.\\d+/24")
                .contains("mtu 1450")
                .contains("default via 10.5.72.1 dev eth0")
                .contains("10.5.0.0/16 via 10.5.72.1 dev eth0");
        // --rm: the address went back to the shared store
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> dockerReservations().isEmpty());
    }

    @Test
    void internalNetworksHaveNoDefaultRouteAndTheMtuOptionIsHonoured() {
        docker.dockerOk("network", "create", "-d", "javaoverlay", "--ipam-driver", "javaoverlay", "--internal",
                "-o", "com.docker.network.driver.mtu=1400", "iso");
        String out = docker.dockerOk("run", "--rm", "--net", "iso", DockerHost.BUSYBOX, "sh", "-c",
                "ip route; ip -o link show eth0; ip -o link | grep -c eth");
        assertThat(out).doesNotContain("default").contains("10.5.0.0/16 via 10.5.72.1 dev eth0").contains("mtu 1400");
        assertThat(out.strip()).as("no docker_gwbridge interface added").endsWith("1");
        ExecResult tooBig = docker.docker("network", "create", "-d", "javaoverlay", "--ipam-driver", "javaoverlay",
                "-o", "com.docker.network.driver.mtu=9000", "big");
        assertThat(tooBig.ok()).isFalse();
        assertThat(tooBig.stderr()).contains("MTU 9000");
        ExecResult unknown = docker.docker("network", "create", "-d", "javaoverlay", "--ipam-driver", "javaoverlay",
                "-o", "com.docker.network.bridge.name=br-mine", "mine");
        assertThat(unknown.ok()).isFalse();
        assertThat(unknown.stderr()).contains("no network option -o \"com.docker.network.bridge.name\"");
        assertThat(docker.docker("network", "inspect", "mine").ok()).as("refused network left behind").isFalse();
    }

    @Test
    void aRequestedIpIsHonouredAndTakenAddressesAreRefused() {
        docker.dockerOk("network", "create", "-d", "javaoverlay", "--ipam-driver", "javaoverlay", "--subnet", LEASE, "ov");
        docker.dockerOk("run", "-d", "--name", "fixed", "--net", "ov", "--ip", "10.5.72.200", DockerHost.BUSYBOX, "sleep", "600");
        assertThat(docker.inspect("container", "fixed").at("/NetworkSettings/Networks/ov/IPAddress").asText())
                .isEqualTo("10.5.72.200");
        assertThat(docker.dockerOk("exec", "fixed", "ip", "-o", "-4", "addr", "show", "eth0")).contains("10.5.72.200/24");
        ExecResult twice = docker.docker("run", "--rm", "--net", "ov", "--ip", "10.5.72.200", DockerHost.BUSYBOX, "true");
        assertThat(twice.ok()).isFalse();
        assertThat(twice.stderr()).contains("10.5.72.200");
    }

    @Test
    void twoContainersPingEachOtherAndRemovalFreesTheirAddresses() {
        docker.dockerOk("network", "create", "-d", "javaoverlay", "--ipam-driver", "javaoverlay", "ov");
        docker.dockerOk("run", "-d", "--name", "ca", "--net", "ov", DockerHost.BUSYBOX, "sleep", "600");
        docker.dockerOk("run", "-d", "--name", "cb", "--net", "ov", DockerHost.BUSYBOX, "sleep", "600");
        String ipA = docker.containerIp("ca", "ov");
        String ipB = docker.containerIp("cb", "ov");
        assertThat(ipA).isNotEqualTo(ipB);
        assertThat(dockerReservations()).containsOnlyKeys(Ip4.parse(ipA), Ip4.parse(ipB));
        assertThat(docker.dockerOk("exec", "ca", "ping", "-c", "2", "-W", "2", ipB)).contains("2 packets received");
        assertThat(docker.dockerOk("exec", "cb", "ping", "-c", "1", "-W", "2", "10.5.72.1")).contains("1 packets received");

        docker.dockerOk("rm", "-f", "ca", "cb");
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> dockerReservations().isEmpty());
        assertThat(docker.namespace().exec("ip", "-o", "link", "show", "master", "cni0").stdout()).isBlank();
    }

    @Test
    void connectAndDisconnectARunningContainer() {
        docker.dockerOk("network", "create", "-d", "javaoverlay", "--ipam-driver", "javaoverlay", "ov");
        docker.dockerOk("run", "-d", "--name", "cc", DockerHost.BUSYBOX, "sleep", "600");
        docker.dockerOk("network", "connect", "ov", "cc");
        String ipC = docker.containerIp("cc", "ov");
        assertThat(docker.dockerOk("exec", "cc", "ip", "-o", "-4", "addr")).contains(ipC + "/24");
        assertThat(docker.dockerOk("exec", "cc", "ip", "route")).contains("10.5.0.0/16 via 10.5.72.1");
        docker.dockerOk("network", "disconnect", "ov", "cc");
        assertThat(docker.dockerOk("exec", "cc", "ip", "-o", "-4", "addr")).doesNotContain(ipC);
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> dockerReservations().isEmpty());
    }

    @Test
    void publishedPortsReachTheContainerFromOutsideAndFromTheHost() {
        docker.dockerOk("network", "create", "-d", "javaoverlay", "--ipam-driver", "javaoverlay", "ov");
        docker.dockerOk("run", "-d", "--name", "web", "--net", "ov", "-p", "8080:80", DockerHost.BUSYBOX, "sh", "-c",
                "mkdir /www && echo hello-from-web > /www/index.html && exec httpd -f -p 80 -h /www");
        String hostIp = NET.host(1).underlayIp().toString();
        // from another machine on the underlay: PREROUTING DNAT, then FORWARD (policy DROP there)
        Awaitility.await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(200))
                .until(() -> httpGet(NET.prefix() + "-ul", hostIp, 8080).contains("hello-from-web"));
        // from the host itself: OUTPUT DNAT
        assertThat(httpGetInHost(hostIp, 8080)).contains("hello-from-web");
        assertThat(httpGetInHost("127.0.0.1", 8080)).as("on loopback too, as Docker's bridge").contains("hello-from-web");
        // and on ::1, which no DNAT reaches: the plugin's relay, to the container's IPv4 address as docker-proxy does
        assertThat(httpGetInHost("::1", 8080)).as("on ::1 through the relay").contains("hello-from-web");
        assertThat(docker.namespace().exec("iptables", "-S", "JAVAOVERLAY-LOCALNET").stdout())
                .as("containers cannot use route_localnet to reach the host's loopback")
                .contains("-A JAVAOVERLAY-LOCALNET -d 127.0.0.0/8 -i cni0 -m conntrack ! --ctstate RELATED,ESTABLISHED");

        // -p 127.0.0.1:HOSTPORT:PORT: the host's loopback only, as with Docker's bridge driver
        docker.dockerOk("run", "-d", "--name", "local", "--net", "ov", "-p", "127.0.0.1:8081:80", DockerHost.BUSYBOX, "sh", "-c",
                "mkdir /www && echo hello-from-local > /www/index.html && exec httpd -f -p 80 -h /www");
        Awaitility.await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(200))
                .until(() -> httpGetInHost("127.0.0.1", 8081).contains("hello-from-local"));
        assertThat(httpGet(NET.prefix() + "-ul", hostIp, 8081)).as("not on the host's other addresses").doesNotContain("hello");
        assertThat(httpGetInHost("::1", 8081)).as("nor on ::1").doesNotContain("hello");
        docker.dockerOk("rm", "-f", "local");

        // -P: the plugin picks the host port from the host's dynamic range, as Docker does, and
        // reports it in the endpoint's operational info (dockerd cannot show it: docs/docker.md)
        docker.dockerOk("run", "-d", "--name", "auto", "--net", "ov", "--expose", "80", "-P", DockerHost.BUSYBOX, "sh", "-c",
                "mkdir /www && echo hello-from-auto > /www/index.html && exec httpd -f -p 80 -h /www");
        JsonNode auto = docker.inspect("container", "auto").at("/NetworkSettings/Networks/ov");
        JsonNode info = new PluginClient(docker.pluginSocket()).call("NetworkDriver.EndpointOperInfo", java.util.Map.of(
                "NetworkID", auto.get("NetworkID").asText(), "EndpointID", auto.get("EndpointID").asText()));
        String published = info.at("/Value/PublishedPorts/0").asText();
        assertThat(published).as("%s", info).matches("\\d+->80/tcp");
        int port = Integer.parseInt(published.substring(0, published.indexOf("->")));
        String[] range = docker.exec("cat", "/proc/sys/net/ipv4/ip_local_port_range").stdout().strip().split("\\s+");
        assertThat(port).isBetween(Integer.parseInt(range[0]), Integer.parseInt(range[1]));
        Awaitility.await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(200))
                .until(() -> httpGet(NET.prefix() + "-ul", hostIp, port).contains("hello-from-auto"));
        assertThat(docker.pluginLog()).contains("publishes [" + published + "]");
        // where a user finds it: docker port's format, by the container's sandbox key
        String sandbox = docker.inspect("container", "auto").at("/NetworkSettings/SandboxKey").asText();
        ExecResult ports = io.javaoverlay.testkit.Exec.run(List.of(DockerHost.launcher().toString(), "docker-ports",
                "--docker-data-dir", docker.dir().resolve("plugin").toString(), sandbox), java.util.Map.of(), null,
                Duration.ofSeconds(60));
        // on ::1 too, through the plugin's relay to the container's IPv4 address (the network has no IPv6)
        assertThat(ports.stdout().strip()).as("%s", ports.stderr()).isEqualTo("80/tcp -> 0.0.0.0:" + port + "\n80/tcp -> [::1]:" + port);
        ExecResult unknown = io.javaoverlay.testkit.Exec.run(List.of(DockerHost.launcher().toString(), "docker-ports",
                "--docker-data-dir", docker.dir().resolve("plugin").toString(), "/var/run/docker/netns/nope"), java.util.Map.of(),
                null, Duration.ofSeconds(60));
        assertThat(unknown.ok()).isFalse();
        assertThat(unknown.stderr()).contains("no javaoverlay endpoint with sandbox or ID /var/run/docker/netns/nope");
        docker.dockerOk("rm", "-f", "auto");

        ExecResult clash = docker.docker("run", "-d", "--name", "web2", "--net", "ov", "-p", "8080:80", DockerHost.BUSYBOX,
                "sleep", "600");
        assertThat(clash.ok()).isFalse();
        assertThat(clash.stderr()).contains("8080/tcp is already published");

        docker.dockerOk("rm", "-f", "web");
        assertThat(docker.namespace().exec("iptables", "-t", "nat", "-S", "JAVAOVERLAY-DNAT").stdout()).doesNotContain("8080");
    }

    /**
     * UDP: a datagram from another machine to the published port reaches the container. busybox
     * has no UDP server, so the container's own counter of datagrams for a closed port tells it
     * arrived; bash's /dev/udp sends it.
     */
    @Test
    void aPublishedUdpPortDeliversDatagramsToTheContainer() {
        docker.dockerOk("network", "create", "-d", "javaoverlay", "--ipam-driver", "javaoverlay", "ov");
        docker.dockerOk("run", "-d", "--name", "udp", "--net", "ov", "-p", "5353:53/udp", DockerHost.BUSYBOX, "sleep", "600");
        assertThat(docker.namespace().exec("iptables", "-t", "nat", "-S", "JAVAOVERLAY-DNAT").stdout())
                .contains("-p udp -m udp --dport 5353");
        long before = udpNoPorts("udp");
        String hostIp = NET.host(1).underlayIp().toString();
        Awaitility.await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(300)).until(() -> {
            io.javaoverlay.testkit.Exec.run(List.of("ip", "netns", "exec", NET.prefix() + "-ul", "bash", "-c",
                    "echo ping > /dev/udp/" + hostIp + "/5353"), java.util.Map.of(), null, Duration.ofSeconds(5));
            return udpNoPorts("udp") > before;
        });
    }

    /** Udp NoPorts of the container's /proc/net/snmp: datagrams that arrived for a port nobody listens on. */
    static long udpNoPorts(String container) {
        List<String> lines = docker.dockerOk("exec", container, "cat", "/proc/net/snmp").lines()
                .filter(l -> l.startsWith("Udp:")).toList();
        List<String> names = List.of(lines.get(0).split("\\s+"));
        return Long.parseLong(lines.get(1).split("\\s+")[names.indexOf("NoPorts")]);
    }

    @Test
    void malformedRequestsToTheRealPluginGetErrorRepliesAndChangeNothing() {
        String linksBefore = docker.namespace().exec("ip", "-o", "link").stdout();
        PluginClient client = new PluginClient(docker.pluginSocket());
        PluginClient.Reply bad = client.post("NetworkDriver.CreateNetwork", "{\"NetworkID\":");
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.json().get("Err").asText()).startsWith("malformed");
        PluginClient.Reply unknown = client.post("NetworkDriver.Join",
                "{\"NetworkID\":\"0123456789ab\",\"EndpointID\":\"0123456789ab\",\"SandboxKey\":\"/x\"}");
        assertThat(unknown.status()).isEqualTo(200);
        assertThat(unknown.json().get("Err").asText()).contains("not known to the javaoverlay plugin");
        assertThat(client.post("NetworkDriver.Nope", "{}").status()).isEqualTo(404);
        assertThat(docker.namespace().exec("ip", "-o", "link").stdout()).isEqualTo(linksBefore);
        assertThat(docker.pluginLog()).as("plugin log").doesNotContain("Exception");
    }

    /**
     * Docker promises unique endpoint IDs, not unique 12-character prefixes: two endpoints whose
     * IDs share theirs both join, on the real kernel, each with its own veth pair on the bridge,
     * and leaving one leaves the other's veth alone. (dockerd picks endpoint IDs itself, so the
     * two endpoints are made through the plugin socket, as dockerd would make them.)
     */
    @Test
    void endpointsWhoseIdsShareTheirFirst12CharactersEachGetTheirOwnVeth() {
        docker.dockerOk("network", "create", "-d", "javaoverlay", "--ipam-driver", "javaoverlay", "--subnet", LEASE, "ov");
        String net = docker.inspect("network", "ov").get("Id").asText();
        PluginClient client = new PluginClient(docker.pluginSocket());
        String prefix = "0123456789ab";
        List<String> endpoints = List.of(prefix + "a".repeat(52), prefix + "b".repeat(52));
        List<String> hostEnds = new java.util.ArrayList<>();
        for (int i = 0; i < 2; i++) {
            String ep = endpoints.get(i);
            JsonNode created = client.call("NetworkDriver.CreateEndpoint", java.util.Map.of("NetworkID", net, "EndpointID", ep,
                    "Interface", java.util.Map.of("Address", "10.5.72." + (201 + i) + "/24", "MacAddress", "02:42:0a:05:48:c" + i)));
            assertThat(created.has("Err")).as("%s", created).isFalse();
            JsonNode join = client.call("NetworkDriver.Join", java.util.Map.of("NetworkID", net, "EndpointID", ep,
                    "SandboxKey", "/var/run/docker/netns/jo-test-" + i));
            assertThat(join.has("Err")).as("%s", join).isFalse();
            hostEnds.add(client.call("NetworkDriver.EndpointOperInfo", java.util.Map.of("NetworkID", net, "EndpointID", ep))
                    .get("Value").get("HostInterface").asText());
        }
        try {
            assertThat(hostEnds.get(0)).isNotEqualTo(hostEnds.get(1));
            String ports = docker.namespace().exec("ip", "-o", "link", "show", "master", "cni0").stdout();
            assertThat(ports).as("both veths on the bridge").contains(hostEnds.get(0) + "@").contains(hostEnds.get(1) + "@");

            client.call("NetworkDriver.Leave", java.util.Map.of("NetworkID", net, "EndpointID", endpoints.get(1)));
            assertThat(docker.namespace().exec("ip", "link", "show", hostEnds.get(0)).ok()).as("the other's veth stays").isTrue();
            assertThat(docker.namespace().exec("ip", "link", "show", hostEnds.get(1)).ok()).isFalse();
        } finally {
            for (String ep : endpoints) {
                client.call("NetworkDriver.Leave", java.util.Map.of("NetworkID", net, "EndpointID", ep));
                client.call("NetworkDriver.DeleteEndpoint", java.util.Map.of("NetworkID", net, "EndpointID", ep));
            }
        }
        assertThat(docker.namespace().exec("ip", "-o", "link", "show", "master", "cni0").stdout()).isBlank();
    }

    /**
     * The same lifecycle through the Docker Engine API, as a Java program drives dockerd: the
     * Testcontainers client (its docker-java API) on this test's dockerd socket: network create,
     * inspect and remove, disconnect and connect of a running container. The address dockerd
     * reports must be the one the shared IPAM store holds, and disconnect and removal free it.
     */
    @Test
    void theDockerEngineApiThroughTestcontainersSeesTheSameNetwork() throws IOException {
        DockerClient api = DockerClientProviderStrategy.getClientForConfig(
                TransportConfig.builder().dockerHost(URI.create("unix://" + docker.apiSocket())).build());
        try (api) {
            String networkId = api.createNetworkCmd().withName("viaapi").withDriver("javaoverlay")
                    .withIpam(new Network.Ipam().withDriver("javaoverlay")).exec().getId();
            Network network = api.inspectNetworkCmd().withNetworkId(networkId).exec();
            assertThat(network.getDriver()).isEqualTo("javaoverlay");
            assertThat(network.getIpam().getConfig()).extracting(Network.Ipam.Config::getGateway).containsExactly("10.5.72.1");

            // started by the CLI: the client's own create looks up registry credentials through
            // Testcontainers' global Docker environment, which is not this test's dockerd
            String id = docker.dockerOk("run", "-d", "--net", "viaapi", DockerHost.BUSYBOX, "sleep", "600");
            String first = api.inspectContainerCmd(id).exec().getNetworkSettings().getNetworks().get("viaapi").getIpAddress();
            assertThat(dockerReservations()).containsOnlyKeys(Ip4.parse(first));

            api.disconnectFromNetworkCmd().withNetworkId(networkId).withContainerId(id).exec();
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> dockerReservations().isEmpty());
            api.connectToNetworkCmd().withNetworkId(networkId).withContainerId(id).exec();
            String ip = api.inspectContainerCmd(id).exec().getNetworkSettings().getNetworks().get("viaapi").getIpAddress();
            assertThat(Ip4Net.parse(LEASE).contains(Ip4.parse(ip))).as("%s inside %s", ip, LEASE).isTrue();
            assertThat(dockerReservations()).containsOnlyKeys(Ip4.parse(ip));
            assertThat(docker.dockerOk("exec", id, "ping", "-c", "1", "-W", "2", "10.5.72.1")).contains("1 packets received");

            api.removeContainerCmd(id).withForce(true).exec();
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> dockerReservations().isEmpty());
            api.removeNetworkCmd(networkId).exec();
            assertThat(api.listNetworksCmd().withNameFilter("viaapi").exec()).isEmpty();
        }
    }

    // --- helpers ---

    static java.util.Map<Ip4, Owner> dockerReservations() {
        java.util.Map<Ip4, Owner> all = new java.util.TreeMap<>(new Reservations(DiskStore.open(ipamDir)).all());
        all.values().removeIf(o -> !o.client().equals("docker"));
        return all;
    }

    /** An HTTP GET with busybox nc from inside a namespace (busybox's wget needs a resolver there). */
    static String httpGet(String namespace, String ip, int port) {
        return io.javaoverlay.testkit.Exec.run(List.of("ip", "netns", "exec", namespace, "sh", "-c",
                "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | busybox nc -w 3 " + ip + " " + port), java.util.Map.of(), null,
                Duration.ofSeconds(10)).stdout();
    }

    static String httpGetInHost(String ip, int port) {
        return httpGetInHost(docker, ip, port);
    }

    static String httpGetInHost(DockerHost host, String ip, int port) {
        return host.exec("sh", "-c", "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | busybox nc -w 3 " + ip + " " + port).stdout();
    }

    static String[] concat(List<String> a, List<String> b) {
        return java.util.stream.Stream.concat(a.stream(), b.stream()).toArray(String[]::new);
    }
}
