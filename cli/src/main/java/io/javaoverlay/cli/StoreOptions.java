package io.javaoverlay.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import picocli.CommandLine.Option;

import io.javaoverlay.core.lease.DiskLeaseStore;
import io.javaoverlay.core.lease.EtcdLeaseStore;
import io.javaoverlay.core.lease.EtcdOptions;
import io.javaoverlay.core.lease.LeaseStore;
import io.javaoverlay.core.metrics.OverlayMetrics;

/**
 * Where the leases and the network config live, chosen as flanneld chooses: etcd at
 * {@code --etcd-endpoints}, by default flannel's {@value #DEFAULT_ETCD_ENDPOINTS}. The embedded
 * store is chosen explicitly, by {@code --lease-dir} (or {@code FLANNELD_LEASE_DIR}); naming both
 * is refused rather than one silently winning.
 */
final class StoreOptions {

    /** flanneld's default for {@code --etcd-endpoints}. */
    static final String DEFAULT_ETCD_ENDPOINTS = "http://127.0.0.1:4001,http://127.0.0.1:2379";

    @Option(names = "--etcd-endpoints", paramLabel = "URLS",
            description = "comma-separated etcd endpoints (default, as flanneld's: " + DEFAULT_ETCD_ENDPOINTS + "; "
                    + "--lease-dir chooses the embedded store instead)")
    String etcdEndpoints;

    @Option(names = "--etcd-prefix", paramLabel = "PREFIX", defaultValue = EtcdOptions.DEFAULT_PREFIX,
            description = "etcd prefix (default: ${DEFAULT-VALUE})")
    String etcdPrefix;

    @Option(names = "--etcd-cafile", paramLabel = "FILE", description = "CA certificate (PEM) to verify etcd's certificate")
    Path etcdCaFile;

    @Option(names = "--etcd-certfile", paramLabel = "FILE", description = "client certificate (PEM) presented to etcd")
    Path etcdCertFile;

    @Option(names = "--etcd-keyfile", paramLabel = "FILE", description = "client key (PKCS#8 PEM) for --etcd-certfile")
    Path etcdKeyFile;

    @Option(names = "--etcd-username", paramLabel = "USER", description = "user name for etcd authentication")
    String etcdUsername;

    @Option(names = "--etcd-password", paramLabel = "PASSWORD", description = "password for etcd authentication")
    String etcdPassword;

    @Option(names = "--lease-dir", paramLabel = "DIR",
            description = "use the embedded lease store, kept in this directory (e.g. /var/lib/javaoverlay/leases), "
                    + "instead of etcd: for a single host or a test; hosts share leases only through etcd")
    Path leaseDir;

    @Option(names = "--net-config-path", paramLabel = "FILE",
            description = "with --kube-subnet-mgr: the network config file (default: /etc/kube-flannel/net-conf.json); "
                    + "with --lease-dir: the network config file (default: <lease-dir>/net-conf.json, "
                    + "else {\"Network\": \"10.244.0.0/16\", \"Backend\": {\"Type\": \"vxlan\"}}); "
                    + "with etcd the config is <etcd-prefix>/config")
    Path netConfigPath;

    /** The embedded store was chosen ({@code --lease-dir}). */
    boolean embedded() {
        return leaseDir != null && !leaseDir.toString().isEmpty();
    }

    /**
     * Refuses store flags that would otherwise be ignored: both stores named, or a config file
     * for etcd (flanneld reads --net-config-path only with its Kubernetes subnet manager).
     */
    void check() {
        boolean etcdNamed = etcdEndpoints != null && !etcdEndpoints.isBlank();
        if (embedded() && etcdNamed) {
            throw new RefusedFlagException("--lease-dir", "it chooses the embedded store, and --etcd-endpoints chooses etcd: "
                    + "give one of them");
        }
        if (!embedded() && netConfigPath != null) {
            throw new RefusedFlagException("--net-config-path", "it is read by the embedded store only (with --lease-dir); "
                    + "with etcd the network config is the key " + etcdPrefix + "/config (javaoverlay config set)");
        }
    }

    /** The etcd to use; empty when the embedded store was chosen. */
    Optional<EtcdOptions> etcd() {
        check();
        if (embedded()) {
            return Optional.empty();
        }
        String urls = etcdEndpoints == null || etcdEndpoints.isBlank() ? DEFAULT_ETCD_ENDPOINTS : etcdEndpoints;
        List<String> endpoints = Arrays.stream(urls.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
        return Optional.of(new EtcdOptions(endpoints, etcdPrefix, Optional.ofNullable(etcdCaFile), Optional.ofNullable(etcdCertFile),
                Optional.ofNullable(etcdKeyFile), Optional.ofNullable(etcdUsername), Optional.ofNullable(etcdPassword),
                Duration.ofSeconds(10)));
    }

    LeaseStore open() {
        Optional<EtcdOptions> e = etcd();
        if (e.isPresent()) {
            // a one-shot command serves no /metrics: what the store counts goes nowhere
            return EtcdLeaseStore.connect(e.get(), new OverlayMetrics());
        }
        return new DiskLeaseStore(leaseDir, Optional.ofNullable(netConfigPath));
    }
}
