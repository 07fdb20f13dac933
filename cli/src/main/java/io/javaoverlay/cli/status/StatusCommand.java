package io.javaoverlay.cli.status;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import com.fasterxml.jackson.databind.JsonNode;

import io.javaoverlay.core.config.SubnetEnv;

/** {@code javaoverlay status}: this host's lease, backend and peers, and whether the peers answer. */
@Command(name = "status", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Shows this host's lease, backend and peers, and whether each peer answers over the underlay (its "
                    + "public IP) and through the overlay (its VTEP or bridge address); with the wireguard backend also "
                    + "each peer's latest handshake and bytes received and sent.",
            "",
            "Reads subnet.env and asks the agent's HTTP server (/status, /peers), which the agent runs when started "
                    + "with --healthz-port. Run it on the host (or in the host's network namespace) whose agent you "
                    + "want to see; probing peers needs root for ICMP.",
            ""
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:the agent is ready and every peer answered", "1:the agent is not reachable or not ready",
            "3:the agent is ready but some peer did not answer"})
public final class StatusCommand implements Callable<Integer> {

    /** The port the shipped systemd environment file and Kubernetes DaemonSet give the agent. */
    public static final int DEFAULT_PORT = 8471;

    @Option(names = "--healthz-ip", paramLabel = "IP", defaultValue = "127.0.0.1",
            description = "address of the agent's HTTP server (default: ${DEFAULT-VALUE})")
    String ip;

    @Option(names = "--healthz-port", paramLabel = "PORT",
            description = "port of the agent's HTTP server (default: $FLANNELD_HEALTHZ_PORT, else " + DEFAULT_PORT + ")")
    Integer port;

    @Option(names = "--subnet-file", paramLabel = "FILE",
            description = "the agent's subnet.env (default: $FLANNELD_SUBNET_FILE, else /run/flannel/subnet.env)")
    Path subnetFile;

    @Option(names = "--json", description = "print one JSON object instead of the table")
    boolean json;

    @Option(names = "--no-probe", negatable = true, defaultValue = "true",
            description = "ping every peer (default: on; --no-probe only lists them)")
    boolean probe;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "1",
            description = "how long to wait for the agent and for each peer's answer (default: ${DEFAULT-VALUE})")
    double timeoutSeconds;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        Duration timeout = Duration.ofMillis(Math.max(1, (long) (timeoutSeconds * 1000)));
        int p = port != null ? port : envInt("FLANNELD_HEALTHZ_PORT").orElse(DEFAULT_PORT);
        Path file = subnetFile != null ? subnetFile
                : Optional.ofNullable(System.getenv("FLANNELD_SUBNET_FILE")).filter(s -> !s.isBlank()).map(Path::of).orElse(SubnetEnv.DEFAULT_PATH);

        StatusReport report = new StatusReport();
        report.subnetFile = file;
        try {
            report.subnetEnv = Optional.of(SubnetEnv.read(file));
        } catch (IOException | IllegalArgumentException e) {
            report.subnetEnvProblem = Optional.of(e.getMessage());
        }
        AgentEndpoint agent = new AgentEndpoint(ip, p, timeout);
        report.agentUrl = agent.base().toString();
        try {
            report.agentStatus = Optional.of(agent.status());
            List<PeerRow> rows = new ArrayList<>();
            for (JsonNode n : agent.peers()) {
                rows.add(PeerRow.from(n));
            }
            if (rows.stream().anyMatch(r -> r.backend().equals("wireguard"))) {
                // each WireGuard peer's latest handshake and traffic, as the agent reads them from its device
                Map<String, TunnelPeer> tunnels = TunnelPeer.fromMetrics(agent.metrics());
                rows = rows.stream().map(r -> r.withTunnel(Optional.ofNullable(tunnels.get(r.subnet())))).toList();
            }
            report.peers = probe ? probeAll(rows, timeout) : rows;
        } catch (IOException e) {
            report.agentProblem = Optional.of("cannot reach the agent at " + agent.base() + ": "
                    + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage())
                    + " (is it running, with --healthz-port " + p + "? on another port: --healthz-port)");
        }

        PrintWriter out = spec.commandLine().getOut();
        out.print(json ? report.json() + "\n" : report.table());
        out.flush();
        return report.exitCode();
    }

    /** Probes all peers at once, so the command takes one timeout, not one per peer. */
    private static List<PeerRow> probeAll(List<PeerRow> rows, Duration timeout) {
        List<CompletableFuture<PeerRow>> futures = new ArrayList<>();
        for (PeerRow r : rows) {
            CompletableFuture<Reachability> u = CompletableFuture.supplyAsync(() -> Reachability.probe(r.publicIp(), timeout));
            CompletableFuture<Reachability> o = CompletableFuture.supplyAsync(() -> Reachability.probe(r.overlayAddress(), timeout));
            futures.add(u.thenCombine(o, r::withProbes));
        }
        return futures.stream().map(CompletableFuture::join).toList();
    }

    private static Optional<Integer> envInt(String name) {
        String v = System.getenv(name);
        if (v == null || v.isBlank()) {
            return Optional.empty();
        }
        try {
            return Optional.of(Integer.parseInt(v.strip()));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }
}
