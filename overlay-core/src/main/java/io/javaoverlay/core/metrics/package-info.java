/**
 * The agent's Prometheus metrics, behind a small facade so that the rest of the code names
 * events ({@link io.javaoverlay.core.metrics.OverlayMetrics#leaseRenewed}) rather than metric
 * types, and only this package imports the Prometheus client.
 *
 * <p>The metrics live in one registry per {@link io.javaoverlay.core.metrics.OverlayMetrics}
 * instance, and a process makes one, in its entry point: {@code javaoverlay agent} and
 * {@code javaoverlay docker-plugin} (the agent, the Docker plugin and the CNI socket server in one
 * process, reporting into the same one). The lease stores, the backends, the agent and the faces'
 * servers are handed it, as the agent is handed its store and firewall; nothing here is static,
 * so a test gives each its own and reads exact values. The agent's HTTP server exposes it at
 * {@code /metrics} in the Prometheus text format
 * ({@link io.javaoverlay.core.metrics.MetricsExposition}). Every name starts with {@code javaoverlay_}.
 *
 * <p>Traffic counters of a backend are not counted per packet here: a backend registers a
 * {@link io.javaoverlay.core.metrics.BackendStats} supplier
 * ({@link io.javaoverlay.core.metrics.OverlayMetrics#registerBackend}), read only when scraped;
 * the udp backend's loops already count in their own arrays, vxlan's counters are the kernel
 * device's (one netlink request), host-gw's are two iptables rules' (one {@code iptables} run per
 * chain). {@link io.javaoverlay.core.metrics.BackendTraffic} reads each backend once per scrape.
 *
 * <p>The JVM's and the process's metrics ({@link io.javaoverlay.core.metrics.RuntimeMetrics})
 * join the same registry in the agent only, registered off its start-up path.
 *
 * <p>This package depends on nothing else in overlay-core, so every layer may report into it.
 */
package io.javaoverlay.core.metrics;
