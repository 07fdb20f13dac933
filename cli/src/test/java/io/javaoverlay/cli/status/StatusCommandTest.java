package io.javaoverlay.cli.status;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;

import picocli.CommandLine;

/**
 * {@code javaoverlay status} against an HTTP server that answers as the agent does, on loopback;
 * the "peers" live at loopback addresses, so probing them sends nothing off this machine.
 */
class StatusCommandTest {

    private static final String STATUS = "{\"Ready\":true,\"Lease\":{\"Subnet\":\"10.244.5.0/24\",\"PublicIP\":\"127.0.0.1\","
            + "\"BackendType\":\"vxlan\",\"Expiration\":\"2099-01-01T00:00:00Z\",\"MTU\":1450},\"Peers\":1}";
    private static final String PEERS = "[{\"Subnet\":\"127.0.7.0/24\",\"Lease\":{\"PublicIP\":\"127.0.0.2\",\"BackendType\":\"vxlan\","
            + "\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"aa:bb:cc:dd:ee:01\"}}}]";

    @TempDir
    Path dir;

    private HttpServer agent;
    private String status = STATUS;
    private String peers = PEERS;

    @BeforeEach
    void startFakeAgent() throws IOException {
        agent = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 4);
        agent.createContext("/status", ex -> reply(ex, status));
        agent.createContext("/peers", ex -> reply(ex, peers));
        agent.start();
        Files.writeString(dir.resolve("subnet.env"),
                "FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.5.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=false\n");
    }

    @AfterEach
    void stop() {
        agent.stop(0);
    }

    private static void reply(com.sun.net.httpserver.HttpExchange ex, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(200, b.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(b);
        }
    }

    private record Run(int exit, String out) {}

    private Run run(String... extra) {
        StringWriter out = new StringWriter();
        CommandLine cl = new CommandLine(new StatusCommand());
        cl.setOut(new PrintWriter(out));
        String[] args = new String[extra.length + 4];
        args[0] = "--healthz-port";
        args[1] = Integer.toString(agent.getAddress().getPort());
        args[2] = "--subnet-file";
        args[3] = dir.resolve("subnet.env").toString();
        System.arraycopy(extra, 0, args, 4, extra.length);
        return new Run(cl.execute(args), out.toString());
    }

    @Test
    void tableShowsLeaseAgentSubnetEnvAndReachablePeers() {
        Run r = run();
        assertThat(r.exit()).as(r.out()).isZero();
        assertThat(r.out())
                .contains("lease:      10.244.5.0/24  public IP 127.0.0.1  backend vxlan  MTU 1450")
                .contains("expires:    2099-01-01T00:00:00Z (in ")
                .contains("agent:      ready (http://127.0.0.1:")
                .contains("FLANNEL_SUBNET=10.244.5.1/24 FLANNEL_MTU=1450")
                .contains("peers:      1")
                .containsPattern("SUBNET +PUBLIC IP +BACKEND +VTEP MAC +UNDERLAY +OVERLAY")
                .containsPattern("127\\.0\\.7\\.0/24 +127\\.0\\.0\\.2 +vxlan +aa:bb:cc:dd:ee:01 +ok [\\d.]+ ms +ok [\\d.]+ ms \\(127\\.0\\.7\\.0\\)");
    }

    @Test
    void jsonCarriesTheSameFacts() throws IOException {
        Run r = run("--json");
        assertThat(r.exit()).isZero();
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertThat(j.path("SubnetFile").path("FLANNEL_SUBNET").asText()).isEqualTo("10.244.5.1/24");
        assertThat(j.path("Agent").path("Lease").path("Subnet").asText()).isEqualTo("10.244.5.0/24");
        JsonNode peer = j.path("Peers").get(0);
        assertThat(peer.path("VtepMAC").asText()).isEqualTo("aa:bb:cc:dd:ee:01");
        assertThat(peer.path("Underlay").path("Reachable").asBoolean()).isTrue();
        assertThat(peer.path("Overlay").path("Address").asText()).isEqualTo("127.0.7.0");
    }

    @Test
    void noProbeListsPeersWithoutReachability() {
        Run r = run("--no-probe");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).containsPattern("127\\.0\\.7\\.0/24 +127\\.0\\.0\\.2 +vxlan +aa:bb:cc:dd:ee:01 +- +-");
    }

    @Test
    void anAgentThatIsNotReadyExitsOneWithItsReason() {
        status = "{\"Ready\":false,\"Reason\":\"acquiring a subnet lease\",\"Peers\":0}";
        Run r = run("--no-probe");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.out()).contains("agent:      not ready: acquiring a subnet lease");
    }

    /** flanneld's file for an IPv6-only network: shown as it is, not an error. */
    @Test
    void anIpv6OnlySubnetEnvShowsItsIpv6Pair() throws IOException {
        Files.writeString(dir.resolve("subnet.env"),
                "FLANNEL_IPV6_NETWORK=fc00:5::/48\nFLANNEL_IPV6_SUBNET=fc00:5:0:34::1/64\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=false\n");
        Run r = run("--no-probe");
        assertThat(r.exit()).as(r.out()).isZero();
        assertThat(r.out()).contains(": FLANNEL_IPV6_NETWORK=fc00:5::/48 FLANNEL_IPV6_SUBNET=fc00:5:0:34::1/64 FLANNEL_MTU=1450");
        JsonNode j = new ObjectMapper().readTree(run("--no-probe", "--json").out());
        assertThat(j.path("SubnetFile").has("FLANNEL_SUBNET")).isFalse();
        assertThat(j.path("SubnetFile").path("FLANNEL_MTU").asInt()).isEqualTo(1450);
        assertThat(j.path("SubnetFile").has("Error")).isFalse();
    }

    /** An agent of an IPv6-only network: its lease and its peers by their IPv6 subnets and PublicIPv6 (the peer is ::1). */
    @Test
    void anIpv6OnlyAgentsLeaseAndPeersAreShownAndProbedOverIpv6() throws IOException {
        status = "{\"Ready\":true,\"Lease\":{\"IPv6Subnet\":\"fd00:10:244:5::/64\",\"PublicIPv6\":\"fd00:e2e::5\","
                + "\"BackendType\":\"vxlan\",\"Expiration\":null,\"MTU\":1450},\"Peers\":1,\"Rejected\":[{\"Key\":\"fd00:10:244:9::-64\","
                + "\"PublicIPv6\":\"fd00:10:244:9::1\",\"Reason\":\"bad-public-ip\",\"Detail\":\"inside the overlay\"}]}";
        peers = "[{\"IPv6Subnet\":\"::1/128\",\"Lease\":{\"PublicIP\":\"0.0.0.0\",\"PublicIPv6\":\"::1\",\"BackendType\":\"vxlan\","
                + "\"BackendV6Data\":{\"VNI\":1,\"VtepMAC\":\"aa:bb:cc:dd:ee:06\"}}}]";
        Run r = run();
        assertThat(r.exit()).as(r.out()).isZero();
        assertThat(r.out()).contains("lease:      fd00:10:244:5::/64  public IPv6 fd00:e2e::5  backend vxlan  MTU 1450  (IPv6 only)")
                .containsPattern("::1/128 +::1 +vxlan +aa:bb:cc:dd:ee:06 +ok [\\d.]+ ms +ok [\\d.]+ ms \\(::1\\)")
                .contains("fd00:10:244:9::-64 at fd00:10:244:9::1: bad-public-ip: inside the overlay");
        JsonNode peer = new ObjectMapper().readTree(run("--json").out()).path("Peers").get(0);
        assertThat(peer.path("IPv6Subnet").asText()).isEqualTo("::1/128");
        assertThat(peer.path("PublicIPv6").asText()).isEqualTo("::1");
        assertThat(peer.has("Subnet")).isFalse();
        assertThat(peer.path("Underlay").path("Address").asText()).isEqualTo("::1");
    }

    @Test
    void noAgentSaysWhereItLookedAndStillShowsSubnetEnv() {
        int port = agent.getAddress().getPort();
        agent.stop(0);
        Run r = run();
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.out()).contains("cannot reach the agent at http://127.0.0.1:" + port)
                .contains("--healthz-port " + port)
                .contains("FLANNEL_NETWORK=10.244.0.0/16");
    }
}
