package io.javaoverlay.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import io.javaoverlay.cni.server.CniSocketProtocol;
import io.javaoverlay.core.host.HostDefaults;
import io.javaoverlay.core.agent.Agent;
import io.javaoverlay.core.agent.AgentOptions;
import io.javaoverlay.core.agent.LocalAgentHost;
import io.javaoverlay.core.agent.PublicIpv6;
import io.javaoverlay.core.agent.DataPathBackends;
import io.javaoverlay.core.backend.BackendRegistry;
import io.javaoverlay.core.config.SubnetEnv;
import io.javaoverlay.core.metrics.OverlayMetrics;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip6Net;
import io.javaoverlay.kube.KubeLeaseStore;

/** {@code javaoverlay agent}: flanneld, with flanneld's flags and FLANNELD_* environment variables. */
@Command(name = "agent", mixinStandardHelpOptions = true, defaultValueProvider = FlanneldEnvDefaults.class,
        versionProvider = VersionProvider.class,
        description = {
            "Runs the javaoverlay agent (a drop-in for flanneld): leases this host's subnet, writes subnet.env, "
                    + "and watches the other hosts' leases. Stops cleanly on SIGTERM, keeping its lease.",
            "Every option can also be set as FLANNELD_<NAME>, e.g. FLANNELD_ETCD_ENDPOINTS=http://10.0.0.1:2379.",
            "Options take flanneld's Go syntax too (-etcd-endpoints=URL, -ip-masq, -ip-masq=1); run as `flanneld` "
                    + "(bin/flanneld) it is this command. See docs/flannel-compat.md.",
            ""
        },
        footerHeading = "%n",
        footer = {
            "Backends (Backend.Type in the network config):",
            "  vxlan    kernel VXLAN, VNI 1, UDP 8472 (the default)",
            "  udp      user-space tunnel, UDP 8285",
            "  host-gw  routes via the peers' addresses (all hosts on one L2 segment)",
            "",
            "HTTP endpoints, with --healthz-port:",
            "  /healthz  200 while the agent runs",
            "  /readyz   200 once subnet.env is written, 503 before",
            "  /peers    the peer leases (JSON)",
            "  /status   this host's lease and backend (JSON); see `javaoverlay status`",
            "  /metrics  Prometheus metrics",
            "",
            "Under systemd (Type=notify) it sends READY=1 once subnet.env is written.",
            "Exit codes: 0 after SIGTERM or SIGINT, keeping the lease for a restart; 1",
            "when it cannot start or its lease was lost, so a supervisor restarts it."
        })
final class AgentCommand implements Callable<Integer> {

    @Mixin
    StoreOptions store;

    /** --kube-subnet-mgr and its flags. */
    @Mixin
    KubeFlags kube;

    /** flanneld's flags that are refused until javaoverlay can honour them. */
    @Mixin
    RefusedFlanneldFlags refused;

    @Option(names = "--iface-can-reach", paramLabel = "IP",
            description = "use the interface whose route reaches this IPv4 or IPv6 address (as `ip route get IP`), "
                    + "when no --iface matched")
    String ifaceCanReach;

    @Option(names = "-v", paramLabel = "LEVEL",
            description = "flanneld's (klog's) verbosity: 0 keeps --log-level, 1-4 is debug, 5 and more is trace")
    int verbosity;

    @Option(names = "--iface", paramLabel = "NAME|IP",
            description = "interface (name, IPv4 or IPv6 address) for inter-host traffic; repeat to try several in order")
    List<String> ifaces = new ArrayList<>();

    @Option(names = "--iface-regex", paramLabel = "REGEX",
            description = "regular expression matched against interface addresses, then names; repeatable, tried after --iface")
    List<String> ifaceRegexes = new ArrayList<>();

    @Option(names = "--public-ip", paramLabel = "IP", description = "IPv4 address other hosts reach this one at (default: the interface's)")
    String publicIp;

    @Option(names = "--public-ipv6", paramLabel = "IPV6",
            description = "IPv6 address other hosts reach this one at, with EnableIPv6 (default: the one --iface names, "
                    + "else the interface's first global IPv6 address)")
    String publicIpv6;

    @Option(names = "--subnet-file", paramLabel = "FILE", defaultValue = SubnetEnv.DEFAULT_FILE,
            description = "where to write subnet.env (default: ${DEFAULT-VALUE})")
    Path subnetFile;

    @Option(names = "--subnet-lease-renew-margin", paramLabel = "MINUTES", defaultValue = "60", converter = DurationConverter.Minutes.class,
            description = "renew the lease this long before it expires: minutes as in flannel, or a duration like 5s (default: ${DEFAULT-VALUE})")
    Duration renewMargin;

    @Option(names = "--subnet-lease-ttl", paramLabel = "DURATION", defaultValue = "24h", converter = DurationConverter.class,
            description = "TTL of the subnet lease; flannel's is fixed at 24h (default: ${DEFAULT-VALUE})")
    Duration leaseTtl;

    @Option(names = "--ip-masq", arity = "0..1", fallbackValue = "true", description = "masquerade traffic leaving the overlay network (FLANNEL_IPMASQ in subnet.env)")
    boolean ipMasq;

    @Option(names = "--ip-masq-fully-random-disable", arity = "0..1", fallbackValue = "true",
            description = "masquerade without random port mapping (iptables --random-fully, nftables fully-random), as flannel's flag")
    boolean ipMasqFullyRandomDisable;

    @Option(names = "--iptables-forward-rules", arity = "0..1", defaultValue = "true", fallbackValue = "true",
            description = "add FORWARD rules accepting the overlay network, for hosts whose FORWARD policy is DROP (default: ${DEFAULT-VALUE})")
    boolean iptablesForwardRules;

    @Option(names = "--iptables-resync", paramLabel = "SECONDS", defaultValue = "5", converter = DurationConverter.class,
            description = "check and repair the iptables rules this often: seconds as in flannel, or a duration (default: ${DEFAULT-VALUE})")
    Duration iptablesResync;

    @Option(names = "--no-data-path", arity = "0..1", fallbackValue = "true",
            description = "control plane only: lease the subnet, write subnet.env and follow the peers, but program no device, "
                    + "route or iptables rule (for hosts whose routes another component programs, and for testing)")
    boolean noDataPath;

    @Option(names = "--healthz-ip", paramLabel = "IP", defaultValue = "0.0.0.0",
            description = "address of the HTTP server (/healthz, /readyz, /peers, /status, /metrics) (default: ${DEFAULT-VALUE})")
    String healthzIp;

    @Option(names = "--healthz-port", paramLabel = "PORT", defaultValue = "0",
            description = "port of the HTTP server; 0 disables it, as in flannel (default: ${DEFAULT-VALUE})")
    int healthzPort;

    @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = HostDefaults.DATA_DIR,
            description = "host state kept across restarts, e.g. the VXLAN VTEP MAC (default: ${DEFAULT-VALUE})")
    Path dataDir;

    @Option(names = "--cni-socket", paramLabel = "PATH", defaultValue = CniSocketProtocol.DEFAULT_SOCKET,
            description = "serve CNI calls on this Unix socket, so the CNI plugin (bin/javaoverlay) hands them to this agent "
                    + "instead of starting a JVM per call; empty to serve none (default: ${DEFAULT-VALUE})")
    String cniSocket;

    @Option(names = "--cni-socket-group", paramLabel = "GROUP",
            description = "also let members of this group (their primary group) hand CNI calls to the agent: the socket "
                    + "becomes 0660 with this group instead of root-only 0600")
    String cniSocketGroup;

    /** The settings as parsed, checked as {@link #call} checks them, without starting anything. */
    AgentOptions options() {
        refused.check();
        if (verbosity < 0) {
            throw new RefusedFlagException("-v", "the verbosity must be 0 or more, got " + verbosity);
        }
        kube.check(store);
        return new AgentOptions(kube.enabled() ? Optional.empty() : store.etcd(), store.leaseDir, Optional.ofNullable(store.netConfigPath),
                interfaces(), ifaceRegexes, Optional.ofNullable(publicIp).filter(s -> !s.isBlank()).map(Ip4::parse), subnetFile,
                renewMargin, leaseTtl, ipMasq, healthzIp, healthzPort, dataDir, Duration.ofSeconds(1),
                iptablesForwardRules, iptablesResync, !noDataPath, !ipMasqFullyRandomDisable, publicIpv6());
    }

    /** --public-ipv6, a global unicast IPv6 address (not necessarily this host's: a host behind NAT). */
    private Optional<String> publicIpv6() {
        if (publicIpv6 == null || publicIpv6.isBlank()) {
            return Optional.empty();
        }
        try {
            return Optional.of(PublicIpv6.parse(publicIpv6));
        } catch (IllegalArgumentException e) {
            throw new RefusedFlagException("--public-ipv6", e.getMessage());
        }
    }

    /**
     * --iface, then (flannel's order) the interface that reaches --iface-can-reach, an IPv4 or an IPv6
     * address (its PublicIPv6 is then the interface's first global one, as flannel's). Combined with
     * --iface-regex the order would differ from flannel's (regexes come before it there), so that
     * combination is refused.
     */
    private List<String> interfaces() {
        if (ifaceCanReach == null || ifaceCanReach.isBlank()) {
            return ifaces;
        }
        if (!ifaceRegexes.isEmpty()) {
            throw new RefusedFlagException("--iface-can-reach", "combining it with --iface-regex is not supported; use one of them");
        }
        String target = ifaceCanReach.strip();
        Optional<String> name;
        if (target.indexOf(':') >= 0) {
            try {
                target = Ip6Net.format(Ip6Net.parseAddress(target));
            } catch (IllegalArgumentException e) {
                throw new RefusedFlagException("--iface-can-reach", "\"" + ifaceCanReach + "\" is not an IPv4 or IPv6 address");
            }
            name = new RouteToAddress().interfaceFor6(target);
        } else {
            try {
                name = new RouteToAddress().interfaceFor(Ip4.parse(target));
            } catch (IllegalArgumentException e) {
                throw new RefusedFlagException("--iface-can-reach", "\"" + ifaceCanReach + "\" is not an IPv4 or IPv6 address");
            }
        }
        if (name.isEmpty()) {
            throw new RefusedFlagException("--iface-can-reach", "no route of this host reaches " + target + "; check `ip "
                    + (target.indexOf(':') >= 0 ? "-6 " : "") + "route get " + target + "`");
        }
        List<String> all = new ArrayList<>(ifaces);
        all.add(name.get());
        return all;
    }

    @Override
    public Integer call() {
        return run(new OverlayMetrics());
    }

    /**
     * Runs the agent, its store, its backend and its CNI socket reporting into {@code metrics}, which
     * its {@code /metrics} serves: this process's one, made here or by the Docker plugin's command,
     * which counts the plugin's calls on the same.
     */
    Integer run(OverlayMetrics metrics) {
        AgentOptions options = options();
        BackendRegistry registry = noDataPath ? BackendRegistry.controlPlaneOnly() : DataPathBackends.registry();
        Agent agent;
        if (kube.enabled()) {
            KubeLeaseStore nodes = kube.open(store, System.getenv(), metrics);
            if (publicIp == null || publicIp.isBlank()) {
                publicIp = KubeFlags.publicIpOverwrite(nodes).map(Ip4::toString).orElse(null);
                options = options();
            }
            if (publicIpv6 == null || publicIpv6.isBlank()) {
                Optional<String> overwrite6 = KubeFlags.publicIpv6Overwrite(nodes);
                if (overwrite6.isPresent()) {
                    try {
                        PublicIpv6.parse(overwrite6.get());
                    } catch (IllegalArgumentException e) {
                        throw new RefusedFlagException("the node's public-ipv6-overwrite annotation", e.getMessage());
                    }
                    publicIpv6 = overwrite6.get();
                    options = options();
                }
            }
            agent = new Agent(options, registry, new LocalAgentHost(options, System.getenv(), metrics, () -> nodes));
        } else {
            agent = new Agent(options, registry, metrics);
        }
        Signals.onTermination(agent::requestStop);
        try (CniSocket served = CniSocket.serve(cniSocket, cniSocketGroup, metrics)) {
            return agent.run();
        }
    }
}
