package io.javaoverlay.cli;

import java.util.LinkedHashMap;
import java.util.Map;

import picocli.CommandLine.Option;

/**
 * flanneld v0.28 flags javaoverlay accepts by name but cannot honour yet. Each is refused,
 * naming itself and why, as soon as it asks for something other than flannel's default
 * (which changes nothing, so {@code --kube-subnet-mgr=false} runs); none is ignored.
 * {@link #REASONS} is the list docs/flannel-compat.md is checked against.
 */
final class RefusedFlanneldFlags {

    private static final String KUBE = "the Kubernetes subnet manager is not implemented yet; run the agent with etcd "
            + "(--etcd-endpoints) instead";

    /** Why each flag is refused, by long name. */
    static final Map<String, String> REASONS;

    static {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("--public-ipv6", "IPv6 is not supported yet (leases and data paths are IPv4 only)");
        m.put("--ip-blackhole-route", "the blackhole route for the local subnet is not implemented yet");
        m.put("--kube-subnet-mgr", KUBE);
        m.put("--kube-api-url", KUBE);
        m.put("--kubeconfig-file", KUBE);
        m.put("--kube-annotation-prefix", KUBE);
        m.put("--set-node-network-unavailable", KUBE);
        m.put("--vmodule", "per-file log verbosity is a klog feature; use --log-level (or -v) instead");
        m.put("--log_backtrace_at", "stack traces at a source line are a klog feature; use --log-level=trace instead");
        REASONS = Map.copyOf(m);
    }

    @Option(names = "--public-ipv6", paramLabel = "IPV6", description = "refused: IPv6 is not supported yet")
    String publicIpv6;

    @Option(names = "--ip-blackhole-route", arity = "0..1", fallbackValue = "true",
            description = "refused when true: not implemented yet")
    boolean ipBlackholeRoute;

    @Option(names = "--kube-subnet-mgr", arity = "0..1", fallbackValue = "true",
            description = "refused when true: the Kubernetes subnet manager is not implemented yet")
    boolean kubeSubnetMgr;

    @Option(names = "--kube-api-url", paramLabel = "URL", description = "refused: needs the Kubernetes subnet manager")
    String kubeApiUrl;

    @Option(names = "--kubeconfig-file", paramLabel = "FILE", description = "refused: needs the Kubernetes subnet manager")
    String kubeconfigFile;

    @Option(names = "--kube-annotation-prefix", paramLabel = "PREFIX",
            description = "refused unless flannel's default flannel.alpha.coreos.com: needs the Kubernetes subnet manager")
    String kubeAnnotationPrefix;

    @Option(names = "--set-node-network-unavailable", arity = "0..1", fallbackValue = "true", defaultValue = "true",
            description = "refused when false: needs the Kubernetes subnet manager")
    boolean setNodeNetworkUnavailable = true;

    @Option(names = "--vmodule", paramLabel = "PATTERN", description = "refused: a klog feature; use --log-level")
    String vmodule;

    @Option(names = "--log_backtrace_at", paramLabel = "FILE:LINE", description = "refused: a klog feature")
    String logBacktraceAt;

    /** Throws for the first flag that asks for something javaoverlay cannot do. */
    void check() {
        refuseIf(given(publicIpv6), "--public-ipv6");
        refuseIf(ipBlackholeRoute, "--ip-blackhole-route");
        refuseIf(kubeSubnetMgr, "--kube-subnet-mgr");
        refuseIf(given(kubeApiUrl), "--kube-api-url");
        refuseIf(given(kubeconfigFile), "--kubeconfig-file");
        refuseIf(given(kubeAnnotationPrefix) && !kubeAnnotationPrefix.equals("flannel.alpha.coreos.com"), "--kube-annotation-prefix");
        refuseIf(!setNodeNetworkUnavailable, "--set-node-network-unavailable");
        refuseIf(given(vmodule), "--vmodule");
        refuseIf(given(logBacktraceAt), "--log_backtrace_at");
    }

    private static boolean given(String value) {
        return value != null && !value.isBlank();
    }

    private static void refuseIf(boolean refused, String flag) {
        if (refused) {
            throw new RefusedFlagException(flag, REASONS.get(flag));
        }
    }
}
