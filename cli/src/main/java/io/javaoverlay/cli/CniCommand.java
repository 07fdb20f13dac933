package io.javaoverlay.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import io.javaoverlay.cni.server.CniSocketProtocol;
import io.javaoverlay.core.config.SubnetEnv;
import io.javaoverlay.core.host.HostDefaults;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code javaoverlay cni ...}: the CNI plugin's setup. The plugin itself runs with no arguments and CNI_COMMAND set. */
@Command(name = "cni", mixinStandardHelpOptions = true,
        description = {"Set up the CNI plugin for kubelet, containerd, CRI-O or podman.",
            "The plugin itself is this same executable run with no arguments and CNI_COMMAND set."},
        subcommands = {CniCommand.Install.class})
final class CniCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing required subcommand (install)");
    }

    @Command(name = "install", mixinStandardHelpOptions = true,
            description = {"Put the plugin (named javaoverlay) into the CNI bin directory and a conflist into the CNI",
                "config directory, then build the plugin's start-up cache by running it once."})
    static final class Install implements Callable<Integer> {

        @Option(names = "--bin-dir", defaultValue = "/opt/cni/bin", description = "CNI plugin directory (default: ${DEFAULT-VALUE})")
        Path binDir;

        @Option(names = "--conf-dir", defaultValue = "/etc/cni/net.d", description = "CNI config directory (default: ${DEFAULT-VALUE})")
        Path confDir;

        @Option(names = "--conf-name", defaultValue = "10-javaoverlay.conflist", description = "conflist file name (default: ${DEFAULT-VALUE})")
        String confName;

        @Option(names = "--network-name", defaultValue = "javaoverlay", description = "the network's name in the conflist (default: ${DEFAULT-VALUE})")
        String networkName;

        @Option(names = "--cni-version", defaultValue = "1.0.0", description = "cniVersion of the conflist (default: ${DEFAULT-VALUE})")
        String cniVersion;

        @Option(names = "--subnet-file", defaultValue = SubnetEnv.DEFAULT_FILE, description = "the agent's subnet.env (default: ${DEFAULT-VALUE})")
        Path subnetFile;

        @Option(names = "--data-dir", defaultValue = HostDefaults.IPAM_DIR, description = "IPAM state, shared with the Docker plugin (default: ${DEFAULT-VALUE})")
        Path dataDir;

        @Option(names = "--bridge", defaultValue = HostDefaults.BRIDGE, description = "host bridge (default: ${DEFAULT-VALUE})")
        String bridge;

        @Option(names = "--no-portmap", negatable = true, defaultValue = "true", description = "chain the reference portmap plugin (hostPort) after ours (default: on)")
        boolean portmap;

        @Option(names = "--cni-socket", paramLabel = "PATH",
                description = {"the agent's CNI socket (agent --cni-socket) the installed plugin hands calls to; without it the",
                    "launcher's default, /run/javaoverlay/cni.sock. '' makes the plugin always run in a JVM of its own.",
                    "JAVAOVERLAY_CNI_SOCKET in the runtime's environment still overrides it."})
        String cniSocket;

        @Option(names = "--force", description = "replace a conflist of the same name that has other content")
        boolean force;

        @Option(names = "--no-cache", description = "skip building the start-up cache now (the first CNI call builds it)")
        boolean noCache;

        @Override
        public Integer call() throws IOException, InterruptedException {
            Path home = CniCommand.home();
            List<String> done;
            try {
                done = CniInstaller.install(new CniInstaller.Options(home, binDir, confDir, confName, networkName, cniVersion,
                        subnetFile, dataDir, bridge, portmap, force, Optional.ofNullable(cniSocket)));
            } catch (IllegalStateException | IllegalArgumentException e) {
                System.err.println("javaoverlay cni install: " + e.getMessage());
                return 1;
            }
            done.forEach(System.out::println);
            if (!noCache) {
                System.out.println(warmUp(binDir.resolve("javaoverlay")));
            }
            return 0;
        }

        /** One VERSION call through the installed copy: the first CNI call builds the class-data archive. */
        private static String warmUp(Path plugin) throws IOException, InterruptedException {
            ProcessBuilder pb = new ProcessBuilder(plugin.toString()).redirectErrorStream(true);
            pb.environment().put("CNI_COMMAND", "VERSION");
            // the JVM path is what needs the cache: a running agent must not answer this one
            pb.environment().put(CniSocketProtocol.SOCKET_VARIABLE, "");
            Process p = pb.start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                return "warning: running " + plugin + " failed: " + out.strip();
            }
            return "start-up cache ready (" + plugin + " answers " + out.strip() + ")";
        }
    }

    /** The checkout: the launcher passes it; else two levels above the jar directory. */
    static Path home() {
        String prop = System.getProperty("javaoverlay.home");
        if (prop != null && !prop.isEmpty()) {
            return Path.of(prop);
        }
        try {
            Path jar = Path.of(CniCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return jar.getParent().getParent().getParent().getParent(); // cli/target/lib/x.jar -> checkout
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException("cannot tell where javaoverlay is installed; set -Djavaoverlay.home", e);
        }
    }
}
