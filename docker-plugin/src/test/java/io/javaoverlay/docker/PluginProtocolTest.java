package io.javaoverlay.docker;

import static io.javaoverlay.docker.InProcessPlugin.id;
import static io.javaoverlay.docker.InProcessPlugin.obj;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.fasterxml.jackson.databind.JsonNode;

/** The socket and the wire: handshake, error shapes, malformed requests. No privileges needed. */
@Timeout(60)
class PluginProtocolTest extends InProcessPluginTest {

    @Test
    void activateNamesBothInterfacesWithThePluginMediaType() {
        PluginClient.Reply r = p.client.post("Plugin.Activate", null);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("Content-Type")).isEqualTo("application/vnd.docker.plugins.v1+json");
        assertThat(r.json().get("Implements")).extracting(JsonNode::asText).containsExactly("NetworkDriver", "IpamDriver");
    }

    @Test
    void theRequestDockerdSendsIsServedAsIs() {
        // captured from dockerd 20.10: Go's client sends an empty Host over a Unix socket
        String dockerd = "POST /Plugin.Activate HTTP/1.1\r\nHost: \r\nUser-Agent: Go-http-client/1.1\r\n"
                + "Content-Length: 0\r\nAccept: application/vnd.docker.plugins.v1.2+json\r\n\r\n";
        PluginClient.Reply r = p.client.raw(dockerd.getBytes(StandardCharsets.US_ASCII), true);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.json().get("Implements")).hasSize(2);
    }

    @Test
    void dockerdsKeepAliveConnectionServesOneRequestAfterAnother() throws Exception {
        String activate = "POST /Plugin.Activate HTTP/1.1\r\nHost: \r\nUser-Agent: Go-http-client/1.1\r\n"
                + "Content-Length: 0\r\nAccept: application/vnd.docker.plugins.v1.2+json\r\n\r\n";
        String caps = activate.replace("/Plugin.Activate", "/NetworkDriver.GetCapabilities");
        try (java.nio.channels.SocketChannel ch = java.nio.channels.SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(p.settings.socket()));
            for (String request : List.of(activate, caps, activate)) {
                ch.write(java.nio.ByteBuffer.wrap(request.getBytes(StandardCharsets.US_ASCII)));
                String reply = readOneReply(ch);
                // the next request follows at once, as dockerd's do: Jetty reuses its buffer then
                assertThat(reply).startsWith("HTTP/1.1 200");
            }
        }
    }

    private static String readOneReply(java.nio.channels.SocketChannel ch) throws IOException {
        java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(4096);
        StringBuilder sb = new StringBuilder();
        while (true) {
            buf.clear();
            int n = ch.read(buf);
            if (n < 0) {
                return sb.toString();
            }
            sb.append(new String(buf.array(), 0, n, StandardCharsets.US_ASCII));
            int head = sb.indexOf("\r\n\r\n");
            if (head >= 0) {
                int lenAt = sb.indexOf("Content-Length: ");
                int len = Integer.parseInt(sb.substring(lenAt + 16, sb.indexOf("\r\n", lenAt)).strip());
                if (sb.length() >= head + 4 + len) {
                    return sb.toString();
                }
            }
        }
    }

    @Test
    void everyRequestIsCountedAndTimedOnTheAgentsMetricsByResult() {
        p.client.call("NetworkDriver.GetCapabilities", null);
        p.client.post("NetworkDriver.Join", "{\"NetworkID\":\"nope\",\"EndpointID\":\"nope\",\"SandboxKey\":\"/x\"}");
        String metrics = new String(io.javaoverlay.core.metrics.MetricsExposition.scrape(p.metrics), StandardCharsets.UTF_8);
        assertThat(metrics)
                .containsPattern("javaoverlay_operations_total\\{face=\"docker\",operation=\"NetworkDriver.GetCapabilities\","
                        + "result=\"ok\"} 1\\.0")
                .containsPattern("javaoverlay_operations_total\\{face=\"docker\",operation=\"NetworkDriver.Join\","
                        + "result=\"error\"} 1\\.0")
                .contains("javaoverlay_operation_duration_seconds_count{face=\"docker\",operation=\"NetworkDriver.Join\"}");
    }

    @Test
    void capabilitiesAndAddressSpaces() {
        JsonNode caps = p.client.call("NetworkDriver.GetCapabilities", null);
        assertThat(caps.get("Scope").asText()).isEqualTo("local");
        assertThat(caps.get("ConnectivityScope").asText()).isEqualTo("global");
        JsonNode ipamCaps = p.client.call("IpamDriver.GetCapabilities", null);
        assertThat(ipamCaps.get("RequiresMACAddress").asBoolean()).isTrue();
        JsonNode spaces = p.client.call("IpamDriver.GetDefaultAddressSpaces", null);
        assertThat(spaces.get("LocalDefaultAddressSpace").asText()).isEqualTo("JavaOverlayLocal");
        assertThat(spaces.get("GlobalDefaultAddressSpace").asText()).isEqualTo("JavaOverlayGlobal");
    }

    @Test
    void unknownMethodsAre404InTheirInterfacesErrorShape() {
        PluginClient.Reply driver = p.client.post("NetworkDriver.NoSuchThing", "{}");
        assertThat(driver.status()).isEqualTo(404);
        assertThat(driver.json().get("Err").asText()).contains("/NetworkDriver.NoSuchThing");
        PluginClient.Reply ipam = p.client.post("IpamDriver.NoSuchThing", "{}");
        assertThat(ipam.status()).isEqualTo(404);
        assertThat(ipam.json().has("Error")).isTrue();
        assertThat(p.client.request("POST", "/", null).status()).isEqualTo(404);
    }

    @Test
    void onlyPostIsServed() {
        PluginClient.Reply r = p.client.request("GET", "/Plugin.Activate", null);
        assertThat(r.status()).isEqualTo(405);
        assertThat(r.json().get("Err").asText()).contains("POST");
    }

    @Test
    void malformedJsonIs400WithTheErrorInTheRightKeyAndNoStackTrace() {
        PluginClient.Reply driver = p.client.post("NetworkDriver.CreateNetwork", "{\"NetworkID\": ");
        assertThat(driver.status()).isEqualTo(400);
        assertThat(driver.json().get("Err").asText()).startsWith("malformed NetworkDriver.CreateNetwork request");
        assertNoStackTrace(driver);

        PluginClient.Reply ipam = p.client.post("IpamDriver.RequestPool", "not json at all");
        assertThat(ipam.status()).isEqualTo(400);
        assertThat(ipam.json().get("Error").asText()).startsWith("malformed IpamDriver.RequestPool request");
        // dockerd's plugin client reads Err from any reply that is not 200, IPAM's or not
        assertThat(ipam.json().get("Err").asText()).isEqualTo(ipam.json().get("Error").asText());
        assertNoStackTrace(ipam);

        PluginClient.Reply trailing = p.client.post("NetworkDriver.DeleteNetwork", "{\"NetworkID\":\"a\"} {}");
        assertThat(trailing.status()).isEqualTo(400);
    }

    @Test
    void wrongTypesAndMissingBodiesAreBadRequests() {
        assertThat(p.client.post("NetworkDriver.CreateNetwork", null).json().get("Err").asText())
                .isEqualTo("NetworkDriver.CreateNetwork needs a JSON body, got none");
        assertThat(p.client.post("NetworkDriver.Join", "null").status()).isEqualTo(400);
        assertThat(p.client.post("NetworkDriver.Join", "[1,2]").status()).isEqualTo(400);
        PluginClient.Reply wrongType = p.client.post("IpamDriver.RequestPool", "{\"AddressSpace\":\"x\",\"V6\":\"maybe\"}");
        assertThat(wrongType.status()).isEqualTo(400);
        assertNoStackTrace(wrongType);
    }

    @Test
    void missingAndHostileIdsAreRefusedWithoutTouchingAnything() throws IOException {
        PluginClient.Reply missing = p.client.post("NetworkDriver.DeleteNetwork", "{}");
        assertThat(missing.status()).isEqualTo(400);
        assertThat(missing.json().get("Err").asText()).isEqualTo("NetworkID is missing");

        PluginClient.Reply traversal = p.client.post("NetworkDriver.CreateEndpoint",
                "{\"NetworkID\":\"../../etc\",\"EndpointID\":\"x\",\"Interface\":{\"Address\":\"10.5.72.9/24\"}}");
        assertThat(traversal.status()).isEqualTo(400);
        assertThat(traversal.json().get("Err").asText()).contains("is not a Docker ID");
        try (var files = Files.walk(p.settings.dataDir())) {
            assertThat(files.filter(Files::isRegularFile).toList()).isEmpty();
        }
    }

    @Test
    void unknownIdsGetErrorsThatSayWhatToDo() {
        String net = id("nope"), ep = id("nope-ep");
        JsonNode join = p.client.call("NetworkDriver.Join",
                obj("NetworkID", net, "EndpointID", ep, "SandboxKey", "/var/run/docker/netns/x", "Options", Map.of()));
        assertThat(join.get("Err").asText()).contains("not known to the javaoverlay plugin").contains("docker network rm");
        JsonNode addr = p.client.call("IpamDriver.RequestAddress", obj("PoolID", "LocalDefault/172.18.0.0/16", "Address", ""));
        assertThat(addr.get("Error").asText()).contains("unknown pool").contains("create it")
                .contains("--ipam-driver javaoverlay");
        JsonNode oldLease = p.client.call("IpamDriver.RequestAddress", obj("PoolID", "javaoverlay:10.5.9.0-24", "Address", ""));
        assertThat(oldLease.get("Error").asText()).contains("lease is now 10.5.72.0/24, not 10.5.9.0/24");
        // deleting what is not there succeeds: dockerd cleans up after crashes this way
        assertThat(p.client.call("NetworkDriver.DeleteEndpoint", obj("NetworkID", net, "EndpointID", ep)).has("Err")).isFalse();
        assertThat(p.client.call("NetworkDriver.Leave", obj("NetworkID", net, "EndpointID", ep)).has("Err")).isFalse();
        assertThat(p.client.call("NetworkDriver.DeleteNetwork", obj("NetworkID", net)).has("Err")).isFalse();
        assertThat(p.client.call("IpamDriver.ReleasePool", obj("PoolID", "javaoverlay:10.9.9.0-24")).has("Error")).isFalse();
    }

    @Test
    void oversizedBodiesAreRefused() {
        String huge = "{\"NetworkID\":\"" + "a".repeat(2 << 20) + "\"}";
        PluginClient.Reply r = p.client.post("NetworkDriver.DeleteNetwork", huge);
        assertThat(r.status()).isEqualTo(413);
        assertThat(r.json().get("Err").asText()).contains("larger than");
    }

    @Test
    void brokenHttpGetsJsonNotAnHtmlPage() {
        PluginClient.Reply r = p.client.raw("POST /Plugin.Activate HTTP/1.1\r\nContent-Length: nope\r\n\r\n"
                .getBytes(StandardCharsets.US_ASCII));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.body()).doesNotContain("<html").contains("\"Err\"");
    }

    @Test
    void discoveryAndSwarmOnlyCallsAreAnswered() {
        assertThat(p.client.call("NetworkDriver.DiscoverNew", obj("DiscoveryType", 1,
                "DiscoveryData", obj("Address", "10.0.0.1", "self", true))).size()).isZero();
        assertThat(p.client.call("NetworkDriver.DiscoverDelete", obj("DiscoveryType", 1, "DiscoveryData", Map.of())).size()).isZero();
        JsonNode alloc = p.client.call("NetworkDriver.AllocateNetwork", obj("NetworkID", id("n"), "Options", Map.of(),
                "IPv4Data", List.of()));
        assertThat(alloc.has("Err")).isFalse();
        assertThat(p.client.call("NetworkDriver.FreeNetwork", obj("NetworkID", id("n"))).size()).isZero();
    }

    @Test
    void socketIsPrivateAndRemovedOnShutdown() throws IOException {
        Path socket = p.settings.socket();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(socket))).isEqualTo("rw-------");
        try (var entries = Files.list(socket.getParent())) {
            assertThat(entries.map(e -> e.getFileName().toString()).toList()).containsExactly("javaoverlay.sock");
        }
        p.close();
        assertThat(socket).doesNotExist();
        p.plugin = null;
    }

    @Test
    void aStaleSocketIsReplacedButALiveOneIsNot() throws IOException {
        Path socket = p.settings.socket();
        p.close();
        p.plugin = null;
        // a plugin killed with SIGKILL leaves its socket file behind, with nobody listening
        try (ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            dead.bind(UnixDomainSocketAddress.of(socket));
        }
        assertThat(socket).exists();
        p.startPlugin();
        assertThat(p.client.post("Plugin.Activate", null).status()).isEqualTo(200);

        InProcessPlugin second = new InProcessPlugin(dir);
        assertThatThrownBy(second::startPlugin).hasMessageContaining("another process is serving " + socket);
        assertThat(p.client.post("Plugin.Activate", null).status()).isEqualTo(200);
    }

    private static void assertNoStackTrace(PluginClient.Reply r) {
        assertThat(r.body()).doesNotContain("\tat ").doesNotContain("at com.fasterxml").doesNotContain("at io.javaoverlay");
    }
}
