package io.javaoverlay.cli;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * {@code bin/javaoverlay agent} as a real child process, as a user starts it: its own subnet
 * file, data dir and health port in a per-agent directory, its log in a file. Stopped by PID.
 */
final class AgentProcess implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    final Path dir;
    final Path subnetFile;
    final Path log;
    final int healthPort;
    private final List<String> command;
    private final List<String> args;
    private final Map<String, String> env;
    private Process process;

    AgentProcess(Path dir, List<String> args, Map<String, String> env) {
        this(dir, List.of(launcher().toString(), "agent"), args, env);
    }

    /** @param command the executable and its leading arguments: {@code bin/javaoverlay agent}, or {@code bin/flanneld} */
    AgentProcess(Path dir, List<String> command, List<String> args, Map<String, String> env) {
        this.command = List.copyOf(command);
        this.dir = dir;
        this.subnetFile = dir.resolve("subnet.env");
        this.log = dir.resolve("agent.log");
        this.healthPort = freePort();
        this.args = args;
        this.env = env;
    }

    static Path launcher() {
        return Path.of(System.getProperty("javaoverlay.home", ".")).resolve("bin/javaoverlay").toAbsolutePath();
    }

    /** Starts with the standard per-agent flags plus {@code args}. */
    AgentProcess start() {
        try {
            Files.createDirectories(dir);
            List<String> cmd = new ArrayList<>(command);
            cmd.addAll(List.of(
                    "--subnet-file", subnetFile.toString(),
                    "--data-dir", dir.resolve("data").toString(),
                    "--healthz-ip", "127.0.0.1",
                    "--healthz-port", Integer.toString(healthPort),
                    // in the test machine's own namespace: no CNI socket in its /run
                    "--cni-socket=",
                    // these agents run in the test machine's own namespace: control plane only, never touch its network
                    "--no-data-path"));
            cmd.addAll(args);
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            pb.environment().keySet().removeIf(k -> k.startsWith("FLANNELD_"));
            pb.environment().putAll(env);
            process = pb.start();
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + launcher(), e);
        }
    }

    AgentProcess awaitReady() {
        try {
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                    .failFast("agent exited", () -> !process.isAlive())
                    .until(() -> readyz() == 200);
        } catch (org.awaitility.core.ConditionTimeoutException | org.awaitility.core.TerminalFailureException e) {
            throw new AssertionError("agent in " + dir + " did not become ready (" + e.getMessage() + "); its log:\n" + logTail(), e);
        }
        return this;
    }

    /** /readyz's status; -1 while nothing listens yet. */
    int readyz() {
        try {
            return get("/readyz").statusCode();
        } catch (UncheckedIOException e) {
            return -1;
        }
    }

    /** /healthz's status; -1 while nothing listens yet. */
    int healthz() {
        try {
            return get("/healthz").statusCode();
        } catch (UncheckedIOException e) {
            return -1;
        }
    }

    /** The peers the agent knows, by subnet. */
    List<String> peerSubnets() {
        List<String> out = new ArrayList<>();
        for (JsonNode n : peers()) {
            out.add(n.get("Subnet").textValue());
        }
        return out;
    }

    JsonNode peers() {
        try {
            return JSON.readTree(get("/peers").body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private HttpResponse<String> get(String path) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + healthPort + path))
                    .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    String subnetEnv() throws IOException {
        return Files.readString(subnetFile);
    }

    /** FLANNEL_SUBNET's network, e.g. 10.5.7.0/24. */
    String subnet() {
        try {
            return io.javaoverlay.core.config.SubnetEnv.read(subnetFile).lease().toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    String log() {
        try {
            return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "(cannot read " + log + ": " + e + ")";
        }
    }

    String logTail() {
        String l = log();
        return l.length() > 4000 ? l.substring(l.length() - 4000) : l;
    }

    boolean isAlive() {
        return process != null && process.isAlive();
    }

    long pid() {
        return process.pid();
    }

    /** SIGTERM, then the exit code. */
    int stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("agent did not stop within 20s of SIGTERM: " + logTail());
        }
        return process.exitValue();
    }

    /** SIGKILL: gone without any cleanup, as a crashed host. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(20, TimeUnit.SECONDS);
    }

    int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("agent still running after " + timeout + ": " + logTail());
        }
        return process.exitValue();
    }

    @Override
    public void close() {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    static int freePort() {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
