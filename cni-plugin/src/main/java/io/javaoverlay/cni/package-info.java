/**
 * The CNI plugin: {@code bin/javaoverlay} with no arguments and {@code CNI_COMMAND} set.
 *
 * <h2>Layout</h2>
 * <ul>
 *   <li>{@link io.javaoverlay.cni.CniMain} wires the real kernel and iptables into a
 *       {@link io.javaoverlay.cni.Dispatcher}, which owns the process protocol: environment,
 *       stdin, stdout, version checks, error JSON. Tests drive it in-process with their own
 *       streams and environment.</li>
 *   <li>{@link io.javaoverlay.cni.CniPlugin} holds the command functions; they take parsed
 *       values ({@link io.javaoverlay.cni.CniEnv}, {@link io.javaoverlay.cni.model.NetConf}) and
 *       return a {@link io.javaoverlay.cni.model.Result} or throw a
 *       {@link io.javaoverlay.cni.CniException} with an {@link io.javaoverlay.cni.ErrorCode}.
 *       {@link io.javaoverlay.cni.OverlayPlugin} is the implementation.</li>
 *   <li>{@code model}: domain values; {@code wire}: their JSON forms per spec version, kept apart
 *       (jackson-core's streaming API, no databind: see {@code JsonTree}).</li>
 *   <li>The kernel seam (bridge, veth, addresses, routes) is overlay-core's
 *       {@link io.javaoverlay.core.host.HostAttachment}, shared with the Docker face:
 *       {@code NetlinkHostAttachment} on the kernel, overlay-core's test {@code FakeHostAttachment}
 *       in the unit tests. The masquerade for {@code ipMasq} is the same layer's
 *       {@link io.javaoverlay.core.host.BridgeFirewall} (the bridge's forward and masquerade
 *       policy, also shared; {@code FakeBridgeFirewall} in the tests). {@code HostErrors} maps
 *       the failures of both to CNI error codes.</li>
 * </ul>
 *
 * <h2>Design notes</h2>
 * <ul>
 *   <li>ADD sets up in an order that makes rollback simple: checks first (subnet.env,
 *       namespace, interface name), then the shared bridge (never rolled back), then the
 *       address reservation and the veth, which a {@code success} flag undoes together.</li>
 *   <li>DEL needs neither subnet.env nor the namespace: the reservation is found by owner, so a
 *       node whose agent is down, or a container whose namespace is gone, still frees its
 *       address.</li>
 *   <li>When the agent runs, {@code server.CniSocketServer} serves calls in the agent's process
 *       (the launcher hands them over with socat, see docs/cni.md), running the same
 *       {@link io.javaoverlay.cni.CniMain#run} with the call's environment and stdin.</li>
 *   <li>Otherwise every ADD/DEL is a new JVM: the path avoids what costs at start-up (databind,
 *       {@code String.format}, lambdas and record-generated {@code equals} on the kernel path,
 *       logging set-up when nothing is logged). {@link io.javaoverlay.cni.StartupCache} builds
 *       the class-data archive the launcher uses (docs/benchmarks.md).</li>
 * </ul>
 */
package io.javaoverlay.cni;
