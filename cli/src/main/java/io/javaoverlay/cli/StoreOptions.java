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

/** Where the leases and the network config live: flannel's --etcd-* flags, or the embedded store. */
final class StoreOptions {

    @Option(names = "--etcd-endpoints", paramLabel = "URLS",
            description = "comma-separated etcd endpoints, e.g. http://127.0.0.1:2379. Without it, the embedded store in "
                    + "--lease-dir is used (flanneld would default to http://127.0.0.1:2379).")
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

    @Option(names = "--lease-dir", paramLabel = "DIR", defaultValue = "/var/lib/javaoverlay/leases",
            description = "the embedded lease store's directory, used without --etcd-endpoints (default: ${DEFAULT-VALUE})")
    Path leaseDir;

    @Option(names = "--net-config-path", paramLabel = "FILE",
            description = "the network config file for the embedded store (default: <lease-dir>/net-conf.json, "
                    + "else {\"Network\": \"10.244.0.0/16\", \"Backend\": {\"Type\": \"vxlan\"}})")
    Path netConfigPath;

    Optional<EtcdOptions> etcd() {
        if (etcdEndpoints == null || etcdEndpoints.isBlank()) {
            return Optional.empty();
        }
        List<String> endpoints = Arrays.stream(etcdEndpoints.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
        return Optional.of(new EtcdOptions(endpoints, etcdPrefix, Optional.ofNullable(etcdCaFile), Optional.ofNullable(etcdCertFile),
                Optional.ofNullable(etcdKeyFile), Optional.ofNullable(etcdUsername), Optional.ofNullable(etcdPassword),
                Duration.ofSeconds(10)));
    }

    LeaseStore open() {
        Optional<EtcdOptions> e = etcd();
        if (e.isPresent()) {
            return EtcdLeaseStore.connect(e.get());
        }
        return new DiskLeaseStore(leaseDir == null ? DiskLeaseStore.DEFAULT_DIR : leaseDir, Optional.ofNullable(netConfigPath));
    }
}
