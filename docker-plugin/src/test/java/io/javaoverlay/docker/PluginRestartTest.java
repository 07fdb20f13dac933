package io.javaoverlay.docker;

import static io.javaoverlay.docker.InProcessPlugin.id;
import static io.javaoverlay.docker.InProcessPlugin.obj;
import static io.javaoverlay.docker.NetworkLifecycleTest.binding;
import static io.javaoverlay.docker.NetworkLifecycleTest.vethContainer;
import static io.javaoverlay.docker.NetworkLifecycleTest.vethHost;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.fasterxml.jackson.databind.JsonNode;

import io.javaoverlay.core.host.FakeHostAttachment;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.docker.host.PublishedPorts;

/**
 * The plugin restarted over the same state directory: dockerd replays nothing, so everything
 * must come from disk, and what changed on the host meanwhile must be noticed.
 */
@Timeout(60)
class PluginRestartTest extends InProcessPluginTest {

    static final String NET = id("net");
    static final String EP = id("ep");

    @BeforeEach
    void setUpNetwork() {
        p.requestPool();
        p.createNetwork(NET, Map.of());
        joined(EP, "10.5.72.2/24");
        p.client.call("NetworkDriver.ProgramExternalConnectivity", obj("NetworkID", NET, "EndpointID", EP,
                "Options", Map.of("com.docker.network.portmap", List.of(binding(6, 80, 8080, 8080)))));
    }

    @Test
    void existingNetworksKeepWorkingAfterARestart() {
        p.dnat.published.clear();
        p.restart();
        assertThat(p.dnat.published).as("DNAT rules rebuilt from state")
                .extracting(PublishedPorts.Published::container).containsExactly(Ip4.parse("10.5.72.2"));
        assertThat(p.host.links).containsKey(vethHost(EP));

        String ep2 = id("ep2");
        JsonNode join = joined(ep2, "10.5.72.3/24");
        assertThat(join.get("Gateway").asText()).isEqualTo("10.5.72.1");
        JsonNode info = p.client.call("NetworkDriver.EndpointOperInfo", obj("NetworkID", NET, "EndpointID", EP));
        assertThat(info.get("Value").get("PublishedPorts").get(0).asText()).isEqualTo("8080->80/tcp");
    }

    @Test
    void anEndpointWhoseContainerDiedWhileThePluginWasDownIsMarkedLeft() {
        p.plugin.close();
        p.host.killSandbox(vethHost(EP));
        p.startPlugin();
        assertThat(p.dnat.published).as("its published ports are gone").isEmpty();
        // dockerd's own cleanup then deletes it, which must succeed
        JsonNode info = p.client.call("NetworkDriver.EndpointOperInfo", obj("NetworkID", NET, "EndpointID", EP));
        assertThat(info.get("Value").has("PublishedPorts")).isFalse();
        assertThat(p.client.call("NetworkDriver.Leave", obj("NetworkID", NET, "EndpointID", EP)).has("Err")).isFalse();
        assertThat(p.client.call("NetworkDriver.DeleteEndpoint", obj("NetworkID", NET, "EndpointID", EP)).has("Err")).isFalse();
    }

    @Test
    void vethsNoEndpointOwnsAreDeletedAtStart() {
        p.plugin.close();
        p.host.ensureBridge(InProcessPlugin.BRIDGE, io.javaoverlay.core.net.Ip4Net.parseHost(InProcessPlugin.GATEWAY), 1450);
        p.host.createDetachedVeth(InProcessPlugin.BRIDGE, "vjo0123456789ab", "tjo0123456789ab", null, 1450);
        p.host.links.put("eth9", new FakeHostAttachment.FakeLink("eth9", "veth", null, null, 1500, List.of(), null));
        p.startPlugin();
        assertThat(p.host.links).doesNotContainKeys("vjo0123456789ab", "tjo0123456789ab")
                .containsKeys("eth9", vethHost(EP), InProcessPlugin.BRIDGE);
    }

    @Test
    void aJoinThatNeverCompletedIsUndone() {
        String ep2 = id("ep2");
        p.client.call("NetworkDriver.CreateEndpoint", obj("NetworkID", NET, "EndpointID", ep2,
                "Interface", obj("Address", "10.5.72.3/24", "MacAddress", "02:42:0a:05:48:03")));
        p.client.call("NetworkDriver.Join", obj("NetworkID", NET, "EndpointID", ep2, "SandboxKey", "/x"));
        // dockerd died before moving the container end: both ends are still on the host
        p.restart();
        assertThat(p.host.links).doesNotContainKeys(vethHost(ep2), vethContainer(ep2));
        JsonNode join = joined2(ep2);
        assertThat(join.get("InterfaceName").get("SrcName").asText()).isEqualTo(vethContainer(ep2));
    }

    @Test
    void aCorruptStateFileIsSetAsideAndTheRestIsServed() throws Exception {
        p.plugin.close();
        Path bad = p.settings.dataDir().resolve("endpoints").resolve(id("broken") + ".json");
        Files.writeString(bad, "{ this is not json");
        p.startPlugin();
        assertThat(bad).doesNotExist();
        assertThat(bad.resolveSibling(bad.getFileName() + ".corrupt")).exists();
        assertThat(p.client.call("NetworkDriver.EndpointOperInfo", obj("NetworkID", NET, "EndpointID", EP)).has("Value")).isTrue();
    }

    @Test
    void endpointsRecordedByAnEarlierPluginKeepTheirVethNames() throws Exception {
        // an earlier plugin named veths after the ID's first 12 characters and did not record them
        String old = id("old-endpoint");
        String legacyHost = "vjo" + old.substring(0, 12);
        p.plugin.close();
        writeEarlierPluginsEndpoint(old, "10.5.72.7/24", "/var/run/docker/netns/old");
        p.host.createDetachedVeth(InProcessPlugin.BRIDGE, legacyHost, "tjo" + old.substring(0, 12), null, 1450);
        p.host.moveToSandbox("tjo" + old.substring(0, 12));
        p.startPlugin();

        assertThat(p.host.links).as("its container's veth is not a stray").containsKey(legacyHost);
        JsonNode info = p.client.call("NetworkDriver.EndpointOperInfo", obj("NetworkID", NET, "EndpointID", old));
        assertThat(info.get("Value").get("HostInterface").asText()).isEqualTo(legacyHost);
        p.client.call("NetworkDriver.Leave", obj("NetworkID", NET, "EndpointID", old));
        assertThat(p.host.links).doesNotContainKey(legacyHost);
    }

    @Test
    void aJoinNeverTakesTheVethOfAnotherEndpoint() throws Exception {
        // two endpoints an earlier plugin recorded, whose IDs share 12 characters: the same veth
        // names. The first is joined and its container runs; joining the second must not tear
        // out the first's veth as a leftover.
        String first = "fedcba987654" + id("a").substring(12);
        String second = "fedcba987654" + id("b").substring(12);
        String sharedHost = "vjofedcba987654";
        p.plugin.close();
        writeEarlierPluginsEndpoint(first, "10.5.72.8/24", "/var/run/docker/netns/first");
        writeEarlierPluginsEndpoint(second, "10.5.72.9/24", null);
        p.host.createDetachedVeth(InProcessPlugin.BRIDGE, sharedHost, "tjofedcba987654", null, 1450);
        p.host.moveToSandbox("tjofedcba987654");
        p.startPlugin();

        JsonNode join = p.client.call("NetworkDriver.Join", obj("NetworkID", NET, "EndpointID", second,
                "SandboxKey", "/var/run/docker/netns/second", "Options", Map.of()));
        assertThat(join.get("Err").asText()).contains(sharedHost).contains("belongs to endpoint " + first)
                .contains("docker network disconnect");
        assertThat(p.host.links).containsKey(sharedHost);
        assertThat(p.host.links.get(sharedHost).peer()).isEqualTo("tjofedcba987654");
    }

    private void writeEarlierPluginsEndpoint(String endpointId, String address, String sandbox) throws Exception {
        String json = "{\"id\":\"" + endpointId + "\",\"networkId\":\"" + NET + "\",\"address\":\"" + address
                + "\",\"mac\":\"" + String.format("02:42:0a:05:48:%02x",
                        Integer.parseInt(address.substring(address.lastIndexOf('.') + 1, address.indexOf('/'))))
                + "\",\"sandboxKey\":"
                + (sandbox == null ? "null" : "\"" + sandbox + "\"") + ",\"ports\":[]}";
        Files.writeString(p.settings.dataDir().resolve("endpoints").resolve(endpointId + ".json"), json);
    }

    JsonNode joined(String ep, String address) {
        p.client.call("NetworkDriver.CreateEndpoint", obj("NetworkID", NET, "EndpointID", ep,
                "Interface", obj("Address", address, "MacAddress", "02:42:0a:05:48:0" + address.charAt(8)), "Options", Map.of()));
        JsonNode join = joined2(ep);
        p.host.moveToSandbox(vethContainer(ep));
        return join;
    }

    JsonNode joined2(String ep) {
        JsonNode join = p.client.call("NetworkDriver.Join", obj("NetworkID", NET, "EndpointID", ep,
                "SandboxKey", "/var/run/docker/netns/" + ep.substring(0, 12), "Options", Map.of()));
        assertThat(join.has("Err")).as("Join: %s", join).isFalse();
        return join;
    }
}
