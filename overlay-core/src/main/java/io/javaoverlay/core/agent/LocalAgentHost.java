package io.javaoverlay.core.agent;

import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.javaoverlay.core.backend.ExternalInterface;
import io.javaoverlay.core.backend.HostView;
import io.javaoverlay.core.config.NetworkConfig;
import io.javaoverlay.core.firewall.Iptables;
import io.javaoverlay.core.firewall.OverlayFirewall;
import io.javaoverlay.core.firewall.TrafficManager;
import io.javaoverlay.core.firewall.TrafficManagers;
import io.javaoverlay.core.lease.DiskLeaseStore;
import io.javaoverlay.core.lease.EtcdLeaseStore;
import io.javaoverlay.core.lease.LeaseStore;
import io.javaoverlay.core.metrics.OverlayMetrics;
import io.javaoverlay.core.netlink.KernelChanges;
import io.javaoverlay.core.netlink.NetlinkException;
import io.javaoverlay.core.netlink.NetlinkSocket;

/**
 * The machine this process runs on, as {@link AgentOptions} describe it: etcd or the embedded
 * store, the kernel's interfaces and routes through netlink, iptables or nftables. With
 * {@code --no-data-path} it reads nothing of the kernel and installs no rules.
 */
public final class LocalAgentHost implements AgentHost {

    private static final Logger LOG = LoggerFactory.getLogger(LocalAgentHost.class);

    private final AgentOptions options;
    private final Map<String, String> environment;
    private final OverlayMetrics metrics;
    /** Opens a store the options do not describe (the Kubernetes subnet manager's); null: etcd or the embedded store. */
    private final Supplier<LeaseStore> storeOpener;
    private NetlinkSocket netlink;

    /** This machine, reporting into the process's {@code metrics}. */
    public LocalAgentHost(AgentOptions options, Map<String, String> environment, OverlayMetrics metrics) {
        this(options, environment, metrics, null);
    }

    /**
     * This machine with its lease store opened by {@code storeOpener} (the Kubernetes subnet
     * manager, opened with the same {@code metrics}).
     */
    public LocalAgentHost(AgentOptions options, Map<String, String> environment, OverlayMetrics metrics,
            Supplier<LeaseStore> storeOpener) {
        if (metrics == null) {
            throw new IllegalArgumentException("the agent needs the process's metrics");
        }
        this.options = options;
        this.environment = Map.copyOf(environment);
        this.metrics = metrics;
        this.storeOpener = storeOpener;
    }

    @Override
    public Map<String, String> environment() {
        return environment;
    }

    @Override
    public OverlayMetrics metrics() {
        return metrics;
    }

    @Override
    public LeaseStore openStore() {
        if (storeOpener != null) {
            return storeOpener.get();
        }
        if (options.etcd().isPresent()) {
            return EtcdLeaseStore.connect(options.etcd().get(), metrics);
        }
        return new DiskLeaseStore(options.leaseDir(), options.netConfigPath());
    }

    @Override
    public ExternalInterface externalInterface() {
        return new ExternalInterfaces().select(options.ifaces(), options.ifaceRegexes(), options.publicIp(), options.publicIpv6());
    }

    @Override
    public ExternalInterface externalInterface(NetworkConfig config) {
        if (!config.enableIPv4()) {
            return new ExternalInterfaces().selectIpv6Only(options.ifaces(), options.ifaceRegexes(), options.publicIp(), options.publicIpv6());
        }
        return new ExternalInterfaces().select(options.ifaces(), options.ifaceRegexes(), options.publicIp(), options.publicIpv6(),
                config.ipv6().isPresent());
    }

    @Override
    public boolean startupChecksPass(NetworkConfig config) {
        return !options.dataPath() || StartupChecks.ofThisHost().passed(config);
    }

    @Override
    public TrafficManager trafficManager(NetworkConfig config) {
        // EnableNFTables picks nftables over iptables; the other tool's rules are removed, as flanneld does
        return options.dataPath()
                ? TrafficManagers.local().start(config.enableNFTables(), options.ipMasq(), options.iptablesForwardRules(),
                        options.ipMasqFullyRandom())
                : new OverlayFirewall(Iptables.local(), false, false);
    }

    @Override
    public HostView hostView() {
        if (!options.dataPath()) {
            return HostView.none();
        }
        if (netlink == null) {
            netlink = NetlinkSocket.open();
        }
        return HostView.read(netlink);
    }

    @Override
    public Optional<AutoCloseable> watchKernel(KernelChanges.Interest interest, Runnable onChange) {
        if (!options.dataPath()) {
            return Optional.empty();
        }
        try {
            return Optional.of(KernelChanges.start(interest, onChange));
        } catch (NetlinkException e) {
            LOG.warn("cannot watch the kernel's changes ({}); checking the data path every {} s instead", e.getMessage(),
                    Agent.BACKEND_RECHECK.toSeconds());
            return Optional.empty();
        }
    }

    @Override
    public void close() {
        if (netlink != null) {
            netlink.close();
        }
    }
}
