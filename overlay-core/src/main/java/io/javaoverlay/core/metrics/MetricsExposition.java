package io.javaoverlay.core.metrics;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;

/** The metrics in the Prometheus text format (0.0.4), what {@code GET /metrics} answers. */
public final class MetricsExposition {

    private static final PrometheusTextFormatWriter WRITER = PrometheusTextFormatWriter.create();

    private MetricsExposition() {}

    public static String contentType() {
        return WRITER.getContentType();
    }

    /** A scrape of every metric of {@code metrics}, as bytes ready to send. */
    public static byte[] scrape(OverlayMetrics metrics) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(8192);
        try {
            WRITER.write(out, metrics.registry().scrape());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot format the metrics", e); // a ByteArrayOutputStream does not fail
        }
        return out.toByteArray();
    }
}
