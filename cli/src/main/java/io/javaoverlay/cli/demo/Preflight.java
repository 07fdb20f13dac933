package io.javaoverlay.cli.demo;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.javaoverlay.core.config.BackendType;
import io.javaoverlay.core.process.Commands;

/** What the demo needs before it creates anything, each with the way to get it. */
final class Preflight {

    private Preflight() {}

    static void check(DemoOptions o) {
        List<String> missing = new ArrayList<>();
        Commands.Result id = Command.run(List.of("id", "-u"), Duration.ofSeconds(10));
        if (!id.ok() || !id.stdout().strip().equals("0")) {
            missing.add("root: the demo creates network namespaces (run it as root, e.g. with sudo)");
        }
        require(missing, "ip", "iproute2");
        require(missing, "ping", "iputils-ping");
        require(missing, "iptables", "iptables");
        if (!Files.isExecutable(o.launcher())) {
            missing.add(o.launcher() + ": the launcher, needed to start the agents and the CNI plugin (build first: mvn -B -q -DskipTests package)");
        }
        if (o.backend() == BackendType.UDP && !Files.exists(Path.of("/dev/net/tun"))) {
            missing.add("/dev/net/tun: the udp backend needs TUN devices (modprobe tun)");
        }
        if (o.useEtcd() && (o.etcdBinary() == null || !Files.isExecutable(o.etcdBinary()))) {
            missing.add("etcd: --store etcd runs a private etcd (apt-get install etcd-server), or leave --store at embedded");
        }
        if (!missing.isEmpty()) {
            throw new DemoException("cannot run the demo; missing:\n  - " + String.join("\n  - ", missing)
                    + "\nscripts/install-deps installs everything (Debian/Ubuntu, as root).");
        }
    }

    private static void require(List<String> missing, String command, String pkg) {
        if (!Command.available(command)) {
            missing.add(command + " (apt-get install " + pkg + ")");
        }
    }
}
