package io.javaoverlay.docker;

import static io.javaoverlay.docker.InProcessPlugin.obj;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import io.javaoverlay.core.config.SubnetEnv;
import io.javaoverlay.core.ipam.DiskStore;
import io.javaoverlay.core.ipam.Reservations;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.Ip6Net;

/** {@code docker network create --ipv6 -d javaoverlay --ipam-driver javaoverlay}: what dockerd sends, over the socket. */
class DualStackNetworkTest {

    static final String LEASE6 = "fc00:5:0:34::/64";
    static final String GATEWAY6 = "fc00:5:0:34::1/64";
    static final String NET = InProcessPlugin.id("net6");
    static final String EP = InProcessPlugin.id("ep6");
    static final String MAC = "02:42:0a:05:48:02";

    @TempDir
    Path dir;

    InProcessPlugin p;

    @BeforeEach
    void start() throws Exception {
        p = new InProcessPlugin(dir);
        SubnetEnv.of(Ip4Net.parse(InProcessPlugin.OVERLAY), Ip4Net.parse(InProcessPlugin.LEASE), Optional.of(Ip6Net.parse("fc00:5::/48")),
                Optional.of(Ip6Net.parse(LEASE6)), InProcessPlugin.MTU, false).write(p.settings.subnetFile());
        p.startPlugin();
    }

    @AfterEach
    void stop() {
        p.close();
    }

    private Reservations reservations() {
        return new Reservations(DiskStore.open(p.settings.ipamDir()));
    }

    private JsonNode requestPool6() {
        return p.client.call("IpamDriver.RequestPool", obj("AddressSpace", "JavaOverlayLocal", "Pool", "", "SubPool", "",
                "Options", Map.of(), "V6", true));
    }

    /** The network on this host's IPv4 lease and, unless {@code pool6} is null, on that IPv6 pool ({@code --ipv6}). */
    private JsonNode createNetwork(String pool6, String gateway6) {
        return p.client.call("NetworkDriver.CreateNetwork", obj("NetworkID", NET, "Options", Map.of(),
                "IPv4Data", List.of(obj("AddressSpace", "JavaOverlayLocal", "Pool", InProcessPlugin.LEASE, "Gateway", InProcessPlugin.GATEWAY)),
                "IPv6Data", pool6 == null ? List.of() : List.of(obj("AddressSpace", "JavaOverlayLocal", "Pool", pool6, "Gateway", gateway6))));
    }

    /** The endpoint with {@code v4} and, unless null, {@code address6}. */
    private JsonNode createEndpoint(String v4, String address6) {
        return p.client.call("NetworkDriver.CreateEndpoint", obj("NetworkID", NET, "EndpointID", EP,
                "Interface", address6 == null ? obj("Address", v4, "MacAddress", MAC) : obj("Address", v4, "AddressIPv6", address6,
                        "MacAddress", MAC), "Options", Map.of()));
    }

    private JsonNode join() {
        return p.client.call("NetworkDriver.Join", obj("NetworkID", NET, "EndpointID", EP,
                "SandboxKey", "/var/run/docker/netns/abc123", "Options", Map.of()));
    }

    /** Pools of both families, the dual-stack network, and the endpoint with an IPv4 address and fc00:5:0:34::9 (not joined). */
    private void createDualStackEndpoint() {
        requestPool6();
        String poolId4 = p.requestPool();
        createNetwork(LEASE6, GATEWAY6);
        String v4 = p.requestAddress(poolId4, "", MAC);
        createEndpoint(v4, "fc00:5:0:34::9/64");
    }

    @Test
    void anIpv6NetworkGetsTheHostsIpv6SubnetItsGatewayOnTheBridgeAndContainersBothAddresses() {
        JsonNode pool = requestPool6();
        assertThat(pool.get("Pool").asText()).isEqualTo(LEASE6);
        assertThat(pool.get("Data").get("com.docker.network.gateway").asText()).isEqualTo(GATEWAY6);
        String poolId6 = pool.get("PoolID").asText();
        String poolId4 = p.requestPool();

        assertThat(createNetwork(LEASE6, GATEWAY6).has("Err")).isFalse();
        assertThat(p.host.bridge6.get(InProcessPlugin.BRIDGE)).hasToString(GATEWAY6);
        assertThat(p.firewall.forwardedBridges6).as("ip6tables FORWARD accepts the bridge").containsExactly(InProcessPlugin.BRIDGE);

        String v4 = p.requestAddress(poolId4, "", MAC);
        String v6 = p.requestAddress(poolId6, "", MAC);
        assertThat(v6).isEqualTo("fc00:5:0:34::2/64");
        assertThat(p.requestAddress(poolId6, "", MAC)).as("a repeat for the same endpoint").isEqualTo(v6);
        assertThat(reservations().all6()).hasSize(1);
        assertThat(reservations().all6().values()).singleElement().satisfies(o -> assertThat(o.client()).isEqualTo("docker"));

        JsonNode ep = createEndpoint(v4, v6);
        assertThat(ep.has("Err")).as(ep.toString()).isFalse();
        JsonNode join = join();
        assertThat(join.get("Gateway").asText()).isEqualTo("10.5.72.1");
        assertThat(join.get("GatewayIPv6").asText()).isEqualTo("fc00:5:0:34::1");
        assertThat(join.get("StaticRoutes").findValuesAsText("Destination")).containsExactly(InProcessPlugin.OVERLAY, "fc00:5::/48");
        assertThat(join.get("StaticRoutes").findValuesAsText("NextHop")).containsExactly("10.5.72.1", "fc00:5:0:34::1");

        // the address freed by dockerd after the container went
        assertThat(p.client.call("IpamDriver.ReleaseAddress", obj("PoolID", poolId6, "Address", "fc00:5:0:34::2")).has("Error")).isFalse();
        assertThat(reservations().all6()).isEmpty();
        assertThat(p.client.call("IpamDriver.ReleasePool", obj("PoolID", poolId6)).has("Error")).isFalse();
    }

    @Test
    void theNetworkSurvivesAPluginRestartWithItsIpv6Gateway() {
        createDualStackEndpoint();
        // the bridge lost its IPv6 address while the plugin was down (a reboot, someone flushed it)
        p.host.bridge6.clear();
        p.firewall.forwardedBridges6.clear();
        p.restart();
        assertThat(p.host.bridge6.get(InProcessPlugin.BRIDGE)).as("put back at start").hasToString(GATEWAY6);
        assertThat(p.firewall.forwardedBridges6).as("put back at start").containsExactly(InProcessPlugin.BRIDGE);
        JsonNode join = join();
        assertThat(join.get("GatewayIPv6").asText()).isEqualTo("fc00:5:0:34::1");
    }

    /** flanneld's file for an IPv6-only network: the Docker face refuses it (the CNI plugin takes it). */
    @Test
    void anIpv6OnlySubnetEnvIsRefusedSayingWhatToDo() throws Exception {
        SubnetEnv.ipv6Only(Ip6Net.parse("fc00:5::/48"), Ip6Net.parse(LEASE6), InProcessPlugin.MTU, false).write(p.settings.subnetFile());
        JsonNode refused = p.client.call("IpamDriver.RequestPool", obj("AddressSpace", "JavaOverlayLocal", "Pool", "", "SubPool", "",
                "Options", Map.of()));
        assertThat(refused.get("Error").asText()).contains("holds an IPv6 subnet only").contains("the Docker face needs an IPv4 subnet")
                .contains("CNI plugin");
        assertThat(requestPool6().get("Error").asText()).contains("holds an IPv6 subnet only");
        assertThat(reservations().all6()).isEmpty();
    }

    @Test
    void anIpv4OnlyNetworkAllowsNoIpv6ForwardingAndTheLastNetworksDeletionRemovesBoth() {
        String poolId4 = p.requestPool();
        assertThat(createNetwork(null, null).has("Err")).isFalse();
        assertThat(p.firewall.forwardedBridges).containsExactly(InProcessPlugin.BRIDGE);
        assertThat(p.firewall.forwardedBridges6).isEmpty();
        p.client.call("NetworkDriver.DeleteNetwork", obj("NetworkID", NET));
        assertThat(p.firewall.forwardedBridges).isEmpty();

        requestPool6();
        createNetwork(LEASE6, GATEWAY6);
        assertThat(p.firewall.forwardedBridges6).containsExactly(InProcessPlugin.BRIDGE);
        p.client.call("NetworkDriver.DeleteNetwork", obj("NetworkID", NET));
        assertThat(p.firewall.forwardedBridges6).isEmpty();
        assertThat(poolId4).isNotEmpty();
    }

    @Test
    void aPortPublishedOnEveryAddressIsPublishedOnIpv6ToTheContainersIpv6Address() {
        createDualStackEndpoint();
        p.host.moveToSandbox(join().get("InterfaceName").get("SrcName").asText()); // what dockerd does next
        JsonNode ok = p.client.call("NetworkDriver.ProgramExternalConnectivity", obj("NetworkID", NET, "EndpointID", EP,
                "Options", Map.of("com.docker.network.portmap", List.of(
                        NetworkLifecycleTest.binding(6, 80, 8080, 8080),
                        // on one IPv4 address: that address only
                        obj("Proto", 6, "IP", "", "Port", 81, "HostIP", "10.0.0.1", "HostPort", 8081, "HostPortEnd", 8081),
                        // the IPv6 twin newer dockerds send beside 0.0.0.0: the first binding covers it
                        obj("Proto", 6, "IP", "", "Port", 80, "HostIP", "::", "HostPort", 8080, "HostPortEnd", 8080)))));
        assertThat(ok.has("Err")).as(ok.toString()).isFalse();
        assertThat(p.dnat.published6).extracting(pub -> pub.container().ipText() + " " + pub.mapping())
                .containsExactly("fc00:5:0:34::9 8080->80/tcp");
        assertThat(p.dnat.published).hasSize(2);

        JsonNode info = p.client.call("NetworkDriver.EndpointOperInfo", obj("NetworkID", NET, "EndpointID", EP)).get("Value");
        assertThat(info.get("AddressIPv6").asText()).isEqualTo("fc00:5:0:34::9/64");
        assertThat(info.get("PublishedPorts")).extracting(JsonNode::asText).containsExactly("8080->80/tcp", "10.0.0.1:8081->81/tcp");
        assertThat(info.get("PublishedPortsIPv6")).extracting(JsonNode::asText).containsExactly("[::]:8080->[fc00:5:0:34::9]:80/tcp",
                "[::1]:8080->[fc00:5:0:34::9]:80/tcp (relay)");
        // ::1 through the relay, to the container's IPv6 address; the port on 10.0.0.1 has none
        assertThat(p.dnat.relayed).extracting(r -> r.container().getHostAddress() + " " + r.mapping())
                .containsExactly("fc00:5:0:34:0:0:0:9 8080->80/tcp");

        // a restart rebuilds the IPv6 chain and the relays from the endpoint's state
        p.dnat.published6.clear();
        p.plugin.close();
        assertThat(p.dnat.closed).as("the relays stop with the plugin").isTrue();
        assertThat(p.dnat.relayed).isEmpty();
        p.startPlugin();
        assertThat(p.dnat.published6).extracting(pub -> pub.container().ipText() + " " + pub.mapping())
                .containsExactly("fc00:5:0:34::9 8080->80/tcp");
        assertThat(p.dnat.relayed).extracting(r -> r.mapping().toString()).containsExactly("8080->80/tcp");

        p.client.call("NetworkDriver.RevokeExternalConnectivity", obj("NetworkID", NET, "EndpointID", EP));
        assertThat(p.dnat.published6).isEmpty();
        assertThat(p.dnat.published).isEmpty();
        assertThat(p.dnat.relayed).isEmpty();
    }

    private String joinedEndpoint(String address6) {
        String poolId4 = p.requestPool();
        String v4 = p.requestAddress(poolId4, "", MAC);
        createEndpoint(v4, address6);
        p.host.moveToSandbox(join().get("InterfaceName").get("SrcName").asText());
        return v4;
    }

    private JsonNode publish(Object... bindings) {
        return p.client.call("NetworkDriver.ProgramExternalConnectivity", obj("NetworkID", NET, "EndpointID", EP,
                "Options", Map.of("com.docker.network.portmap", List.of(bindings))));
    }

    private static Map<String, Object> on(String hostIp, int hostPort, int port) {
        return obj("Proto", 6, "IP", "", "Port", port, "HostIP", hostIp, "HostPort", hostPort, "HostPortEnd", hostPort);
    }

    @Test
    void aPortOnOneIpv6AddressIsDnatedOnThatAddressOnlyAndOnLoopbackThroughTheRelay() {
        requestPool6();
        createNetwork(LEASE6, GATEWAY6);
        joinedEndpoint("fc00:5:0:34::9/64");
        JsonNode ok = publish(on("fd00:e2e::1", 8081, 80), on("::1", 8082, 80), on("127.0.0.1", 8083, 80), on("::", 8084, 80));
        assertThat(ok.has("Err")).as(ok.toString()).isFalse();
        assertThat(p.dnat.published6).extracting(pub -> pub.container().ipText() + " " + pub.mapping())
                .containsExactly("fc00:5:0:34::9 [fd00:e2e::1]:8081->80/tcp", "fc00:5:0:34::9 [::]:8084->80/tcp");
        assertThat(p.dnat.published).as("IPv4 rules only for IPv4 addresses").extracting(pub -> pub.mapping().toString())
                .containsExactly("127.0.0.1:8083->80/tcp");
        assertThat(p.dnat.relayed).extracting(r -> r.mapping().toString()).containsExactly("[::1]:8082->80/tcp", "[::]:8084->80/tcp");
        JsonNode info = p.client.call("NetworkDriver.EndpointOperInfo", obj("NetworkID", NET, "EndpointID", EP)).get("Value");
        assertThat(info.get("PublishedPortsIPv6")).extracting(JsonNode::asText).containsExactly(
                "[fd00:e2e::1]:8081->[fc00:5:0:34::9]:80/tcp", "[::]:8084->[fc00:5:0:34::9]:80/tcp",
                "[::1]:8082->[fc00:5:0:34::9]:80/tcp (relay)", "[::1]:8084->[fc00:5:0:34::9]:80/tcp (relay)");

        // the same port on another IPv6 address and on an IPv4 one: no clash; on ::, which covers both IPv6 ones: a clash
        p.client.call("NetworkDriver.RevokeExternalConnectivity", obj("NetworkID", NET, "EndpointID", EP));
        assertThat(publish(on("fd00:e2e::1", 8081, 80), on("fd00:e2e::2", 8081, 80), on("10.0.0.1", 8081, 80)).has("Err")).isFalse();
        p.client.call("NetworkDriver.RevokeExternalConnectivity", obj("NetworkID", NET, "EndpointID", EP));
        JsonNode clash = publish(on("fd00:e2e::1", 8081, 80), on("::", 8081, 80));
        assertThat(clash.get("Err").asText()).contains("8081/tcp is already published");
        assertThat(p.dnat.published6).isEmpty();
    }

    @Test
    void anIpv6HostAddressOnANetworkWithoutIpv6IsRefusedAndLeavesNothing() {
        String poolId4 = p.requestPool();
        assertThat(poolId4).isNotEmpty();
        assertThat(createNetwork(null, null).has("Err")).isFalse();
        String v4 = joinedEndpoint(null);
        JsonNode refused = publish(NetworkLifecycleTest.binding(6, 80, 8080, 8080), on("fd00:e2e::1", 8081, 80));
        assertThat(refused.get("Err").asText()).contains("IPv6 address fd00:e2e::1").contains("without --ipv6");
        assertThat(p.dnat.published).isEmpty();
        assertThat(p.dnat.relayed).isEmpty();
        assertThat(publish(on("::1", 8082, 80)).get("Err").asText()).contains("without --ipv6");

        // every address on an IPv4-only network: ::1 is relayed to the container's IPv4 address, as docker-proxy does
        assertThat(publish(NetworkLifecycleTest.binding(6, 80, 8080, 8080)).has("Err")).isFalse();
        assertThat(p.dnat.published6).isEmpty();
        assertThat(p.dnat.relayed).extracting(r -> r.container().getHostAddress() + " " + r.mapping())
                .containsExactly(v4.split("/")[0] + " 8080->80/tcp");
        JsonNode info = p.client.call("NetworkDriver.EndpointOperInfo", obj("NetworkID", NET, "EndpointID", EP)).get("Value");
        assertThat(info.get("PublishedPortsIPv6")).extracting(JsonNode::asText)
                .containsExactly("[::1]:8080->" + v4.split("/")[0] + ":80/tcp (relay)");
    }

    @Test
    void aPortTakenOnLoopbackFailsTheRequestAndUndoesEveryRule() {
        requestPool6();
        createNetwork(LEASE6, GATEWAY6);
        joinedEndpoint("fc00:5:0:34::9/64");
        p.dnat.failOnRelayPort = 9090; // something holds [::1]:9090: after both families' rules and the first relay
        JsonNode failed = publish(NetworkLifecycleTest.binding(6, 80, 8080, 8080), NetworkLifecycleTest.binding(6, 90, 9090, 9090));
        assertThat(failed.get("Err").asText()).contains("[::1]:9090").contains("Address already in use");
        assertThat(p.dnat.published).isEmpty();
        assertThat(p.dnat.published6).isEmpty();
        assertThat(p.dnat.relayed).isEmpty();
        JsonNode info = p.client.call("NetworkDriver.EndpointOperInfo", obj("NetworkID", NET, "EndpointID", EP)).get("Value");
        assertThat(info.has("PublishedPorts")).isFalse();
    }

    @Test
    void badIpv6HostAddressesAreRefused() {
        requestPool6();
        createNetwork(LEASE6, GATEWAY6);
        joinedEndpoint("fc00:5:0:34::9/64");
        assertThat(publish(on("ff02::1", 8080, 80)).get("Err").asText()).contains("multicast");
        assertThat(publish(on("fe80::1", 8080, 80)).get("Err").asText()).contains("link-local");
        assertThat(publish(on("fe80::1%eth0", 8080, 80)).get("Err").asText()).contains("zone");
        // not IPv6 addresses at all (an IPv4-mapped one is IPv4 in disguise): a bad request
        for (String bad : List.of("fd00::zz", "::ffff:a00:1", "fd00::1/64")) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> publish(on(bad, 8080, 80))).hasMessageContaining("400")
                    .hasMessageContaining("HostIP");
        }
        assertThat(p.dnat.published6).isEmpty();
        assertThat(p.dnat.relayed).isEmpty();
    }

    @Test
    void anIpv6PublishTheHostRefusesUndoesBothFamilies() {
        createDualStackEndpoint();
        join();
        p.dnat.failOnHostPort6 = 9090; // ip6tables refuses the second mapping, after both IPv4 ones and the first IPv6 one
        JsonNode failed = p.client.call("NetworkDriver.ProgramExternalConnectivity", obj("NetworkID", NET, "EndpointID", EP,
                "Options", Map.of("com.docker.network.portmap", List.of(NetworkLifecycleTest.binding(6, 80, 8080, 8080),
                        NetworkLifecycleTest.binding(6, 90, 9090, 9090)))));
        assertThat(failed.has("Err")).as(failed.toString()).isTrue();
        assertThat(p.dnat.published).as("the IPv4 rules undone too").isEmpty();
        assertThat(p.dnat.published6).isEmpty();
    }

    @Test
    void foreignIpv6PoolsGatewaysAndAddressesAreRefused() {
        assertThat(p.client.call("IpamDriver.RequestPool", obj("AddressSpace", "JavaOverlayLocal", "Pool", "fd00:1::/64", "V6", true))
                .get("Error").asText()).contains("not this host's IPv6 subnet " + LEASE6);
        assertThat(createNetwork("fd00:1::/64", "fd00:1::1/64").get("Err").asText()).contains("not this host's IPv6 subnet " + LEASE6);
        assertThat(createNetwork(LEASE6, "fc00:5:0:34::99/64").get("Err").asText()).contains("is not the host bridge's address");
        String poolId6 = requestPool6().get("PoolID").asText();
        // --ip6: given when free, refused when taken or outside
        assertThat(p.requestAddress(poolId6, "fc00:5:0:34::50", MAC)).isEqualTo("fc00:5:0:34::50/64");
        JsonNode taken = p.client.call("IpamDriver.RequestAddress", obj("PoolID", poolId6, "Address", "fc00:5:0:34::50",
                "Options", Map.of("com.docker.network.endpoint.macaddress", "02:42:0a:05:48:03")));
        assertThat(taken.get("Error").asText()).contains("already in use");
        JsonNode outside = p.client.call("IpamDriver.RequestAddress", obj("PoolID", poolId6, "Address", "fd00::50",
                "Options", Map.of("com.docker.network.endpoint.macaddress", "02:42:0a:05:48:04")));
        assertThat(outside.get("Error").asText()).contains("outside this host's IPv6 subnet");
        assertThat(reservations().all6()).hasSize(1);
        p.client.call("IpamDriver.ReleaseAddress", obj("PoolID", poolId6, "Address", "fc00:5:0:34::50"));
        assertThat(reservations().all6()).isEmpty();
        // an IPv6 address on an IPv4-only network
        assertThat(createNetwork(null, null).has("Err")).isFalse();
        JsonNode ep = createEndpoint("10.5.72.2/24", "fc00:5:0:34::2/64");
        assertThat(ep.get("Err").asText()).contains("created without --ipv6");
    }

    @Test
    void aHostWithoutAnIpv6SubnetRefusesIpv6NetworksClearly() throws Exception {
        SubnetEnv.of(Ip4Net.parse(InProcessPlugin.OVERLAY), Ip4Net.parse(InProcessPlugin.LEASE), InProcessPlugin.MTU, false)
                .write(p.settings.subnetFile());
        assertThat(requestPool6().get("Error").asText()).contains("this host has no IPv6 subnet")
                .contains("FLANNEL_IPV6_SUBNET").contains("without --ipv6");
        assertThat(createNetwork(LEASE6, GATEWAY6).get("Err").asText()).contains("this host has no IPv6 subnet");
        assertThat(p.host.bridge6).isEmpty();
    }
}
