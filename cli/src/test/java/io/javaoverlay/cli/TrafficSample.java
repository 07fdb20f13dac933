package io.javaoverlay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A backend's {@code javaoverlay_backend_packets_total} and {@code _bytes_total} in one reading of
 * an agent's {@code /metrics}; {@link #minus} gives what moved between two readings.
 */
public record TrafficSample(long txPackets, long txBytes, long rxPackets, long rxBytes) {

    /** The four series of {@code backend} ({@code vxlan}, {@code host-gw}, ...) in {@code metrics}; fails when one is missing. */
    public static TrafficSample of(String metrics, String backend) {
        return new TrafficSample(sample(metrics, "packets", backend, "tx"), sample(metrics, "bytes", backend, "tx"),
                sample(metrics, "packets", backend, "rx"), sample(metrics, "bytes", backend, "rx"));
    }

    public TrafficSample minus(TrafficSample o) {
        return new TrafficSample(txPackets - o.txPackets, txBytes - o.txBytes, rxPackets - o.rxPackets, rxBytes - o.rxBytes);
    }

    private static long sample(String metrics, String what, String backend, String direction) {
        Matcher m = Pattern.compile("(?m)^javaoverlay_backend_" + what + "_total\\{backend=\"" + Pattern.quote(backend)
                + "\",direction=\"" + direction + "\"} (\\S+)$").matcher(metrics);
        assertThat(m.find()).as("javaoverlay_backend_%s_total of %s, %s in:%n%s", what, backend, direction, metrics).isTrue();
        return (long) Double.parseDouble(m.group(1));
    }
}
