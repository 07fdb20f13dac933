package io.javaoverlay.core.metrics;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.prometheus.metrics.instrumentation.jvm.JvmBufferPoolMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmClassLoadingMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmCompilationMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmGarbageCollectorMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmMemoryMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmMemoryPoolAllocationMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmRuntimeInfoMetric;
import io.prometheus.metrics.instrumentation.jvm.JvmThreadsMetrics;
import io.prometheus.metrics.instrumentation.jvm.ProcessMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import io.javaoverlay.core.threads.DaemonThreads;

/**
 * The JVM's and the process's own metrics from the Prometheus client's JVM instrumentation
 * ({@code jvm_memory_used_bytes}, {@code jvm_gc_collection_seconds}, {@code jvm_threads_*},
 * {@code process_cpu_seconds_total}, {@code process_resident_memory_bytes},
 * {@code process_open_fds}, ...), next to javaoverlay's own on the same registry.
 *
 * <p>A class of its own so that only the long-running processes (the agent, which the Docker
 * plugin runs too) load the instrumentation: the CNI plugin's JVM never touches this class.
 *
 * <p>Start-up cost, measured (docs/benchmarks.md): {@code JvmMetrics.builder().register()} takes
 * 300-500 ms of a 2-core machine, over half of it in {@code JvmNativeMemoryMetrics}, which starts
 * the platform MBean server and reports nothing unless the JVM runs with
 * {@code -XX:NativeMemoryTracking}. So the same set is registered without that one, and not on
 * the way to readiness: even on a thread of its own beside the start it made the agent ready
 * 0.3-0.5 s later on a busy 2-core machine. The agent registers them on a background thread once
 * it is ready, or a scrape that comes first registers them before it answers.
 */
public final class RuntimeMetrics {

    private static final Logger LOG = LoggerFactory.getLogger(RuntimeMetrics.class);

    private RuntimeMetrics() {}

    /** Registers them on {@code metrics}' registry now; later calls for the same {@code metrics} do nothing. */
    public static void register(OverlayMetrics metrics) {
        if (!metrics.claimRuntimeRegistration()) {
            return;
        }
        long start = System.nanoTime();
        PrometheusRegistry r = metrics.registry();
        try {
            JvmThreadsMetrics.builder().register(r);
            JvmBufferPoolMetrics.builder().register(r);
            JvmClassLoadingMetrics.builder().register(r);
            JvmCompilationMetrics.builder().register(r);
            JvmGarbageCollectorMetrics.builder().register(r);
            JvmMemoryPoolAllocationMetrics.builder().register(r);
            JvmMemoryMetrics.builder().register(r);
            JvmRuntimeInfoMetric.builder().register(r);
            ProcessMetrics.builder().register(r);
            LOG.debug("JVM and process metrics registered in {} ms", (System.nanoTime() - start) / 1_000_000);
        } catch (RuntimeException e) {
            // a JVM without some MXBean: the agent's own metrics matter more than these
            LOG.warn("the JVM and process metrics are incomplete: {}", e.toString());
        }
    }

    /** {@link #register} on a daemon thread, so the caller's start-up does not wait for it. */
    public static void registerInBackground(OverlayMetrics metrics) {
        DaemonThreads.thread("jvm-metrics", () -> register(metrics)).start();
    }
}
