package io.javaoverlay.cli.demo;

import java.nio.file.Path;
import java.time.Duration;

import io.javaoverlay.core.config.BackendType;

/**
 * What {@code javaoverlay demo} was asked to do.
 *
 * @param launcher   {@code bin/javaoverlay}, run for the agents and as the CNI plugin
 * @param useEtcd    a private etcd in the underlay namespace instead of the embedded store
 * @param etcdBinary the etcd executable when {@code useEtcd}
 * @param keep       leave everything running until Ctrl-C
 * @param iperfTime  how long the throughput check sends (zero skips it)
 */
public record DemoOptions(Path launcher, int hosts, BackendType backend, boolean useEtcd, Path etcdBinary, boolean keep,
                          Duration iperfTime, Duration readyTimeout) {

    public DemoOptions {
        if (hosts < 2 || hosts > 3) {
            throw new IllegalArgumentException("--hosts must be 2 or 3, got " + hosts);
        }
        if (backend == null) {
            throw new IllegalArgumentException("a backend is required: vxlan, udp or host-gw");
        }
    }
}
