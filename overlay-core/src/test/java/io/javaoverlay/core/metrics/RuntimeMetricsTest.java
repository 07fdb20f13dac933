package io.javaoverlay.core.metrics;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RuntimeMetricsTest {

    @Test
    void theJvmsAndTheProcesssMetricsJoinTheAgentsOnce() {
        OverlayMetrics metrics = new OverlayMetrics();
        RuntimeMetrics.register(metrics);
        RuntimeMetrics.register(metrics); // the second does nothing (registering a name twice would throw)
        String scrape = new String(MetricsExposition.scrape(metrics), UTF_8);
        assertThat(scrape).containsPattern("(?m)^jvm_memory_used_bytes\\{area=\"heap\"} [1-9]")
                .containsPattern("(?m)^jvm_threads_current [1-9]")
                .contains("jvm_gc_collection_seconds_count{")
                .containsPattern("(?m)^process_cpu_seconds_total [0-9]")
                .containsPattern("(?m)^process_resident_memory_bytes [1-9]")
                .containsPattern("(?m)^process_open_fds [1-9]")
                .contains("jvm_runtime_info{")
                // the one left out on purpose: it needs -XX:NativeMemoryTracking and costs 200 ms at start
                .doesNotContain("jvm_native_memory");
        // javaoverlay's own are still there
        assertThat(scrape).contains("javaoverlay_ready ");
    }
}
