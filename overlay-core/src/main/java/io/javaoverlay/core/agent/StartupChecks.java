package io.javaoverlay.core.agent;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.javaoverlay.core.config.NetworkConfig;

/**
 * What flanneld checks on the host before it sets anything up, once the network config is known.
 *
 * <p>flanneld (since v0.25, main.go) refuses to start when {@code /proc/sys/net/bridge/bridge-nf-call-iptables}
 * is missing, and {@code bridge-nf-call-ip6tables} with IPv6: that file exists only while the {@code br_netfilter}
 * module is loaded, and without it traffic between containers on one bridge bypasses iptables, so kube-proxy's
 * services and network policies silently do not apply to it. Since Kubernetes 1.30 kubeadm no longer checks it,
 * so the overlay does. flanneld skips the check when it manages its rules with nftables.
 *
 * <p>Inside a network namespace or a container, {@code /proc/sys/net/bridge} shows the host's module: it is there
 * only if the module is loaded on the machine. The directory is injected so tests never load modules.
 */
public final class StartupChecks {

    private static final Logger LOG = LoggerFactory.getLogger(StartupChecks.class);
    private static final Path PROC_SYS_NET_BRIDGE = Path.of("/proc/sys/net/bridge");

    /** Which check failed; callers and tests branch on this. */
    public enum Check { BR_NETFILTER_IPV4, BR_NETFILTER_IPV6 }

    /** One failed check, with what to do about it. */
    public record Failure(Check check, Path missing, String message) {
    }

    private final Path procSysNetBridge;

    StartupChecks(Path procSysNetBridge) {
        this.procSysNetBridge = procSysNetBridge;
    }

    /** The checks against this host's {@code /proc}. */
    public static StartupChecks ofThisHost() {
        return new StartupChecks(PROC_SYS_NET_BRIDGE);
    }

    /** Runs the checks for {@code config}; logs each failure as flanneld does and says whether the agent may start. */
    public boolean passed(NetworkConfig config) {
        List<Failure> failures = check(config);
        failures.forEach(f -> LOG.error("cannot start: {}", f.message()));
        return failures.isEmpty();
    }

    /** The failed checks for {@code config}; empty when the agent may start. */
    public List<Failure> check(NetworkConfig config) {
        List<Failure> failures = new ArrayList<>();
        if (config.enableNFTables()) {
            return failures; // as flanneld: its nftables rules do not depend on bridged traffic reaching iptables
        }
        if (config.enableIPv4()) {
            bridgeNetfilter(Check.BR_NETFILTER_IPV4, "bridge-nf-call-iptables", "iptables").ifPresent(failures::add);
        }
        if (config.ipv6().isPresent()) {
            bridgeNetfilter(Check.BR_NETFILTER_IPV6, "bridge-nf-call-ip6tables", "ip6tables").ifPresent(failures::add);
        }
        return failures;
    }

    private Optional<Failure> bridgeNetfilter(Check check, String name, String tables) {
        Path file = procSysNetBridge.resolve(name);
        if (Files.exists(file)) {
            return Optional.empty();
        }
        return Optional.of(new Failure(check, file, file + " is missing: the br_netfilter kernel module is not loaded,"
                + " and without it traffic bridged between containers bypasses " + tables + " (services, network policies);"
                + " flanneld refuses to start too. Load it with `modprobe br_netfilter` and keep it across reboots with"
                + " `echo br_netfilter > /etc/modules-load.d/br_netfilter.conf` (in a container or network namespace, load it on"
                + " the host)"));
    }
}
