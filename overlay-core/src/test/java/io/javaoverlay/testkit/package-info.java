/**
 * The shared test kit (shipped in overlay-core's test-jar; other modules depend on
 * {@code overlay-core:test-jar}).
 *
 * <h2>Test hosts as network namespaces</h2>
 * <pre>{@code
 * @Timeout(value = 300, unit = TimeUnit.SECONDS)
 * class VxlanEndToEndIT {
 *     @RegisterExtension                       // static: one fixture for the class
 *     static final TestNetwork net = TestNetwork.withHosts(3);
 *
 *     @Test
 *     void podsTalk() {
 *         TestHost h1 = net.host(1);           // namespace jo-XXXXXX-h1, eth0 = net.underlaySubnet() .1
 *         TestProcess agent = h1.start("agent", List.of(home + "/bin/javaoverlay", "agent",
 *                 "--etcd-endpoints", "http://" + net.host(3).underlayIp() + ":2379",
 *                 "--public-ip", h1.underlayIp().toString()), Map.of());
 *         agent.awaitLog("lease acquired", Duration.ofSeconds(30));
 *         h1.createBridge("cni0", Ip4Net.parseHost("10.5.1.1/24"));
 *         TestNamespace pod = h1.addContainer("pod1", "cni0", Ip4Net.parseHost("10.5.1.2/24"), Ip4.parse("10.5.1.1"));
 *         assertThat(pod.ping("10.5.2.2", 5)).isTrue();
 *         JsonNode routes = h1.ipJson("route", "show");   // iproute2 as an independent oracle
 *     }
 * }
 * }</pre>
 * <ul>
 * <li>{@link io.javaoverlay.testkit.TestNetwork}: the extension. {@code withHosts(n)} builds an
 *     underlay bridge in its own namespace and n hosts on it; {@code namespacesOnly()} gives
 *     standalone namespaces via {@code createNamespace(suffix)}. Teardown kills tracked
 *     processes (SIGTERM, then SIGKILL, by PID with descendants), SIGKILLs anything else left
 *     inside the namespaces, deletes them, even when the test failed; on failure the process
 *     logs are printed and kept.
 * <li>{@link io.javaoverlay.testkit.TestNamespace}: {@code exec}/{@code execOk} run a command
 *     inside ({@code ip netns exec}) with a timeout; {@code start} a long-running process;
 *     {@code netnsPath()} for nsenter/CNI_NETNS; {@code open()} a {@code NetNs} for the netlink
 *     API; {@code ipJson}/{@code bridgeJson} parse iproute2's JSON; {@code ping}.
 * <li>{@link io.javaoverlay.testkit.TestHost}: a host with {@code underlayIp()} and
 *     {@code underlayInterface()}; {@code createBridge} and {@code addContainer} for a container
 *     namespace hanging off a bridge in the host.
 * <li>{@link io.javaoverlay.testkit.Requirements}: what a privileged test needs; fails in CI,
 *     skips elsewhere. {@code TestNetwork} checks root, ip and bridge itself.
 * </ul>
 */
package io.javaoverlay.testkit;
