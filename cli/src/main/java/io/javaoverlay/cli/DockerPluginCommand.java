package io.javaoverlay.cli;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import io.javaoverlay.core.host.HostDefaults;
import io.javaoverlay.core.lease.EtcdOptions;
import io.javaoverlay.core.metrics.OverlayMetrics;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.docker.DockerPlugin;
import io.javaoverlay.docker.names.DockerApi;
import io.javaoverlay.docker.names.NameSettings;

/**
 * {@code javaoverlay docker-plugin}: the agent and the Docker plugin in one process, the way a
 * managed plugin runs. Takes every agent flag (the agent writes subnet.env, the plugin reads
 * the same {@code --subnet-file}); {@code --no-agent} serves the plugin alone, next to an
 * agent (or flanneld) that runs on its own.
 */
@Command(name = "docker-plugin", defaultValueProvider = FlanneldEnvDefaults.class,
        description = {
            "Runs the agent and serves Docker's network and IPAM plugin API (driver name \"javaoverlay\") on a Unix socket:",
            "  docker network create -d javaoverlay --ipam-driver javaoverlay NAME",
            "Stops cleanly on SIGTERM: the socket is removed, the lease and the containers' networking stay."
        })
final class DockerPluginCommand implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(DockerPluginCommand.class);

    /** The agent's flags (and --help/--version), shared rather than repeated. */
    @Mixin
    AgentCommand agent;

    @Option(names = "--plugin-socket", paramLabel = "FILE", defaultValue = "/run/docker/plugins/javaoverlay.sock",
            description = "the plugin socket dockerd discovers; its name is the driver name (default: ${DEFAULT-VALUE})")
    Path socket;

    @Option(names = "--docker-data-dir", paramLabel = "DIR", defaultValue = HostDefaults.DOCKER_STATE_DIR,
            description = "the plugin's networks, endpoints and pools, kept across restarts (default: ${DEFAULT-VALUE})")
    Path dockerDataDir;

    @Option(names = "--ipam-dir", paramLabel = "DIR", defaultValue = HostDefaults.IPAM_DIR,
            description = "address reservations, shared with the CNI plugin's dataDir (default: ${DEFAULT-VALUE})")
    Path ipamDir;

    @Option(names = "--bridge", paramLabel = "NAME", defaultValue = HostDefaults.BRIDGE,
            description = "the host bridge of the containers, shared with the CNI plugin (default: ${DEFAULT-VALUE})")
    String bridge;

    @Option(names = "--no-agent", arity = "0..1", fallbackValue = "true", description = "serve the plugin only; another process keeps --subnet-file current")
    boolean noAgent;

    @Option(names = "--container-dns", arity = "0..1", fallbackValue = "true",
            description = "publish the names and aliases of this host's containers in etcd and answer DNS for every host's "
                    + "on the bridge's gateway address (UDP and TCP port 53), forwarding other names; point containers at it "
                    + "with \"dns\": [\"GATEWAY\"] in daemon.json or docker run --dns GATEWAY. Needs etcd and dockerd's API")
    boolean containerDns;

    @Option(names = "--docker-host", paramLabel = "unix:///PATH",
            description = "dockerd's API, read for container names with --container-dns (default: $DOCKER_HOST, else "
                    + DockerApi.DEFAULT_HOST + ")")
    String dockerHost;

    @Option(names = "--container-dns-upstream", paramLabel = "IP[:PORT]", split = ",",
            description = "where --container-dns forwards names it does not know (default: the nameservers of /etc/resolv.conf)")
    List<String> upstreams = new ArrayList<>();

    @Option(names = "--container-dns-port", paramLabel = "PORT", defaultValue = "53", hidden = true,
            description = "the DNS port on the gateway address (default: ${DEFAULT-VALUE})")
    int containerDnsPort;

    @Override
    public Integer call() throws Exception {
        if (!noAgent) {
            agent.options(); // a refused flag stops here, before the plugin's socket appears
        }
        Optional<NameSettings> names = nameSettings();
        DockerPlugin.Settings settings = new DockerPlugin.Settings(socket, dockerDataDir, ipamDir, agent.subnetFile, bridge);
        CountDownLatch stopped = new CountDownLatch(1);
        AtomicInteger exit = new AtomicInteger(0);
        OverlayMetrics metrics = new OverlayMetrics(); // the process's: the plugin's calls and the agent's on one /metrics
        try (DockerPlugin plugin = DockerPlugin.start(settings, names, metrics)) {
            if (noAgent) {
                Signals.onTermination(why -> {
                    LOG.info("{}: stopping the Docker plugin", why);
                    stopped.countDown();
                });
                stopped.await();
            } else {
                // The agent command owns the signals and its shutdown path (SIGTERM makes it
                // return); the plugin stops when it returns, whatever the reason.
                exit.set(agent.run(metrics));
            }
            LOG.info("Docker plugin stopped (socket {} removed)", plugin.socket());
        }
        return exit.get();
    }

    private Optional<NameSettings> nameSettings() {
        if (!containerDns) {
            return Optional.empty();
        }
        Optional<EtcdOptions> etcd = agent.options().etcd();
        if (etcd.isEmpty()) {
            throw new RefusedFlagException("--container-dns", "names across hosts live in etcd, and this plugin uses the "
                    + "embedded store (one host, where dockerd's own DNS already resolves its containers' names) or the "
                    + "Kubernetes subnet manager; run it with --etcd-endpoints, or without --container-dns");
        }
        String host = dockerHost != null ? dockerHost
                : Optional.ofNullable(System.getenv("DOCKER_HOST")).filter(s -> !s.isBlank()).orElse(DockerApi.DEFAULT_HOST);
        try {
            List<InetSocketAddress> up = new ArrayList<>();
            for (String u : upstreams) {
                int colon = u.lastIndexOf(':');
                Ip4 ip = Ip4.parse(colon < 0 ? u : u.substring(0, colon));
                int port = colon < 0 ? 53 : Integer.parseInt(u.substring(colon + 1));
                if (port < 1 || port > 65535) {
                    throw new IllegalArgumentException("--container-dns-upstream " + u + ": the port must be 1-65535");
                }
                up.add(new InetSocketAddress(ip.toInetAddress(), port));
            }
            return Optional.of(new NameSettings(etcd.get(), host, up, containerDnsPort, NameSettings.DEFAULT_PERIOD));
        } catch (IllegalArgumentException e) {
            throw new RefusedFlagException("--container-dns", e.getMessage());
        }
    }
}
