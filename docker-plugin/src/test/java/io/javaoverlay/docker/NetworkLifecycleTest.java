package io.javaoverlay.docker;

import static io.javaoverlay.docker.InProcessPlugin.GATEWAY;
import static io.javaoverlay.docker.InProcessPlugin.LEASE;
import static io.javaoverlay.docker.InProcessPlugin.id;
import static io.javaoverlay.docker.InProcessPlugin.obj;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.fasterxml.jackson.databind.JsonNode;

import io.javaoverlay.core.host.FakeHostAttachment;
import io.javaoverlay.core.ipam.DiskStore;
import io.javaoverlay.core.ipam.Owner;
import io.javaoverlay.core.ipam.Reservations;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.docker.host.PublishedPorts;
import io.javaoverlay.docker.state.PortMapping;
import io.javaoverlay.docker.state.VethNames;

/**
 * The driver's calls in the order dockerd makes them, against a fake host: what each call
 * answers and what it leaves in the state directory, the shared IPAM store and the host.
 */
@Timeout(60)
class NetworkLifecycleTest extends InProcessPluginTest {

    static final String NET = id("net");
    static final String EP = id("ep");
    static final String MAC = "02:42:0a:05:48:02";

    @Test
    void requestPoolHandsOutThisHostsLeaseWithItsGateway() {
        JsonNode pool = p.client.call("IpamDriver.RequestPool", obj("AddressSpace", "JavaOverlayLocal", "Pool", LEASE, "V6", false));
        assertThat(pool.get("Pool").asText()).isEqualTo(LEASE);
        assertThat(pool.get("Data").get("com.docker.network.gateway").asText()).isEqualTo(GATEWAY);
        String id = pool.get("PoolID").asText();
        assertThat(p.requestPool()).as("the same pool every time").isEqualTo(id);
        // released as often as dockerd likes (it holds and releases pools in its own order):
        // the pool is the lease, addresses keep working
        for (int i = 0; i < 3; i++) {
            assertThat(p.client.call("IpamDriver.ReleasePool", obj("PoolID", id)).has("Error")).isFalse();
        }
        assertThat(p.requestAddress(id, "", MAC)).startsWith("10.5.72.");
    }

    @Test
    void withoutSubnetTheNetworkGetsTheLeaseAndTheAnyPoolOnlyWhenDockerAsksAgain() {
        JsonNode pool = p.client.call("IpamDriver.RequestPool", obj("AddressSpace", "JavaOverlayLocal", "Pool", "", "V6", false));
        assertThat(pool.get("Pool").asText()).as("what docker network inspect shows").isEqualTo(LEASE);
        assertThat(pool.get("Data").get("com.docker.network.gateway").asText()).isEqualTo(GATEWAY);
        String leaseId = pool.get("PoolID").asText();

        // dockerd checks a pool it did not name against the host's routes; when a route overlaps
        // it (the bridge's, with CNI pods on it) it holds the pool and asks again, and would do
        // so forever: the second ask gets 0.0.0.0/0, which it does not check.
        JsonNode again = p.client.call("IpamDriver.RequestPool", obj("AddressSpace", "JavaOverlayLocal", "Pool", "", "V6", false));
        assertThat(again.get("Pool").asText()).isEqualTo("0.0.0.0/0");
        assertThat(again.get("Data").get("com.docker.network.gateway").asText()).isEqualTo(GATEWAY);
        String anyId = again.get("PoolID").asText();
        assertThat(anyId).isNotEqualTo(leaseId);
        assertThat(p.client.call("IpamDriver.ReleasePool", obj("PoolID", leaseId)).has("Error")).isFalse();

        JsonNode created = p.client.call("NetworkDriver.CreateNetwork", obj("NetworkID", NET, "Options", Map.of(),
                "IPv4Data", List.of(obj("AddressSpace", "JavaOverlayLocal", "Pool", "0.0.0.0/0", "Gateway", GATEWAY))));
        assertThat(created.has("Err")).as("%s", created).isFalse();
        assertThat(p.requestAddress(anyId, "", MAC)).isEqualTo("10.5.72.2/24");
        endpointJoined(NET, EP, "10.5.72.2/24");
        assertThat(p.host.links.get(InProcessPlugin.BRIDGE).addresses()).extracting(Object::toString).containsExactly(GATEWAY);

        // the 0.0.0.0/0 pool's release does not count as the lease's: the lease is free, so the next network gets it
        assertThat(p.client.call("IpamDriver.ReleasePool", obj("PoolID", anyId)).has("Error")).isFalse();
        assertThat(p.client.call("IpamDriver.RequestPool", obj("AddressSpace", "JavaOverlayLocal", "Pool", ""))
                .get("Pool").asText()).isEqualTo(LEASE);
    }

    @Test
    void foreignPoolsIpv6AndIpRangesAreRefusedWithAdvice() {
        JsonNode foreign = p.client.call("IpamDriver.RequestPool", obj("AddressSpace", "JavaOverlayLocal", "Pool", "172.20.0.0/16"));
        assertThat(foreign.get("Error").asText()).contains("not this host's subnet " + LEASE).contains("without --subnet");
        JsonNode v6 = p.client.call("IpamDriver.RequestPool", obj("AddressSpace", "JavaOverlayLocal", "V6", true));
        assertThat(v6.get("Error").asText()).as("an IPv4-only host").contains("this host has no IPv6 subnet").contains("EnableIPv6")
                .contains("without --ipv6");
        JsonNode range = p.client.call("IpamDriver.RequestPool", obj("AddressSpace", "JavaOverlayLocal", "Pool", LEASE,
                "SubPool", "10.5.72.128/25"));
        assertThat(range.get("Error").asText()).contains("--ip-range");
        assertThat(p.client.call("IpamDriver.RequestPool", obj("AddressSpace", "JavaOverlayLocal", "Pool", LEASE))
                .get("Pool").asText()).isEqualTo(LEASE);
    }

    @Test
    void requestPoolWithoutALeaseSaysTheAgentIsMissing() throws Exception {
        java.nio.file.Files.delete(p.settings.subnetFile());
        JsonNode r = p.client.call("IpamDriver.RequestPool", obj("AddressSpace", "JavaOverlayLocal"));
        assertThat(r.get("Error").asText()).contains(p.settings.subnetFile().toString()).contains("agent running");
    }

    @Test
    void networksWithDockersDefaultIpamAreRefusedWithTheRightCommand() {
        JsonNode r = p.client.call("NetworkDriver.CreateNetwork", obj("NetworkID", NET, "Options", Map.of(),
                "IPv4Data", List.of(obj("AddressSpace", "LocalDefault", "Pool", "172.18.0.0/16", "Gateway", "172.18.0.1/16"))));
        assertThat(r.get("Err").asText()).contains("--ipam-driver javaoverlay");
        assertThat(p.stateFileExists("networks", NET)).isFalse();
        assertThat(p.host.links).isEmpty();
    }

    @Test
    void createNetworkMakesTheBridgeWithTheGatewayAndPersists() {
        p.requestPool();
        p.createNetwork(NET, Map.of());
        assertThat(p.host.links.get(InProcessPlugin.BRIDGE).addresses()).extracting(Object::toString).containsExactly(GATEWAY);
        assertThat(p.firewall.forwardedBridges).containsExactly(InProcessPlugin.BRIDGE);
        assertThat(p.dnat.loopbackBridges).as("published ports answer on loopback").containsExactly(InProcessPlugin.BRIDGE);
        assertThat(p.stateFileExists("networks", NET)).isTrue();
    }

    @Test
    void aSecondNetworkIsRefusedWithTheOneNetworkModelAndLeavesNothing() {
        p.requestPool();
        p.createNetwork(NET, Map.of());
        String second = id("net2");
        JsonNode refused = p.client.call("NetworkDriver.CreateNetwork", createNetwork(second, Map.of()));
        assertThat(refused.get("Err").asText()).contains("already has a javaoverlay network (" + NET.substring(0, 12) + ")")
                .contains("one network per host").contains("not be isolated").contains("docker network rm");
        assertThat(p.stateFileExists("networks", second)).isFalse();
        // dockerd repeating the first network's create is not a second network
        assertThat(p.client.call("NetworkDriver.CreateNetwork", createNetwork(NET, Map.of())).has("Err")).isFalse();

        // once the first is gone, a network can be made again
        assertThat(p.client.call("NetworkDriver.DeleteNetwork", obj("NetworkID", NET)).has("Err")).isFalse();
        p.createNetwork(second, Map.of());
        assertThat(p.stateFileExists("networks", second)).isTrue();
    }

    @Test
    void mtuOptionIsHonouredUpToTheOverlayMtu() {
        p.requestPool();
        JsonNode tooBig = p.client.call("NetworkDriver.CreateNetwork", createNetwork(NET,
                Map.of("com.docker.network.generic", Map.of("com.docker.network.driver.mtu", "9000"))));
        assertThat(tooBig.get("Err").asText()).contains("MTU 9000").contains("1450");
        JsonNode notANumber = p.client.call("NetworkDriver.CreateNetwork", createNetwork(NET,
                Map.of("com.docker.network.generic", Map.of("com.docker.network.driver.mtu", "big"))));
        assertThat(notANumber.get("Err").asText()).contains("is not a number");

        p.createNetwork(NET, Map.of("com.docker.network.generic", Map.of("com.docker.network.driver.mtu", "1400")));
        endpointJoined(NET, EP, "10.5.72.2/24");
        assertThat(p.host.links.get(vethHost(EP)).mtu()).isEqualTo(1400);
        assertThat(p.host.links.get(vethContainer(EP)).mtu()).isEqualTo(1400);
    }

    @Test
    void anOptionThisDriverDoesNotKnowIsRefusedAndLeavesNothing() {
        p.requestPool();
        JsonNode r = p.client.call("NetworkDriver.CreateNetwork", createNetwork(NET, Map.of("com.docker.network.generic",
                Map.of("com.docker.network.bridge.name", "br-mine", "com.docker.network.driver.mtu", "1400"))));
        assertThat(r.get("Err").asText()).contains("no network option -o \"com.docker.network.bridge.name\"")
                .contains("com.docker.network.driver.mtu");
        assertThat(p.stateFileExists("networks", NET)).isFalse();
        assertThat(p.host.links).as("no bridge made").isEmpty();
    }

    @Test
    void addressesComeFromTheSharedStoreAndAreReleasedThere() {
        String pool = p.requestPool();
        String first = p.requestAddress(pool, "", MAC);
        assertThat(first).startsWith("10.5.72.").endsWith("/24").isNotEqualTo(GATEWAY);
        assertThat(p.requestAddress(pool, "", MAC)).as("same endpoint asks again").isEqualTo(first);
        String second = p.requestAddress(pool, "", "02:42:0a:05:48:99");
        assertThat(second).isNotEqualTo(first);

        Reservations shared = new Reservations(DiskStore.open(p.settings.ipamDir()));
        Ip4 ip = Ip4.parse(first.substring(0, first.indexOf('/')));
        assertThat(shared.all()).containsEntry(ip, Owner.of("docker", pool, MAC));

        p.client.call("IpamDriver.ReleaseAddress", obj("PoolID", pool, "Address", ip.toString()));
        assertThat(shared.all()).doesNotContainKey(ip).hasSize(1);
        // released twice (dockerd retrying): still fine
        assertThat(p.client.call("IpamDriver.ReleaseAddress", obj("PoolID", pool, "Address", ip.toString())).has("Error")).isFalse();
    }

    @Test
    void aRequestedAddressIsHonouredWhenFreeAndRefusedWhenTaken() {
        String pool = p.requestPool();
        assertThat(p.requestAddress(pool, "10.5.72.77", MAC)).isEqualTo("10.5.72.77/24");
        // a CNI pod holds .78
        Reservations shared = new Reservations(DiskStore.open(p.settings.ipamDir()));
        new io.javaoverlay.core.ipam.Allocator(io.javaoverlay.core.net.Ip4Net.parse(LEASE), Ip4.parse("10.5.72.1"),
                DiskStore.open(p.settings.ipamDir())).allocate(Owner.cni("podnet", "c1", "eth0"), java.util.Optional.of(Ip4.parse("10.5.72.78")));
        JsonNode taken = p.client.call("IpamDriver.RequestAddress", obj("PoolID", pool, "Address", "10.5.72.78",
                "Options", Map.of("com.docker.network.endpoint.macaddress", "02:42:0a:05:48:05")));
        assertThat(taken.get("Error").asText()).contains("10.5.72.78");
        // a release of the pod's address (a confused or repeated call) leaves it to the pod
        p.client.call("IpamDriver.ReleaseAddress", obj("PoolID", pool, "Address", "10.5.72.78"));
        assertThat(shared.all()).containsEntry(Ip4.parse("10.5.72.78"), Owner.cni("podnet", "c1", "eth0"));
        JsonNode outside = p.client.call("IpamDriver.RequestAddress", obj("PoolID", pool, "Address", "10.6.0.5",
                "Options", Map.of("com.docker.network.endpoint.macaddress", "02:42:0a:05:48:06")));
        assertThat(outside.has("Error")).isTrue();
        assertThat(shared.all()).hasSize(2);
    }

    @Test
    void theGatewayRequestGetsTheBridgeAddressAndAForeignGatewayIsRefused() {
        String pool = p.requestPool();
        JsonNode gw = p.client.call("IpamDriver.RequestAddress", obj("PoolID", pool, "Address", "",
                "Options", Map.of("RequestAddressType", "com.docker.network.gateway")));
        assertThat(gw.get("Address").asText()).isEqualTo(GATEWAY);
        JsonNode other = p.client.call("IpamDriver.RequestAddress", obj("PoolID", pool, "Address", "10.5.72.254",
                "Options", Map.of("RequestAddressType", "com.docker.network.gateway")));
        assertThat(other.get("Error").asText()).contains("--gateway");
        assertThat(new Reservations(DiskStore.open(p.settings.ipamDir())).all()).isEmpty();
    }

    @Test
    void createEndpointAddsAMacOnlyWhenDockerGaveNone() {
        p.requestPool();
        p.createNetwork(NET, Map.of());
        JsonNode withMac = p.client.call("NetworkDriver.CreateEndpoint", obj("NetworkID", NET, "EndpointID", EP,
                "Interface", obj("Address", "10.5.72.2/24", "MacAddress", MAC), "Options", Map.of()));
        assertThat(withMac.has("Interface")).as("dockerd refuses a reply that repeats what it gave").isFalse();
        String ep2 = id("ep2");
        JsonNode withoutMac = p.client.call("NetworkDriver.CreateEndpoint", obj("NetworkID", NET, "EndpointID", ep2,
                "Interface", obj("Address", "10.5.72.3/24"), "Options", Map.of()));
        assertThat(withoutMac.get("Interface").get("MacAddress").asText()).isEqualTo("02:42:0a:05:48:03");
        assertThat(withoutMac.get("Interface").has("Address")).isFalse();

        JsonNode outside = p.client.call("NetworkDriver.CreateEndpoint", obj("NetworkID", NET, "EndpointID", id("ep3"),
                "Interface", obj("Address", "10.9.0.3/24")));
        assertThat(outside.get("Err").asText()).contains("not in network");
        JsonNode noAddress = p.client.call("NetworkDriver.CreateEndpoint", obj("NetworkID", NET, "EndpointID", id("ep4"),
                "Interface", obj("MacAddress", MAC)));
        assertThat(noAddress.get("Err").asText()).contains("--ipam-driver javaoverlay");
    }

    @Test
    void joinWiresAVethPairAndReturnsGatewayAndOverlayRoute() {
        p.requestPool();
        p.createNetwork(NET, Map.of());
        JsonNode join = endpointJoined(NET, EP, "10.5.72.2/24");
        assertThat(join.get("InterfaceName").get("SrcName").asText()).isEqualTo(vethContainer(EP));
        assertThat(join.get("InterfaceName").get("DstPrefix").asText()).isEqualTo("eth");
        assertThat(join.get("Gateway").asText()).isEqualTo("10.5.72.1");
        assertThat(join.get("StaticRoutes").get(0).get("Destination").asText()).isEqualTo("10.5.0.0/16");
        assertThat(join.get("StaticRoutes").get(0).get("RouteType").asInt()).isZero();
        assertThat(join.get("StaticRoutes").get(0).get("NextHop").asText()).isEqualTo("10.5.72.1");
        assertThat(join.get("DisableGatewayService").asBoolean()).isFalse();

        FakeHostAttachment.FakeLink host = p.host.links.get(vethHost(EP));
        assertThat(host.master()).isEqualTo(InProcessPlugin.BRIDGE);
        assertThat(host.mtu()).isEqualTo(1450);
        assertThat(p.host.links.get(vethContainer(EP)).mac()).hasToString(MAC);

        JsonNode info = p.client.call("NetworkDriver.EndpointOperInfo", obj("NetworkID", NET, "EndpointID", EP));
        assertThat(info.get("Value").get("HostInterface").asText()).isEqualTo(vethHost(EP));

        p.host.moveToSandbox(vethContainer(EP));
        p.client.call("NetworkDriver.Leave", obj("NetworkID", NET, "EndpointID", EP));
        assertThat(p.host.links).doesNotContainKey(vethHost(EP));
        p.client.call("NetworkDriver.DeleteEndpoint", obj("NetworkID", NET, "EndpointID", EP));
        assertThat(p.stateFileExists("endpoints", EP)).isFalse();
    }

    @Test
    void twoEndpointsWhoseIdsShareTheirFirst12CharactersBothKeepTheirVeths() {
        // Docker promises unique IDs, not unique 12-character prefixes
        String first = "0123456789ab" + id("first").substring(12);
        String second = "0123456789ab" + id("second").substring(12);
        p.requestPool();
        p.createNetwork(NET, Map.of());
        JsonNode one = endpointJoined(NET, first, "10.5.72.2/24");
        p.host.moveToSandbox(one.get("InterfaceName").get("SrcName").asText());
        JsonNode two = endpointJoined(NET, second, "10.5.72.3/24");
        p.host.moveToSandbox(two.get("InterfaceName").get("SrcName").asText());

        assertThat(one.get("InterfaceName").get("SrcName").asText()).isNotEqualTo(two.get("InterfaceName").get("SrcName").asText());
        assertThat(p.host.links).containsKeys(vethHost(first), vethHost(second));
        assertThat(p.host.bridgePorts(InProcessPlugin.BRIDGE)).containsExactlyInAnyOrder(vethHost(first), vethHost(second));
        JsonNode info = p.client.call("NetworkDriver.EndpointOperInfo", obj("NetworkID", NET, "EndpointID", first));
        assertThat(info.get("Value").get("HostInterface").asText()).isEqualTo(vethHost(first));

        // leaving one leaves the other's veth alone
        p.client.call("NetworkDriver.Leave", obj("NetworkID", NET, "EndpointID", second));
        assertThat(p.host.links).containsKey(vethHost(first)).doesNotContainKey(vethHost(second));
    }

    @Test
    void internalNetworksGetNoDefaultGatewayButStillTheOverlayRoute() {
        p.requestPool();
        p.createNetwork(NET, Map.of("com.docker.network.internal", true));
        JsonNode join = endpointJoined(NET, EP, "10.5.72.2/24");
        assertThat(join.has("Gateway")).isFalse();
        assertThat(join.get("DisableGatewayService").asBoolean()).isTrue();
        assertThat(join.get("StaticRoutes").get(0).get("Destination").asText()).isEqualTo("10.5.0.0/16");
        JsonNode publish = p.client.call("NetworkDriver.ProgramExternalConnectivity", obj("NetworkID", NET, "EndpointID", EP,
                "Options", Map.of("com.docker.network.portmap", List.of(binding(6, 80, 8080, 8080)))));
        assertThat(publish.get("Err").asText()).contains("--internal");
    }

    @Test
    void publishedPortsBecomeDnatRulesAndGoAway() {
        p.requestPool();
        p.createNetwork(NET, Map.of());
        endpointJoined(NET, EP, "10.5.72.2/24");
        JsonNode ok = p.client.call("NetworkDriver.ProgramExternalConnectivity", obj("NetworkID", NET, "EndpointID", EP,
                "Options", Map.of("com.docker.network.portmap", List.of(binding(6, 80, 8080, 8080), binding(17, 53, 5353, 0)),
                        "com.docker.network.endpoint.exposedports", List.of(obj("Proto", 6, "Port", 80)))));
        assertThat(ok.has("Err")).isFalse();
        Ip4 container = Ip4.parse("10.5.72.2");
        assertThat(p.dnat.published).extracting(PublishedPorts.Published::container).containsOnly(container);
        assertThat(p.dnat.published).extracting(PublishedPorts.Published::mapping).containsExactly(
                new PortMapping(PortMapping.Protocol.TCP, null, 8080, 80), new PortMapping(PortMapping.Protocol.UDP, null, 5353, 53));

        // another container cannot take 8080/tcp, but gets the next port of a range
        String ep2 = id("ep2");
        endpointJoined(NET, ep2, "10.5.72.3/24");
        JsonNode clash = p.client.call("NetworkDriver.ProgramExternalConnectivity", obj("NetworkID", NET, "EndpointID", ep2,
                "Options", Map.of("com.docker.network.portmap", List.of(binding(6, 80, 8080, 8080)))));
        assertThat(clash.get("Err").asText()).contains("8080/tcp is already published");
        p.client.call("NetworkDriver.ProgramExternalConnectivity", obj("NetworkID", NET, "EndpointID", ep2,
                "Options", Map.of("com.docker.network.portmap", List.of(binding(6, 80, 8080, 8082)))));
        assertThat(p.dnat.published).extracting(PublishedPorts.Published::mapping)
                .contains(new PortMapping(PortMapping.Protocol.TCP, null, 8081, 80));

        p.client.call("NetworkDriver.RevokeExternalConnectivity", obj("NetworkID", NET, "EndpointID", EP));
        assertThat(p.dnat.published).extracting(PublishedPorts.Published::container).doesNotContain(container);
    }

    @Test
    void anyHostPortComesFromTheDynamicRangeSkippingPublishedAndListenedPorts() {
        p.requestPool();
        p.createNetwork(NET, Map.of());
        endpointJoined(NET, EP, "10.5.72.2/24");
        String ep2 = id("ep2");
        endpointJoined(NET, ep2, "10.5.72.3/24");
        p.ports.listening.add("tcp/40000");
        // -P with two exposed ports, as dockerd sends it: HostPort 0
        JsonNode ok = p.client.call("NetworkDriver.ProgramExternalConnectivity", obj("NetworkID", NET, "EndpointID", EP,
                "Options", Map.of("com.docker.network.portmap", List.of(binding(6, 80, 0, 0), binding(6, 443, 0, 0),
                        binding(17, 53, 0, 0)))));
        assertThat(ok.has("Err")).as("%s", ok).isFalse();
        assertThat(p.dnat.published).extracting(PublishedPorts.Published::mapping).containsExactly(
                new PortMapping(PortMapping.Protocol.TCP, null, 40001, 80), new PortMapping(PortMapping.Protocol.TCP, null, 40002, 443),
                new PortMapping(PortMapping.Protocol.UDP, null, 40000, 53));
        JsonNode info = p.client.call("NetworkDriver.EndpointOperInfo", obj("NetworkID", NET, "EndpointID", EP));
        assertThat(info.get("Value").get("PublishedPorts")).extracting(JsonNode::asText)
                .containsExactly("40001->80/tcp", "40002->443/tcp", "40000->53/udp");

        // the other container gets what is left, then a clear refusal that leaves nothing behind
        JsonNode next = p.client.call("NetworkDriver.ProgramExternalConnectivity", obj("NetworkID", NET, "EndpointID", ep2,
                "Options", Map.of("com.docker.network.portmap", List.of(binding(6, 80, 0, 0)))));
        assertThat(next.has("Err")).as("%s", next).isFalse();
        assertThat(p.dnat.published).extracting(PublishedPorts.Published::mapping)
                .contains(new PortMapping(PortMapping.Protocol.TCP, null, 40003, 80));
        p.client.call("NetworkDriver.RevokeExternalConnectivity", obj("NetworkID", NET, "EndpointID", ep2));
        JsonNode full = p.client.call("NetworkDriver.ProgramExternalConnectivity", obj("NetworkID", NET, "EndpointID", ep2,
                "Options", Map.of("com.docker.network.portmap", List.of(binding(6, 80, 0, 0), binding(6, 81, 0, 0)))));
        assertThat(full.get("Err").asText()).contains("no host port of 40000-40003/tcp is free for container port 81")
                .contains("-p HOSTPORT:81");
        assertThat(p.dnat.published).extracting(PublishedPorts.Published::container).containsOnly(Ip4.parse("10.5.72.2"));
    }

    @Test
    void aFailedPublishRollsBackTheRulesAlreadyAdded() {
        p.requestPool();
        p.createNetwork(NET, Map.of());
        endpointJoined(NET, EP, "10.5.72.2/24");
        p.dnat.failOnHostPort = 9090;
        JsonNode r = p.client.call("NetworkDriver.ProgramExternalConnectivity", obj("NetworkID", NET, "EndpointID", EP,
                "Options", Map.of("com.docker.network.portmap", List.of(binding(6, 80, 8080, 8080), binding(6, 90, 9090, 9090)))));
        assertThat(r.get("Err").asText()).contains("xtables lock");
        assertThat(p.dnat.published).as("8080 was added, then taken back").isEmpty();
        JsonNode info = p.client.call("NetworkDriver.EndpointOperInfo", obj("NetworkID", NET, "EndpointID", EP));
        assertThat(info.get("Value").has("PublishedPorts")).isFalse();
    }

    @Test
    void deleteNetworkRemovesLeftoverEndpointsAndTheIdleBridge() {
        p.requestPool();
        p.createNetwork(NET, Map.of());
        endpointJoined(NET, EP, "10.5.72.2/24");
        p.client.call("NetworkDriver.DeleteNetwork", obj("NetworkID", NET));
        assertThat(p.stateFileExists("networks", NET)).isFalse();
        assertThat(p.stateFileExists("endpoints", EP)).isFalse();
        assertThat(p.host.links).isEmpty();
        assertThat(p.firewall.forwardedBridges).isEmpty();
        assertThat(p.dnat.loopbackBridges).isEmpty();
    }

    @Test
    void theBridgeStaysWhileSomethingElseIsAttached() {
        p.requestPool();
        p.createNetwork(NET, Map.of());
        p.host.links.put("vethcni1", new FakeHostAttachment.FakeLink("vethcni1", "veth", InProcessPlugin.BRIDGE, null, 1450,
                List.of(), null));
        p.client.call("NetworkDriver.DeleteNetwork", obj("NetworkID", NET));
        assertThat(p.host.links).containsKey(InProcessPlugin.BRIDGE);
    }

    @Test
    void aNewLeaseMakesOldPoolsRefuseNewAddresses() {
        String pool = p.requestPool();
        p.writeLease("10.5.9.0/24", "10.5.9.1/24");
        JsonNode r = p.client.call("IpamDriver.RequestAddress", obj("PoolID", pool, "Address", "",
                "Options", Map.of("com.docker.network.endpoint.macaddress", MAC)));
        assertThat(r.get("Error").asText()).contains("lease is now 10.5.9.0/24").contains("create it again");
    }

    // --- dockerd's side ---

    JsonNode endpointJoined(String net, String ep, String address) {
        JsonNode created = p.client.call("NetworkDriver.CreateEndpoint", obj("NetworkID", net, "EndpointID", ep,
                "Interface", obj("Address", address, "MacAddress", MAC), "Options", Map.of()));
        assertThat(created.has("Err")).as("CreateEndpoint: %s", created).isFalse();
        JsonNode join = p.client.call("NetworkDriver.Join", obj("NetworkID", net, "EndpointID", ep,
                "SandboxKey", "/var/run/docker/netns/" + ep.substring(0, 12), "Options", Map.of()));
        assertThat(join.has("Err")).as("Join: %s", join).isFalse();
        return join;
    }

    static Map<String, Object> createNetwork(String id, Map<String, Object> options) {
        return obj("NetworkID", id, "Options", options,
                "IPv4Data", List.of(obj("AddressSpace", "JavaOverlayLocal", "Pool", LEASE, "Gateway", GATEWAY)));
    }

    static Map<String, Object> binding(int proto, int port, int hostPort, int hostPortEnd) {
        return obj("Proto", proto, "IP", "", "Port", port, "HostIP", "", "HostPort", hostPort, "HostPortEnd", hostPortEnd);
    }

    static String vethHost(String ep) {
        return VethNames.forEndpoint(ep).host();
    }

    static String vethContainer(String ep) {
        return VethNames.forEndpoint(ep).container();
    }
}
