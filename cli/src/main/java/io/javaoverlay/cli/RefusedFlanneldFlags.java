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

    /** Why each flag is refused, by long name. */
    static final Map<String, String> REASONS;

    static {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("--ip-blackhole-route", "the blackhole route for the local subnet is not implemented yet");
        m.put("--vmodule", "per-file log verbosity is a klog feature; use --log-level (or -v) instead");
        m.put("--log_backtrace_at", "stack traces at a source line are a klog feature; use --log-level=trace instead");
        REASONS = Map.copyOf(m);
    }

    @Option(names = "--ip-blackhole-route", arity = "0..1", fallbackValue = "true",
            description = "refused when true: not implemented yet")
    boolean ipBlackholeRoute;

    @Option(names = "--vmodule", paramLabel = "PATTERN", description = "refused: a klog feature; use --log-level")
    String vmodule;

    @Option(names = "--log_backtrace_at", paramLabel = "FILE:LINE", description = "refused: a klog feature")
    String logBacktraceAt;

    /** Throws for the first flag that asks for something javaoverlay cannot do. */
    void check() {
        refuseIf(ipBlackholeRoute, "--ip-blackhole-route");
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
