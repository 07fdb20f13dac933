package io.javaoverlay.cli;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import picocli.CommandLine.Option;

import io.javaoverlay.core.lease.LeaseException;
import io.javaoverlay.core.metrics.OverlayMetrics;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.kube.KubeLeaseStore;
import io.javaoverlay.kube.KubeOptions;
import io.javaoverlay.kube.NodeAnnotations;

/**
 * flanneld's Kubernetes subnet manager flags ({@code --kube-subnet-mgr} and its company), with
 * flannel's names, defaults and meaning: the lease is this node's podCIDR, the peers are the
 * nodes' flannel annotations, the network config is the file {@code --net-config-path}
 * (default {@value KubeOptions#DEFAULT_NET_CONFIG_PATH}). The node is {@code NODE_NAME}, else
 * the node of the pod {@code POD_NAMESPACE}/{@code POD_NAME}.
 */
final class KubeFlags {

    private static final Logger LOG = LoggerFactory.getLogger(KubeFlags.class);

    @Option(names = "--kube-subnet-mgr", arity = "0..1", fallbackValue = "true",
            description = "lease this node's podCIDR from the Kubernetes API instead of etcd, publishing this host's backend"
                    + " data as the node's annotations (flannel's Kubernetes subnet manager; no etcd)")
    boolean kubeSubnetMgr;

    @Option(names = "--kube-api-url", paramLabel = "URL",
            description = "with --kube-subnet-mgr: the API server (overrides the kubeconfig's; alone: no credentials);"
                    + " default: the pod's service account (in-cluster)")
    String kubeApiUrl;

    @Option(names = "--kubeconfig-file", paramLabel = "FILE",
            description = "with --kube-subnet-mgr: a kubeconfig to reach the API server with (default: in-cluster)")
    Path kubeconfigFile;

    @Option(names = "--kube-annotation-prefix", paramLabel = "PREFIX", defaultValue = NodeAnnotations.DEFAULT_PREFIX,
            description = "with --kube-subnet-mgr: the prefix of the node annotations (default: ${DEFAULT-VALUE})")
    String kubeAnnotationPrefix;

    @Option(names = "--set-node-network-unavailable", arity = "0..1", fallbackValue = "true", defaultValue = "true",
            description = "with --kube-subnet-mgr: set the node's NetworkUnavailable condition to False once ready (default: ${DEFAULT-VALUE})")
    boolean setNodeNetworkUnavailable = true;

    boolean enabled() {
        return kubeSubnetMgr;
    }

    /** Refuses what is wrong or would be ignored: a malformed prefix, the Kubernetes flags without --kube-subnet-mgr. */
    void check(StoreOptions store) {
        annotations();
        if (!kubeSubnetMgr) {
            refuseIf(kubeApiUrl != null && !kubeApiUrl.isBlank(), "--kube-api-url");
            refuseIf(kubeconfigFile != null && !kubeconfigFile.toString().isEmpty(), "--kubeconfig-file");
            return;
        }
        if (store.embedded()) {
            throw new RefusedFlagException("--lease-dir", "--kube-subnet-mgr keeps the leases in the Kubernetes API: give one of them");
        }
        if (store.etcdEndpoints != null && !store.etcdEndpoints.isBlank()) {
            throw new RefusedFlagException("--etcd-endpoints", "--kube-subnet-mgr keeps the leases in the Kubernetes API, not in etcd:"
                    + " give one of them");
        }
    }

    private static void refuseIf(boolean refused, String flag) {
        if (refused) {
            throw new RefusedFlagException(flag, "it is read only with --kube-subnet-mgr");
        }
    }

    private NodeAnnotations annotations() {
        try {
            return NodeAnnotations.of(kubeAnnotationPrefix);
        } catch (IllegalArgumentException e) {
            throw new RefusedFlagException("--kube-annotation-prefix", e.getMessage());
        }
    }

    KubeOptions options(StoreOptions store, Map<String, String> env) {
        Path netConf = store.netConfigPath == null || store.netConfigPath.toString().isEmpty()
                ? Path.of(KubeOptions.DEFAULT_NET_CONFIG_PATH) : store.netConfigPath;
        return new KubeOptions(Optional.ofNullable(kubeApiUrl), Optional.ofNullable(kubeconfigFile), annotations(), netConf,
                setNodeNetworkUnavailable, env);
    }

    /** The store, not contacted yet (an API server that is down at start is waited for), reporting into {@code metrics}. */
    KubeLeaseStore open(StoreOptions store, Map<String, String> env, OverlayMetrics metrics) {
        try {
            return KubeLeaseStore.connect(options(store, env), metrics);
        } catch (IllegalArgumentException e) {
            throw new RefusedFlagException("--kube-subnet-mgr", e.getMessage());
        }
    }

    /**
     * The node's public-ip-overwrite annotation, which flannel publishes instead of the interface's
     * address (read once at start, as flannel does); empty when unset or the API server cannot be
     * reached now (then the interface's address is published).
     */
    static Optional<Ip4> publicIpOverwrite(KubeLeaseStore store) {
        return overwrite(store, "public-ip-overwrite", store::publicIpOverwrite, "address");
    }

    /**
     * The node's public-ipv6-overwrite annotation, taken as this host's {@code --public-ipv6} when
     * none is given (flannel's main does the same); empty when unset or unreadable now.
     */
    static Optional<String> publicIpv6Overwrite(KubeLeaseStore store) {
        return overwrite(store, "public-ipv6-overwrite", store::publicIpv6Overwrite, "IPv6 address");
    }

    /** Reads one overwrite annotation, logging what is published instead of the interface's {@code otherwise}. */
    private static <T> Optional<T> overwrite(KubeLeaseStore store, String annotation, Supplier<Optional<T>> read, String otherwise) {
        try {
            Optional<T> ip = read.get();
            ip.ifPresent(a -> LOG.info("node {} has the {} annotation: publishing {}", store.nodeName(), annotation, a));
            return ip;
        } catch (LeaseException e) {
            LOG.warn("cannot read the node's {} annotation ({}); publishing the interface's {}", annotation, e.getMessage(), otherwise);
            return Optional.empty();
        }
    }
}
