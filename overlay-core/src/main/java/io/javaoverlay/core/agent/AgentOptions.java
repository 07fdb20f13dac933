package io.javaoverlay.core.agent;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import io.javaoverlay.core.host.HostDefaults;
import io.javaoverlay.core.config.SubnetEnv;
import io.javaoverlay.core.lease.DiskLeaseStore;
import io.javaoverlay.core.lease.EtcdOptions;
import io.javaoverlay.core.lease.SubnetManager;
import io.javaoverlay.core.net.Ip4;

/**
 * Everything the agent is told at start, mostly flanneld's flags.
 *
 * @param etcd              the etcd to use; empty runs the embedded store in {@code leaseDir}
 * @param netConfigPath     for the embedded store: the network config file ({@code --net-config-path})
 * @param renewMargin       renew this long before the lease expires ({@code --subnet-lease-renew-margin})
 * @param leaseTtl          the TTL of a new or renewed lease ({@code --subnet-lease-ttl}; flannel's is fixed at 24 h)
 * @param healthzPort       0 disables the health server, as in flannel
 * @param dataDir           backend state that survives restarts (the VTEP MAC)
 * @param configPollInterval how often to look again for a missing or invalid network config
 * @param iptablesForwardRules whether to install flannel's FORWARD accept rules for the network ({@code --iptables-forward-rules})
 * @param iptablesResync    how often the iptables rules are checked and repaired ({@code --iptables-resync})
 * @param dataPath          false for {@code --no-data-path}: no iptables rules either (the backend registry
 *                          the agent is given decides about devices and routes)
 * @param ipMasqFullyRandom false for {@code --ip-masq-fully-random-disable}: masquerade without
 *                          random port mapping ({@code --random-fully}, nftables' {@code fully-random})
 * @param publicIpv6        {@code --public-ipv6}: the {@code PublicIPv6} to publish with {@code EnableIPv6}
 *                          (RFC 5952 form; a global unicast address, see {@link PublicIpv6})
 */
public record AgentOptions(Optional<EtcdOptions> etcd, Path leaseDir, Optional<Path> netConfigPath,
                           List<String> ifaces, List<String> ifaceRegexes, Optional<Ip4> publicIp,
                           Path subnetFile, Duration renewMargin, Duration leaseTtl, boolean ipMasq,
                           String healthzIp, int healthzPort, Path dataDir, Duration configPollInterval,
                           boolean iptablesForwardRules, Duration iptablesResync, boolean dataPath, boolean ipMasqFullyRandom,
                           Optional<String> publicIpv6) {

    public static final Path DEFAULT_DATA_DIR = Path.of(HostDefaults.DATA_DIR);
    public static final Duration DEFAULT_RENEW_MARGIN = Duration.ofMinutes(60);
    /** flannel's default for {@code --iptables-resync}. */
    public static final Duration DEFAULT_IPTABLES_RESYNC = Duration.ofSeconds(5);

    public AgentOptions {
        etcd = etcd == null ? Optional.empty() : etcd;
        leaseDir = leaseDir == null ? DiskLeaseStore.DEFAULT_DIR : leaseDir;
        netConfigPath = netConfigPath == null ? Optional.empty() : netConfigPath;
        ifaces = ifaces == null ? List.of() : List.copyOf(ifaces);
        ifaceRegexes = ifaceRegexes == null ? List.of() : List.copyOf(ifaceRegexes);
        publicIp = publicIp == null ? Optional.empty() : publicIp;
        subnetFile = subnetFile == null ? SubnetEnv.DEFAULT_PATH : subnetFile;
        renewMargin = renewMargin == null ? DEFAULT_RENEW_MARGIN : renewMargin;
        leaseTtl = leaseTtl == null ? SubnetManager.DEFAULT_TTL : leaseTtl;
        healthzIp = healthzIp == null || healthzIp.isEmpty() ? "0.0.0.0" : healthzIp;
        dataDir = dataDir == null ? DEFAULT_DATA_DIR : dataDir;
        configPollInterval = configPollInterval == null ? Duration.ofSeconds(1) : configPollInterval;
        iptablesResync = iptablesResync == null ? DEFAULT_IPTABLES_RESYNC : iptablesResync;
        if (iptablesResync.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new IllegalArgumentException("--iptables-resync must be at least 1 second, got " + iptablesResync);
        }
        if (renewMargin.isNegative() || renewMargin.isZero()) {
            throw new IllegalArgumentException("--subnet-lease-renew-margin must be positive, got " + renewMargin);
        }
        if (leaseTtl.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new IllegalArgumentException("--subnet-lease-ttl must be at least 1s, got " + leaseTtl);
        }
        if (healthzPort < 0 || healthzPort > 65535) {
            throw new IllegalArgumentException("--healthz-port must be 0-65535, got " + healthzPort);
        }
        try {
            publicIpv6 = publicIpv6 == null ? Optional.empty() : publicIpv6.map(PublicIpv6::parse);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--public-ipv6: " + e.getMessage(), e);
        }
    }

    /** Options without {@code --public-ipv6}. */
    public AgentOptions(Optional<EtcdOptions> etcd, Path leaseDir, Optional<Path> netConfigPath,
                        List<String> ifaces, List<String> ifaceRegexes, Optional<Ip4> publicIp,
                        Path subnetFile, Duration renewMargin, Duration leaseTtl, boolean ipMasq,
                        String healthzIp, int healthzPort, Path dataDir, Duration configPollInterval,
                        boolean iptablesForwardRules, Duration iptablesResync, boolean dataPath, boolean ipMasqFullyRandom) {
        this(etcd, leaseDir, netConfigPath, ifaces, ifaceRegexes, publicIp, subnetFile, renewMargin, leaseTtl, ipMasq, healthzIp,
                healthzPort, dataDir, configPollInterval, iptablesForwardRules, iptablesResync, dataPath, ipMasqFullyRandom,
                Optional.empty());
    }
}
