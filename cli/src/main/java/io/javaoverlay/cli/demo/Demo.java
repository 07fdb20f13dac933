package io.javaoverlay.cli.demo;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import io.javaoverlay.core.config.BackendType;
import io.javaoverlay.core.process.Commands;

/**
 * {@code javaoverlay demo}: a complete overlay on one machine, without any infrastructure.
 *
 * <ol>
 *   <li>an underlay namespace with a bridge, and 2-3 host namespaces on it ({@link Underlay});</li>
 *   <li>the lease store: the embedded store in a temporary directory, or a private etcd in the
 *       underlay namespace ({@link EtcdServer});</li>
 *   <li>a real agent process in each host ({@link Agents}), until each wrote subnet.env;</li>
 *   <li>a container namespace per host, attached by the real CNI plugin ({@link Containers});</li>
 *   <li>pings from every container to every other ({@link PingMatrix}) and, with iperf3, a short
 *       throughput check ({@link Throughput});</li>
 *   <li>everything removed again ({@link Sandbox}), also on Ctrl-C, unless {@code --keep} asks
 *       to leave it running until then.</li>
 * </ol>
 *
 * The root namespace's interfaces, routes and firewall are never touched: every device, route
 * and rule lives in a namespace named with the run's random prefix.
 */
public final class Demo {

    /** The overlay network of the demo; the underlay is picked clear of it. */
    static final String NETWORK = "10.244.0.0/16";

    private final DemoOptions options;
    private final Progress progress;
    private final PrintWriter out;
    private Underlay underlay;

    public Demo(DemoOptions options, PrintWriter out) {
        this.options = options;
        this.out = out;
        this.progress = new Progress(out);
    }

    /** Runs the demo; returns the exit code: 0 when every ping got through, 1 when not, 2 when it could not start. */
    public int run() {
        try {
            Preflight.check(options);
        } catch (DemoException e) {
            progress.fail(e.getMessage());
            return 2;
        }
        String prefix = "jod-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()).substring(2);
        progress.raw("javaoverlay demo: " + options.hosts() + " hosts, " + options.backend() + " backend, "
                + (options.useEtcd() ? "etcd" : "embedded") + " lease store; run " + prefix
                + " (namespaces " + prefix + "-*)");
        Sandbox sandbox = new Sandbox(prefix, progress);
        progress.note("its files (leases, subnet.env, agent logs): " + sandbox.dir() + "/");
        boolean ok = false;
        try {
            ok = run(sandbox);
            if (ok && options.keep()) {
                keepRunning(sandbox);
            }
            return ok ? 0 : 1;
        } catch (DemoException e) {
            if (!sandbox.isClosed()) {
                progress.fail(e.getMessage());
                sandbox.keepDirectory();
            }
            return 1;
        } finally {
            if (!ok) {
                sandbox.keepDirectory();
            }
            sandbox.close();
        }
    }

    private boolean run(Sandbox sandbox) {
        Path launcher = options.launcher();
        progress.step("creating the underlay and " + options.hosts() + " hosts as network namespaces");
        underlay = Underlay.create(sandbox, options.hosts());
        for (DemoHost h : underlay.hosts) {
            progress.note(h.name + ": namespace " + h.ns + ", " + DemoHost.UNDERLAY_IFACE + " " + h.publicIp + "/24");
        }

        String config = "{\"Network\": \"" + NETWORK + "\", \"SubnetLen\": 24, \"Backend\": {\"Type\": \"" + options.backend().flannelName() + "\"}}";
        List<String> storeFlags = new ArrayList<>();
        if (options.useEtcd()) {
            progress.step("starting etcd in " + underlay.ns + " on " + underlay.gateway() + ":" + EtcdServer.CLIENT_PORT
                    + " and putting the network config");
            String endpoint = EtcdServer.start(sandbox, options.etcdBinary(), underlay.ns, underlay.gateway());
            EtcdServer.putConfig(sandbox, launcher, underlay.hosts.get(0).ns, endpoint, config, options.readyTimeout());
            storeFlags.addAll(List.of("--etcd-endpoints", endpoint));
        } else {
            Path netConf = sandbox.dir().resolve("net-conf.json");
            write(netConf, config + "\n");
            storeFlags.addAll(List.of("--lease-dir", sandbox.dir().resolve("leases").toString(), "--net-config-path", netConf.toString()));
        }
        progress.note("network config: " + config);

        progress.step("starting an agent in each host: " + launcher + " agent " + String.join(" ", storeFlags) + " --iface eth0 ...");
        Agents.start(sandbox, launcher, underlay.hosts, storeFlags);
        Agents.awaitReady(sandbox, underlay.hosts, options.readyTimeout(), progress);
        for (DemoHost h : underlay.hosts) {
            progress.note(h.name + ": leased " + h.subnet + " (FLANNEL_SUBNET=" + h.subnet.firstHost() + "/" + h.subnet.prefixLength()
                    + ", FLANNEL_MTU=" + h.mtu + "), agent pid " + h.agent.process().pid());
        }

        progress.step("attaching a container to each host through the CNI plugin (" + launcher + " with CNI_COMMAND=ADD)");
        for (DemoHost h : underlay.hosts) {
            Containers.attach(sandbox, launcher, h);
            progress.note(h.name + ": container " + h.containerNs + " eth0 " + h.containerIp + " on bridge " + Containers.BRIDGE);
        }

        progress.step("pinging every container from every other container, across hosts");
        PingMatrix pings = PingMatrix.run(sandbox, underlay.hosts, Duration.ofSeconds(30), progress);
        progress.raw(pings.render());
        boolean ok = pings.succeeded() == pings.total();

        if (ok) {
            showStatus(underlay.hosts.get(0));
            throughput(sandbox, underlay.hosts);
        }
        if (ok) {
            progress.done("all " + pings.total() + " pings across hosts succeeded over the " + options.backend() + " backend");
        } else {
            progress.fail((pings.total() - pings.succeeded()) + " of " + pings.total() + " pings across hosts failed; agent logs: "
                    + sandbox.dir() + "/h*/agent.log");
        }
        return ok;
    }

    /** What an operator on host 1 sees: {@code javaoverlay status}, run inside that host. */
    private void showStatus(DemoHost h) {
        List<String> cmd = statusCommand(h);
        progress.step("what " + h.name + "'s agent reports: " + String.join(" ", cmd.subList(4, cmd.size())));
        Commands.Result r = Command.run(cmd, Duration.ofSeconds(60));
        for (String line : (r.stdout() + r.stderr()).strip().split("\n")) {
            progress.note(line);
        }
    }

    private List<String> statusCommand(DemoHost h) {
        return List.of("ip", "netns", "exec", h.ns, options.launcher().toString(), "status",
                "--healthz-port", Integer.toString(Agents.HEALTH_PORT), "--subnet-file", h.subnetFile().toString());
    }

    private void throughput(Sandbox sandbox, List<DemoHost> hosts) {
        if (options.iperfTime().isZero()) {
            return;
        }
        if (!Command.available("iperf3")) {
            progress.step("throughput: skipped, iperf3 is not installed (apt-get install iperf3)");
            return;
        }
        DemoHost a = hosts.get(0);
        DemoHost b = hosts.get(1);
        progress.step("throughput, " + options.iperfTime().toSeconds() + " s each (iperf3, TCP; both ends share this machine's CPUs)");
        Throughput.Result overlay = Throughput.measure(sandbox, "overlay " + a.name + "c1 -> " + b.name + "c1",
                a.containerNs, b.containerNs, b.containerIp, options.iperfTime());
        progress.note(overlay.render());
        Throughput.Result underlay = Throughput.measure(sandbox, "underlay " + a.name + " -> " + b.name,
                a.ns, b.ns, b.publicIp, options.iperfTime());
        progress.note(underlay.render());
        if (overlay.bitsPerSecond().isPresent() && underlay.bitsPerSecond().isPresent()) {
            progress.note(String.format("overlay / underlay: %.2f", overlay.bitsPerSecond().get() / underlay.bitsPerSecond().get()));
        }
    }

    private void keepRunning(Sandbox sandbox) {
        List<DemoHost> hosts = underlay.hosts;
        DemoHost a = hosts.get(0);
        DemoHost b = hosts.get(1);
        Path launcher = options.launcher();
        progress.raw("");
        progress.raw("Everything keeps running until you press Ctrl-C. Things to try, as root in another terminal:");
        progress.raw("  ip netns exec " + a.containerNs + " ping " + b.containerIp + "            # container to container");
        progress.raw("  " + String.join(" ", statusCommand(a)) + "   # lease, backend, peers");
        progress.raw("  ip netns exec " + a.ns + " curl -s 127.0.0.1:" + Agents.HEALTH_PORT + "/metrics   # Prometheus metrics");
        progress.raw("  ip netns exec " + a.ns + " ip -d link; ip netns exec " + a.ns + " ip route   # what the agent programmed");
        progress.raw("  cat " + a.subnetFile() + "; tail -f " + a.agentLog());
        for (DemoHost h : hosts) {
            progress.raw("  " + h.name + ": host " + h.ns + ", container " + h.containerNs + " (" + h.containerIp + ")");
        }
        List<DemoHost> reported = new ArrayList<>();
        while (!sandbox.isClosed()) {
            for (DemoHost h : hosts) {
                if (!h.agent.process().isAlive() && !reported.contains(h)) {
                    reported.add(h);
                    progress.fail("the agent on " + h.name + " exited with code " + h.agent.process().exitValue() + "; see " + h.agentLog());
                }
            }
            Agents.sleep(Duration.ofSeconds(1));
        }
    }

    private static void write(Path file, String text) {
        try {
            Files.writeString(file, text);
        } catch (java.io.IOException e) {
            throw new DemoException("cannot write " + file + ": " + e.getMessage());
        }
    }
}
