package io.javaoverlay.cli.demo;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.process.Commands;

/**
 * A short TCP throughput check with iperf3: container to container across the overlay, and the
 * same between the two hosts' underlay addresses for comparison. Both run on the same machine's
 * CPUs, so the numbers show the overlay's cost next to the plain path, not a real network's speed.
 */
final class Throughput {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int PORT = 5201;

    private Throughput() {}

    /** Bits per second from {@code fromNs} to a server started in {@code toNs} at {@code toIp}, or why not. */
    static Result measure(Sandbox sandbox, String label, String fromNs, String toNs, Ip4 toIp, Duration time) {
        // -1: the server exits after one test; it is also stopped by PID when anything goes wrong
        Sandbox.Started server = sandbox.start("iperf3 server (" + label + ")", toNs,
                List.of("iperf3", "-s", "-1", "-p", Integer.toString(PORT)), Map.of(),
                sandbox.dir().resolve("iperf3-" + label.replace(' ', '-') + ".log"));
        try {
            Commands.Result r;
            JsonNode json = null;
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            do {
                r = Command.run(List.of("ip", "netns", "exec", fromNs, "iperf3", "-c", toIp.toString(), "-p", Integer.toString(PORT),
                        "-t", Long.toString(Math.max(1, time.toSeconds())), "-J"), time.plusSeconds(30));
                // iperf3 3.12 exits 0 with -J even when it could not connect: the JSON's "error" says so
                json = r.stdout().isBlank() ? null : JSON.readTree(r.stdout());
                if (r.ok() && json != null && !json.has("error")) {
                    break;
                }
                // the server may not listen yet: the client then fails at once with "connection refused"
                Agents.sleep(Duration.ofMillis(200));
            } while (System.nanoTime() < deadline && !sandbox.isClosed());
            if (json == null || json.has("error") || !r.ok()) {
                return new Result(label, Optional.empty(), json != null && json.has("error") ? json.get("error").asText() : r.describe());
            }
            double bps = json.path("end").path("sum_received").path("bits_per_second").asDouble(-1);
            return bps < 0 ? new Result(label, Optional.empty(), "iperf3 printed no result")
                    : new Result(label, Optional.of(bps), "");
        } catch (java.io.IOException e) {
            return new Result(label, Optional.empty(), "iperf3's output is not JSON: " + e.getMessage());
        } finally {
            sandbox.stop(server);
        }
    }

    record Result(String label, Optional<Double> bitsPerSecond, String problem) {
        String render() {
            return bitsPerSecond.map(b -> String.format("%-28s %8.2f Gbit/s", label, b / 1e9))
                    .orElse(String.format("%-28s failed: %s", label, problem));
        }
    }
}
