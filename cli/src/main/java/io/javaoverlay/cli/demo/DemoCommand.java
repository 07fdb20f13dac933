package io.javaoverlay.cli.demo;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import io.javaoverlay.core.config.BackendType;

/** {@code javaoverlay demo}: see {@link Demo}. */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Shows javaoverlay working on this machine alone, without etcd, Docker or Kubernetes.",
            "",
            "Builds 2 or 3 hosts as network namespaces on a private underlay bridge, runs a real agent in each "
                    + "(bin/javaoverlay agent, on an embedded lease store in a temporary directory), attaches a container "
                    + "namespace to each host through the CNI plugin, prints each host's subnet, a ping matrix across "
                    + "hosts and, when iperf3 is installed, a short throughput check. Then it removes everything it "
                    + "created, also on Ctrl-C. The root network namespace is never changed. Needs root.",
            ""
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:every ping across hosts got through", "1:some failed (the agents' logs are kept and named)",
            "2:something the demo needs is missing (it says what)"})
public final class DemoCommand implements Callable<Integer> {

    @Option(names = "--backend", paramLabel = "TYPE", defaultValue = "vxlan", converter = BackendTypeConverter.class,
            completionCandidates = DemoBackends.class,
            description = "the data path: vxlan (kernel VXLAN), udp (user-space tunnel) or host-gw (routes via the peers) "
                    + "(default: ${DEFAULT-VALUE})")
    BackendType backend;

    @Option(names = "--hosts", paramLabel = "N", defaultValue = "3", description = "how many hosts, 2 or 3 (default: ${DEFAULT-VALUE})")
    int hosts;

    @Option(names = "--store", paramLabel = "embedded|etcd", defaultValue = "embedded",
            description = "where the leases live: the embedded store in a temporary directory, or a private etcd started "
                    + "in the underlay namespace (needs etcd installed) (default: ${DEFAULT-VALUE})")
    String store;

    @Option(names = "--etcd-binary", paramLabel = "FILE", defaultValue = "/usr/bin/etcd",
            description = "the etcd executable for --store etcd (default: ${DEFAULT-VALUE})")
    Path etcdBinary;

    @Option(names = "--keep", description = "leave everything running until Ctrl-C, and print commands to look around")
    boolean keep;

    @Option(names = "--iperf-seconds", paramLabel = "N", defaultValue = "2",
            description = "length of each throughput run; 0 skips the throughput check (default: ${DEFAULT-VALUE})")
    int iperfSeconds;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "60",
            description = "how long to wait for the agents to become ready (default: ${DEFAULT-VALUE})")
    int timeoutSeconds;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        if (!store.equals("embedded") && !store.equals("etcd")) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--store must be embedded or etcd, got " + store);
        }
        if (iperfSeconds < 0 || timeoutSeconds < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--iperf-seconds must be 0 or more and --timeout at least 1");
        }
        DemoOptions options;
        try {
            options = new DemoOptions(launcher(), hosts, backend, store.equals("etcd"), etcdBinary, keep,
                    Duration.ofSeconds(iperfSeconds), Duration.ofSeconds(timeoutSeconds));
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        PrintWriter out = spec.commandLine().getOut();
        return new Demo(options, out).run();
    }

    /** bin/javaoverlay of this checkout: the launcher passes its home as a system property. */
    private Path launcher() {
        String home = System.getProperty("javaoverlay.home");
        if (home == null || home.isBlank()) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "the demo must be started through bin/javaoverlay (it runs that launcher for the agents and the CNI plugin)");
        }
        return Path.of(home, "bin", "javaoverlay").toAbsolutePath().normalize();
    }

    /** Parses flannel's backend names (vxlan, udp, host-gw) for picocli; wireguard is not a demo backend. */
    static final class BackendTypeConverter implements CommandLine.ITypeConverter<BackendType> {
        @Override
        public BackendType convert(String value) {
            BackendType t;
            try {
                t = BackendType.parse(value);
            } catch (RuntimeException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
            if (t == BackendType.WIREGUARD) {
                // wireguard-go hosts on one machine need a /run/wireguard each (docs/wireguard.md), which the demo does not set up
                throw new CommandLine.TypeConversionException("the demo runs vxlan, udp or host-gw; for the wireguard backend see "
                        + "docs/wireguard.md (its hosts on one machine need a /run/wireguard each)");
            }
            return t;
        }
    }

    /** The backends the demo runs, for shell completion. */
    static final class DemoBackends implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return java.util.Arrays.stream(BackendType.values()).filter(t -> t != BackendType.WIREGUARD).map(BackendType::flannelName)
                    .iterator();
        }
    }
}
