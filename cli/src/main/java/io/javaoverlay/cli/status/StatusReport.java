package io.javaoverlay.cli.status;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.javaoverlay.core.config.SubnetEnv;

/** What {@code javaoverlay status} found, rendered as a table or as JSON. */
final class StatusReport {

    private static final ObjectMapper JSON = new ObjectMapper();

    Path subnetFile;
    Optional<SubnetEnv> subnetEnv = Optional.empty();
    Optional<String> subnetEnvProblem = Optional.empty();
    String agentUrl;
    Optional<JsonNode> agentStatus = Optional.empty();
    Optional<String> agentProblem = Optional.empty();
    List<PeerRow> peers = List.of();

    boolean ready() {
        return agentStatus.map(s -> s.path("Ready").asBoolean(false)).orElse(false);
    }

    int exitCode() {
        if (!ready()) {
            return 1;
        }
        return peers.stream().allMatch(PeerRow::reachable) ? 0 : 3;
    }

    String table() {
        StringBuilder sb = new StringBuilder();
        JsonNode lease = agentStatus.map(s -> s.path("Lease")).orElse(JSON.missingNode());
        if (!lease.isMissingNode() && !lease.has("Subnet")) { // an IPv6-only lease
            sb.append(String.format("%-11s %s  public IPv6 %s  backend %s  MTU %d  (IPv6 only)%n", "lease:", lease.path("IPv6Subnet").asText(),
                    lease.path("PublicIPv6").asText("-"), lease.path("BackendType").asText(), lease.path("MTU").asInt()));
            sb.append(String.format("%-11s %s%n", "expires:", expiry(lease.path("Expiration"))));
        } else if (!lease.isMissingNode()) {
            sb.append(String.format("%-11s %s  public IP %s  backend %s  MTU %d%n", "lease:", lease.path("Subnet").asText(),
                    lease.path("PublicIP").asText(), lease.path("BackendType").asText(), lease.path("MTU").asInt()));
            if (lease.has("IPv6Subnet")) {
                sb.append(String.format("%-11s %s  public IPv6 %s%n", "lease IPv6:", lease.path("IPv6Subnet").asText(),
                        lease.path("PublicIPv6").asText("-")));
            }
            sb.append(String.format("%-11s %s%n", "expires:", expiry(lease.path("Expiration"))));
        }
        if (agentProblem.isPresent()) {
            sb.append(String.format("%-11s %s%n", "agent:", agentProblem.get()));
        } else {
            JsonNode s = agentStatus.orElseThrow();
            sb.append(String.format("%-11s %s (%s)%n", "agent:", s.path("Ready").asBoolean() ? "ready"
                    : "not ready: " + s.path("Reason").asText("?"), agentUrl));
        }
        sb.append(String.format("%-11s %s%n", "subnet.env:", subnetEnv.map(e -> subnetFile + ": " + (e.hasIpv4()
                ? "FLANNEL_NETWORK=" + e.network() + " FLANNEL_SUBNET=" + e.gateway()
                : "FLANNEL_IPV6_NETWORK=" + e.ipv6Network().orElseThrow() + " FLANNEL_IPV6_SUBNET=" + e.ipv6Subnet().orElseThrow())
                + " FLANNEL_MTU=" + e.mtu() + " FLANNEL_IPMASQ=" + e.ipMasq())
                .orElse(subnetEnvProblem.orElse("?"))));
        if (agentProblem.isPresent()) {
            return sb.toString();
        }
        sb.append(String.format("%-11s %d%n%n", "peers:", peers.size()));
        if (peers.isEmpty()) {
            sb.append("no peers yet: this is the only host with a lease (start an agent on another host)\n");
            return sb.append(rejected()).toString();
        }
        List<String[]> rows = new ArrayList<>();
        boolean tunnels = peers.stream().anyMatch(p -> p.tunnel().isPresent());
        Instant now = Instant.now();
        rows.add(tunnels ? new String[] {"SUBNET", "PUBLIC IP", "BACKEND", "HANDSHAKE", "RX/TX BYTES", "UNDERLAY", "OVERLAY"}
                : new String[] {"SUBNET", "PUBLIC IP", "BACKEND", "VTEP MAC", "UNDERLAY", "OVERLAY"});
        for (PeerRow p : peers) {
            String under = p.underlay().map(Reachability::render).orElse("-");
            String over = p.overlay().map(r -> r.render() + " (" + r.address() + ")").orElse("-");
            rows.add(tunnels ? new String[] {p.subnet(), p.publicIpText(), p.backend(),
                p.tunnel().map(t -> t.renderHandshake(now)).orElse("-"),
                p.tunnel().map(t -> t.rxBytes() + "/" + t.txBytes()).orElse("-"), under, over}
                : new String[] {p.subnet(), p.publicIpText(), p.backend(), p.vtepMac().orElse("-"), under, over});
        }
        int[] w = new int[rows.get(0).length];
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                w[i] = Math.max(w[i], r[i].length());
            }
        }
        for (String[] r : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < r.length; i++) {
                line.append(String.format("%-" + (w[i] + 2) + "s", r[i]));
            }
            sb.append(line.toString().stripTrailing()).append('\n');
        }
        return sb.append(rejected()).toString();
    }

    /** The leases the agent refused to program and what it did about the store lately, after the peers. */
    private String rejected() {
        StringBuilder sb = new StringBuilder();
        JsonNode list = agentStatus.map(s -> s.path("Rejected")).orElse(JSON.missingNode());
        if (list.isArray() && !list.isEmpty()) {
            sb.append(String.format("%nrejected leases (not programmed; see docs/security.md): %d%n", list.size()));
            for (JsonNode r : list) {
                sb.append(String.format("  %s at %s: %s: %s%n", r.path("Key").asText(), r.has("PublicIP") ? r.path("PublicIP").asText()
                        : r.path("PublicIPv6").asText(),
                        r.path("Reason").asText(), r.path("Detail").asText()));
            }
        }
        JsonNode events = agentStatus.map(s -> s.path("StoreEvents")).orElse(JSON.missingNode());
        if (events.isArray() && !events.isEmpty()) {
            sb.append(String.format("%nstore events (what the agent did about the lease store lately):%n"));
            for (JsonNode e : events) {
                sb.append(String.format("  %s  %s%n", e.path("Time").asText(), e.path("Event").asText()));
            }
        }
        return sb.toString();
    }

    private static String expiry(JsonNode e) {
        if (e.isMissingNode() || e.isNull()) {
            return "never (a reservation)";
        }
        Instant at = Instant.parse(e.asText());
        Duration left = Duration.between(Instant.now(), at);
        return at + (left.isNegative() ? " (expired)" : String.format(" (in %dh%02dm; the agent renews it before)",
                left.toHours(), left.toMinutesPart()));
    }

    String json() {
        ObjectNode n = JSON.createObjectNode();
        ObjectNode env = n.putObject("SubnetFile");
        env.put("Path", subnetFile.toString());
        subnetEnv.ifPresent(e -> {
            if (e.hasIpv4()) { // flanneld's IPv6-only file has no IPv4 pair
                env.put("FLANNEL_NETWORK", e.network().toString());
                env.put("FLANNEL_SUBNET", e.gateway().toString());
            }
            env.put("FLANNEL_MTU", e.mtu());
            env.put("FLANNEL_IPMASQ", e.ipMasq());
        });
        subnetEnvProblem.ifPresent(p -> env.put("Error", p));
        ObjectNode agent = n.putObject("Agent");
        agent.put("URL", agentUrl);
        agentStatus.ifPresent(s -> agent.setAll((ObjectNode) s));
        agentProblem.ifPresent(p -> {
            agent.put("Ready", false);
            agent.put("Error", p);
        });
        ArrayNode arr = n.putArray("Peers");
        for (PeerRow p : peers) {
            ObjectNode o = arr.addObject();
            boolean v6only = p.subnet().indexOf(':') >= 0; // an IPv6-only peer, as /peers lists it
            o.put(v6only ? "IPv6Subnet" : "Subnet", p.subnet());
            o.put(v6only ? "PublicIPv6" : "PublicIP", p.publicIpText());
            o.put("BackendType", p.backend());
            p.vtepMac().ifPresent(m -> o.put("VtepMAC", m));
            p.tunnel().ifPresent(t -> {
                ObjectNode w = o.putObject("Tunnel");
                t.latestHandshake().ifPresentOrElse(h -> w.put("LatestHandshake", h.toString()), () -> w.putNull("LatestHandshake"));
                w.put("RxBytes", t.rxBytes());
                w.put("TxBytes", t.txBytes());
            });
            p.underlay().ifPresent(r -> probe(o.putObject("Underlay"), r));
            p.overlay().ifPresent(r -> probe(o.putObject("Overlay"), r));
        }
        return n.toString();
    }

    private static void probe(ObjectNode o, Reachability r) {
        o.put("Address", r.address());
        o.put("Reachable", r.reachable());
        r.rtt().ifPresent(d -> o.put("RttMillis", Math.round(d.toNanos() / 1e3) / 1e3));
    }
}
