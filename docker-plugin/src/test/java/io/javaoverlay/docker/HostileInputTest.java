package io.javaoverlay.docker;

import static io.javaoverlay.docker.InProcessPlugin.id;
import static io.javaoverlay.docker.InProcessPlugin.obj;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.javaoverlay.core.ipam.DiskStore;
import io.javaoverlay.core.ipam.Owner;
import io.javaoverlay.core.ipam.Reservations;

/**
 * Valid JSON with values dockerd would never send, in every field of every call: each one is
 * answered with an error that names the problem ({@code Err}, and {@code Error} for IPAM), never
 * as a plugin bug (HTTP 500) and never with a stack trace, and nothing it carries reaches the
 * state files, the shared IPAM store or an interface name.
 */
@Timeout(120)
class HostileInputTest extends InProcessPluginTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String NET = id("net");
    static final String EP = id("ep");
    static final String MAC = "02:42:0a:05:48:02";

    /** What a caller of the socket could put where dockerd puts a string, a number or a flag. */
    static final List<JsonNode> HOSTILE = List.of(
            text("a\nb"), text("02:42:0a:05:48:02\n"), text("\u0000"), text("\u001b[31mred"), text("x".repeat(1021)),
            text("ü".repeat(9)), text("../../../etc/passwd"), text(""), text(" "),
            JsonNodeFactory.instance.numberNode(new java.math.BigInteger("18446744073709551616")),
            JsonNodeFactory.instance.numberNode(4294967376L), JsonNodeFactory.instance.numberNode(-1),
            JsonNodeFactory.instance.numberNode(1.5), JsonNodeFactory.instance.booleanNode(true),
            JsonNodeFactory.instance.objectNode(), JsonNodeFactory.instance.arrayNode(), JsonNodeFactory.instance.nullNode());

    @BeforeEach
    void setUpNetwork() {
        String pool = p.requestPool();
        p.createNetwork(NET, Map.of());
        p.requestAddress(pool, "", MAC);
        p.client.call("NetworkDriver.CreateEndpoint", obj("NetworkID", NET, "EndpointID", EP,
                "Interface", obj("Address", "10.5.72.2/24", "MacAddress", MAC)));
    }

    @Test
    void everyFieldOfEveryCallWithAValueDockerNeverSendsGetsAClearError() throws Exception {
        String pool = p.requestPool();
        Map<String, Object> templates = new java.util.LinkedHashMap<>();
        templates.put("NetworkDriver.CreateNetwork", obj("NetworkID", id("other"), "Options", obj("com.docker.network.generic",
                obj("com.docker.network.driver.mtu", "1400"), "com.docker.network.internal", false),
                "IPv4Data", List.of(obj("AddressSpace", "JavaOverlayLocal", "Pool", InProcessPlugin.LEASE,
                        "Gateway", InProcessPlugin.GATEWAY)), "IPv6Data", List.of()));
        templates.put("NetworkDriver.DeleteNetwork", obj("NetworkID", id("other")));
        templates.put("NetworkDriver.AllocateNetwork", obj("NetworkID", NET, "Options", obj("k", "v"), "IPv4Data", List.of()));
        templates.put("NetworkDriver.FreeNetwork", obj("NetworkID", NET));
        templates.put("NetworkDriver.CreateEndpoint", obj("NetworkID", NET, "EndpointID", id("ep2"),
                "Interface", obj("Address", "10.5.72.3/24", "AddressIPv6", "", "MacAddress", "02:42:0a:05:48:03"),
                "Options", obj("k", "v")));
        templates.put("NetworkDriver.EndpointOperInfo", obj("NetworkID", NET, "EndpointID", EP));
        templates.put("NetworkDriver.Join", obj("NetworkID", NET, "EndpointID", EP, "SandboxKey", "/var/run/docker/netns/x",
                "Options", obj("k", "v")));
        templates.put("NetworkDriver.ProgramExternalConnectivity", obj("NetworkID", NET, "EndpointID", EP,
                "Options", obj("com.docker.network.portmap", List.of(obj("Proto", 6, "IP", "", "Port", 80, "HostIP", "",
                        "HostPort", 8080, "HostPortEnd", 8080)))));
        templates.put("NetworkDriver.RevokeExternalConnectivity", obj("NetworkID", NET, "EndpointID", EP));
        templates.put("NetworkDriver.Leave", obj("NetworkID", NET, "EndpointID", EP));
        templates.put("NetworkDriver.DeleteEndpoint", obj("NetworkID", NET, "EndpointID", id("ep3")));
        templates.put("NetworkDriver.DiscoverNew", obj("DiscoveryType", 1, "DiscoveryData", obj("Address", "10.0.0.1")));
        templates.put("IpamDriver.RequestPool", obj("AddressSpace", "JavaOverlayLocal", "Pool", InProcessPlugin.LEASE,
                "SubPool", "", "Options", obj("k", "v"), "V6", false));
        templates.put("IpamDriver.ReleasePool", obj("PoolID", pool));
        templates.put("IpamDriver.RequestAddress", obj("PoolID", pool, "Address", "10.5.72.9",
                "Options", obj("com.docker.network.endpoint.macaddress", "02:42:0a:05:48:09")));
        templates.put("IpamDriver.ReleaseAddress", obj("PoolID", pool, "Address", "10.5.72.99"));

        List<String> problems = new ArrayList<>();
        int sent = 0;
        for (var t : templates.entrySet()) {
            JsonNode template = JSON.valueToTree(t.getValue());
            for (List<Object> path : leaves(template, new ArrayList<>())) {
                for (JsonNode value : HOSTILE) {
                    JsonNode request = replaced(template, path, value);
                    PluginClient.Reply r = p.client.post(t.getKey(), JSON.writeValueAsString(request));
                    sent++;
                    String what = t.getKey() + " " + path + "=" + JSON.writeValueAsString(value).substring(0,
                            Math.min(30, JSON.writeValueAsString(value).length())) + " -> " + r.status() + " "
                            + r.body().substring(0, Math.min(200, r.body().length()));
                    if (r.status() >= 500 || r.body().contains("\tat ") || r.body().contains("Exception")) {
                        problems.add(what);
                    } else if (r.status() != 200 && !r.json().hasNonNull("Err")) {
                        problems.add("no Err with an error status: " + what);
                    }
                }
            }
        }
        assertThat(problems).as("of %d hostile requests", sent).isEmpty();

        // nothing hostile was kept: the state reloads whole, the store's owners are one printable line each
        p.restart();
        try (var files = Files.walk(p.settings.dataDir())) {
            assertThat(files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".corrupt")).toList()).isEmpty();
        }
        for (Owner o : new Reservations(DiskStore.open(p.settings.ipamDir())).all().values()) {
            assertThat(o.toString()).doesNotContain("\n").hasSizeLessThan(300);
        }
        assertThat(p.host.links.keySet()).allMatch(n -> n.matches("[a-z0-9]{1,15}"), "interface names");
        assertThat(p.client.call("NetworkDriver.EndpointOperInfo", obj("NetworkID", NET, "EndpointID", EP)).has("Value")).isTrue();
    }

    @Test
    void aNewlineInTheMacOptionIsABadRequestThatSaysWhichOption() {
        String pool = p.requestPool();
        PluginClient.Reply r = p.client.post("IpamDriver.RequestAddress", "{\"PoolID\":\"" + pool + "\",\"Address\":\"\","
                + "\"Options\":{\"com.docker.network.endpoint.macaddress\":\"02:42:0a:05:48:07\\nX-Injected: 1\"}}");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.json().get("Err").asText()).contains("com.docker.network.endpoint.macaddress")
                .contains("is not a MAC address").contains("\\n").doesNotContain("\n");
        assertThat(r.json().get("Error").asText()).isEqualTo(r.json().get("Err").asText());
        assertThat(new Reservations(DiskStore.open(p.settings.ipamDir())).all()).hasSize(1);
    }

    @Test
    void aMacInAnotherSpellingHoldsTheSameReservation() {
        String pool = p.requestPool();
        String upper = p.requestAddress(pool, "", "02:42:0A:05:48:0B");
        String lower = p.requestAddress(pool, "", "02:42:0a:05:48:0b");
        assertThat(upper).isEqualTo(lower);
    }

    @Test
    void idsLongerThanDockersAreBadRequestsWithAShortMessage() {
        String longId = "a".repeat(1021);
        PluginClient.Reply r = p.client.post("NetworkDriver.CreateNetwork", "{\"NetworkID\":\"" + longId + "\",\"IPv4Data\":[]}");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.json().get("Err").asText()).contains("is not a Docker ID").contains("(1021 characters)").hasSizeLessThan(400);
    }

    @Test
    void multicastAndZeroMacsAreRefusedBeforeTheKernelSeesThem() {
        for (String mac : List.of("01:00:5e:00:00:01", "00:00:00:00:00:00", "ff:ff:ff:ff:ff:ff")) {
            JsonNode r = p.client.call("NetworkDriver.CreateEndpoint", obj("NetworkID", NET, "EndpointID", id(mac),
                    "Interface", obj("Address", "10.5.72.5/24", "MacAddress", mac)));
            assertThat(r.get("Err").asText()).as(mac).contains("not a unicast address");
            assertThat(p.stateFileExists("endpoints", id(mac))).isFalse();
        }
    }

    @Test
    void anOversizedIpamBodyGetsErrTheWayDockerdReadsIt() {
        PluginClient.Reply r = p.client.post("IpamDriver.RequestPool", "{\"Pool\":\"" + "1".repeat(2 << 20) + "\"}");
        assertThat(r.status()).isEqualTo(413);
        assertThat(r.json().get("Err").asText()).contains("larger than the 1048576 bytes");
    }

    @Test
    void oversizedHeadersAndPathsGetAJsonErrNotAPage() {
        String bigHeader = "POST /Plugin.Activate HTTP/1.1\r\nHost: \r\nX-Junk: " + "j".repeat(20_000)
                + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        PluginClient.Reply header = p.client.raw(bigHeader.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        assertThat(header.status()).isEqualTo(431);
        assertThat(header.json().get("Err").asText()).contains("431");
        PluginClient.Reply path = p.client.request("POST", "/" + "p".repeat(20_000), "{}");
        assertThat(path.status()).isBetween(400, 499);
        assertThat(path.json().has("Err")).isTrue();
        assertThat(p.client.post("Plugin.Activate", null).status()).isEqualTo(200);
    }

    // --- JSON paths ---

    private static JsonNode text(String s) {
        return JsonNodeFactory.instance.textNode(s);
    }

    /** Paths (field names and array indexes) to every scalar in {@code node}. */
    private static List<List<Object>> leaves(JsonNode node, List<Object> at) {
        List<List<Object>> out = new ArrayList<>();
        if (node.isObject()) {
            node.fieldNames().forEachRemaining(f -> {
                List<Object> next = new ArrayList<>(at);
                next.add(f);
                out.addAll(leaves(node.get(f), next));
            });
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                List<Object> next = new ArrayList<>(at);
                next.add(i);
                out.addAll(leaves(node.get(i), next));
            }
        } else {
            out.add(at);
        }
        return out;
    }

    private static JsonNode replaced(JsonNode template, List<Object> path, JsonNode value) {
        JsonNode copy = template.deepCopy();
        JsonNode parent = copy;
        for (int i = 0; i < path.size() - 1; i++) {
            Object step = path.get(i);
            parent = step instanceof String f ? parent.get(f) : parent.get((Integer) step);
        }
        Object last = path.get(path.size() - 1);
        if (last instanceof String f) {
            ((ObjectNode) parent).set(f, value);
        } else {
            ((ArrayNode) parent).set((Integer) last, value);
        }
        return copy;
    }
}
