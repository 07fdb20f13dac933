package io.javaoverlay.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.javaoverlay.core.netlink.NetNs;
import io.javaoverlay.core.netlink.NetlinkSocket;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A network namespace a {@link TestNetwork} made ({@code ip netns add}), with helpers to run
 * commands inside it and to read its state through iproute2's JSON output (an oracle that is
 * independent of the code under test).
 */
public class TestNamespace {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String name;
    private final TestNetwork network;

    TestNamespace(String name, TestNetwork network) {
        this.name = name;
        this.network = network;
    }

    /** The namespace's name under /run/netns. */
    public String name() {
        return name;
    }

    /** {@code /run/netns/NAME}: what nsenter --net=, CNI_NETNS and {@link NetNs#open(Path)} take. */
    public Path netnsPath() {
        return Path.of("/run/netns", name);
    }

    /** A handle on this namespace for the netlink API; the caller closes it. */
    public NetNs open() {
        return NetNs.open(netnsPath());
    }

    /**
     * A netlink socket on this namespace, usable from any thread. The namespace handle is only
     * needed while the socket is made. The caller may close it; the network closes it at teardown
     * in any case, before it deletes the namespaces.
     */
    public NetlinkSocket openNetlink() {
        try (NetNs h = open()) {
            return network.closeAtTeardown(h.openSocket());
        }
    }

    /** {@code ip netns exec NAME} followed by the command. */
    public List<String> wrap(List<String> command) {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", name));
        full.addAll(command);
        return full;
    }

    public ExecResult exec(String... command) {
        return exec(List.of(command), Map.of(), null, Exec.DEFAULT_TIMEOUT);
    }

    public ExecResult exec(Duration timeout, String... command) {
        return exec(List.of(command), Map.of(), null, timeout);
    }

    /** Runs a command inside the namespace with extra environment and optional stdin. */
    public ExecResult exec(List<String> command, Map<String, String> env, String stdin, Duration timeout) {
        return Exec.run(wrap(command), env, stdin, timeout);
    }

    /** Runs a command inside the namespace, fails the test unless it exits 0, returns stdout. */
    public String execOk(String... command) {
        return exec(command).orThrow().stdout();
    }

    /** Starts a long-running process inside the namespace; stopped at teardown unless stopped before. */
    public TestProcess start(String processName, String... command) {
        return start(processName, List.of(command), Map.of());
    }

    public TestProcess start(String processName, List<String> command, Map<String, String> env) {
        return network.start(this, processName, command, env);
    }

    /** Whether {@code ping -c1 -W1 TARGET} from inside this namespace gets an answer (tries {@code attempts} times). */
    public boolean ping(String target, int attempts) {
        for (int i = 0; i < attempts; i++) {
            if (exec(Duration.ofSeconds(10), "ping", "-n", "-c1", "-W1", target).ok()) {
                return true;
            }
        }
        return false;
    }

    /** {@code ip -j ARGS} inside this namespace, parsed (e.g. {@code ipJson("-d", "link", "show")}). */
    public JsonNode ipJson(String... args) {
        List<String> cmd = new ArrayList<>(List.of("ip", "-n", name, "-j"));
        cmd.addAll(List.of(args));
        return parse(Exec.run(cmd, Map.of(), null, Exec.DEFAULT_TIMEOUT).orThrow().stdout());
    }

    /** {@code bridge -j ARGS} inside this namespace, parsed (e.g. {@code bridgeJson("fdb", "show", "dev", "vx0")}). */
    public JsonNode bridgeJson(String... args) {
        List<String> cmd = new ArrayList<>(List.of("bridge", "-n", name, "-j"));
        cmd.addAll(List.of(args));
        return parse(Exec.run(cmd, Map.of(), null, Exec.DEFAULT_TIMEOUT).orThrow().stdout());
    }

    /** {@code ip -n NAME ARGS}, failing the test unless it succeeds. */
    public String ip(String... args) {
        List<String> cmd = new ArrayList<>(List.of("ip", "-n", name));
        cmd.addAll(List.of(args));
        return Exec.run(cmd, Map.of(), null, Exec.DEFAULT_TIMEOUT).orThrow().stdout();
    }

    private static JsonNode parse(String json) {
        try {
            // iproute2 prints nothing at all (not "[]") for some empty tables
            return JSON.readTree(json.isBlank() ? "[]" : json);
        } catch (IOException e) {
            throw new UncheckedIOException("iproute2 printed invalid JSON: " + json, e);
        }
    }

    TestNetwork network() {
        return network;
    }

    @Override
    public String toString() {
        return "netns " + name;
    }
}
