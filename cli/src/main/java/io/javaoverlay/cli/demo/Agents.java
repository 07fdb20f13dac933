package io.javaoverlay.cli.demo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.javaoverlay.core.config.SubnetEnv;

/**
 * Starts one real agent process ({@code bin/javaoverlay agent}) inside each host namespace and
 * waits until each has written its subnet.env, which the agent does once it holds a lease and
 * has programmed its data path.
 */
final class Agents {

    /** The agents' health/metrics port, on each host's own loopback. */
    static final int HEALTH_PORT = 8471;

    private Agents() {}

    /** The flags every demo agent gets, next to its store flags. */
    static List<String> command(Path launcher, DemoHost h, List<String> storeFlags) {
        List<String> cmd = new ArrayList<>(List.of(launcher.toString(), "agent"));
        cmd.addAll(storeFlags);
        cmd.addAll(List.of(
                "--iface", DemoHost.UNDERLAY_IFACE,
                "--subnet-file", h.subnetFile().toString(),
                "--data-dir", h.dir.resolve("data").toString(),
                "--healthz-ip", "127.0.0.1",
                "--healthz-port", Integer.toString(HEALTH_PORT)));
        return cmd;
    }

    static void start(Sandbox sandbox, Path launcher, List<DemoHost> hosts, List<String> storeFlags) {
        for (DemoHost h : hosts) {
            h.agent = sandbox.start("agent on " + h.name, h.ns, command(launcher, h, storeFlags), Map.of(), h.agentLog());
        }
    }

    /** Waits for every agent's subnet.env; fails with the agent's log when one exits or the time is up. */
    static void awaitReady(Sandbox sandbox, List<DemoHost> hosts, Duration timeout, Progress progress) {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<DemoHost> waiting = new ArrayList<>(hosts);
        long lastTick = System.nanoTime();
        while (!waiting.isEmpty()) {
            for (var it = waiting.iterator(); it.hasNext();) {
                DemoHost h = it.next();
                if (!h.agent.process().isAlive()) {
                    throw new DemoException("the agent on " + h.name + " exited with code " + h.agent.process().exitValue()
                            + "; its log (" + h.agentLog() + "):\n" + tail(h.agentLog()));
                }
                if (Files.exists(h.subnetFile())) {
                    try {
                        SubnetEnv env = SubnetEnv.read(h.subnetFile());
                        h.subnet = env.lease();
                        h.mtu = env.mtu();
                        it.remove();
                    } catch (IOException | IllegalArgumentException e) {
                        // the agent writes it atomically (rename), so an unreadable file is a real fault
                        throw new DemoException("the agent on " + h.name + " wrote an unreadable " + h.subnetFile() + ": " + e.getMessage());
                    }
                }
            }
            if (waiting.isEmpty()) {
                break;
            }
            if (System.nanoTime() > deadline) {
                DemoHost h = waiting.get(0);
                throw new DemoException("the agent on " + h.name + " did not write " + h.subnetFile() + " within "
                        + timeout.toSeconds() + " s; its log:\n" + tail(h.agentLog()));
            }
            if (sandbox.isClosed()) {
                throw new DemoException("interrupted");
            }
            if (System.nanoTime() - lastTick > 1_000_000_000L) {
                progress.tick();
                lastTick = System.nanoTime();
            }
            sleep(Duration.ofMillis(100));
        }
    }

    static String tail(Path log) {
        try {
            String s = Files.readString(log);
            return s.length() > 3000 ? "..." + s.substring(s.length() - 3000) : s;
        } catch (IOException e) {
            return "(cannot read " + log + ": " + e.getMessage() + ")";
        }
    }

    static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DemoException("interrupted");
        }
    }
}
