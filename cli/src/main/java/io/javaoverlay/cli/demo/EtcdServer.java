package io.javaoverlay.cli.demo;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.javaoverlay.core.lease.EtcdServerCommand;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.process.Commands;

/**
 * A private, single-member etcd for {@code demo --store etcd}: it runs inside the underlay
 * namespace and listens on the underlay bridge's address, where every host reaches it as it
 * would reach an etcd on the LAN. Its data lives in the run's temporary directory.
 */
final class EtcdServer {

    static final int CLIENT_PORT = 2379;

    private EtcdServer() {}

    /** Starts etcd and returns its client URL. */
    static String start(Sandbox sandbox, Path etcd, String ns, Ip4 address) {
        String client = "http://" + address + ":" + CLIENT_PORT;
        List<String> cmd = EtcdServerCommand.single(etcd, "demo", sandbox.dir().resolve("etcd"), client)
                .with("--log-level", "warn").args();
        sandbox.start("etcd", ns, cmd, Map.of(), sandbox.dir().resolve("etcd.log"));
        return client;
    }

    /**
     * Puts the network config with {@code bin/javaoverlay config set}, run inside a host
     * namespace (the root namespace has no route to the underlay), retrying while etcd starts.
     */
    static void putConfig(Sandbox sandbox, Path launcher, String hostNs, String endpoint, String config, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Commands.Result r = Command.run(List.of("ip", "netns", "exec", hostNs, launcher.toString(), "config", "set",
                    "--etcd-endpoints", endpoint, config), Duration.ofSeconds(60));
            if (r.ok()) {
                return;
            }
            if (System.nanoTime() > deadline || sandbox.isClosed()) {
                throw new DemoException("cannot put the network config into the demo's etcd at " + endpoint + ": " + r.describe()
                        + "; etcd's log: " + sandbox.dir().resolve("etcd.log"));
            }
            Agents.sleep(Duration.ofMillis(500));
        }
    }
}
