package io.javaoverlay.kube;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * flanneld's Kubernetes subnet manager flags, and the environment it reads.
 *
 * @param apiUrl          {@code --kube-api-url}: the API server, overriding the kubeconfig's (alone: no credentials, as flannel)
 * @param kubeconfig      {@code --kubeconfig-file}; with neither, the pod's service account (in-cluster configuration)
 * @param annotations     from {@code --kube-annotation-prefix}
 * @param netConfigPath   {@code --net-config-path}: the network config file ({@value #DEFAULT_NET_CONFIG_PATH} by default)
 * @param setNodeNetworkUnavailable {@code --set-node-network-unavailable}: clear the node's NetworkUnavailable condition once ready
 * @param env             the process environment: {@code NODE_NAME}, else {@code POD_NAME} and {@code POD_NAMESPACE}
 */
public record KubeOptions(Optional<String> apiUrl, Optional<Path> kubeconfig, NodeAnnotations annotations, Path netConfigPath,
                          boolean setNodeNetworkUnavailable, Map<String, String> env) {

    /** flannel's default for {@code --net-config-path}, where kube-flannel.yml mounts its ConfigMap's net-conf.json. */
    public static final String DEFAULT_NET_CONFIG_PATH = "/etc/kube-flannel/net-conf.json";

    public KubeOptions {
        apiUrl = apiUrl == null ? Optional.empty() : apiUrl.filter(s -> !s.isBlank());
        kubeconfig = kubeconfig == null ? Optional.empty() : kubeconfig.filter(p -> !p.toString().isEmpty());
        annotations = annotations == null ? NodeAnnotations.of(null) : annotations;
        netConfigPath = netConfigPath == null ? Path.of(DEFAULT_NET_CONFIG_PATH) : netConfigPath;
        env = env == null ? Map.of() : Map.copyOf(env);
    }

    Optional<String> envValue(String name) {
        return Optional.ofNullable(env.get(name)).filter(s -> !s.isEmpty());
    }
}
