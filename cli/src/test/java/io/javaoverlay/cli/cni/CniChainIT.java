package io.javaoverlay.cli.cni;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.javaoverlay.cli.cni.CniHost.Run;
import io.javaoverlay.cni.testing.CniJson;
import io.javaoverlay.cni.wire.JsonTree;
import io.javaoverlay.testkit.ExecResult;
import io.javaoverlay.testkit.Requirements;
import io.javaoverlay.testkit.TestNamespace;
import io.javaoverlay.testkit.TestNetwork;

/**
 * A conflist as a runtime executes it (libcni's order: ADD forwards, each plugin given the
 * previous result; CHECK with the final result; DEL backwards): ours first, then the reference
 * {@code tuning}, {@code portmap} and {@code firewall} plugins. The mapped port is checked by
 * connecting to it from the host namespace.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class CniChainIT {

    @RegisterExtension
    static final TestNetwork net = TestNetwork.namespacesOnly();

    private static final String REFERENCE = "/usr/lib/cni";
    private static final int HOST_PORT = 18080;
    private static final int CONTAINER_PORT = 8080;

    private static List<Map<String, Object>> plugins(CniHost host) {
        return List.of(host.plugin(),
                Map.of("type", "tuning", "sysctl", Map.of("net.ipv4.conf.eth0.accept_local", "1")),
                Map.of("type", "portmap", "capabilities", Map.of("portMappings", true), "snat", true),
                Map.of("type", "firewall", "backend", "iptables"));
    }

    /** The request config for one plugin of the list, as libcni derives it. */
    private static String request(Map<String, Object> plugin, Object prevResult) {
        Map<String, Object> c = new LinkedHashMap<>(plugin);
        c.put("cniVersion", "1.0.0");
        c.put("name", "podnet");
        if ("portmap".equals(plugin.get("type"))) {
            c.remove("capabilities");
            c.put("runtimeConfig", Map.of("portMappings",
                    List.of(Map.of("hostPort", (long) HOST_PORT, "containerPort", (long) CONTAINER_PORT, "protocol", "tcp"))));
        }
        if (prevResult != null) {
            c.put("prevResult", prevResult);
        }
        return new String(JsonTree.format(c), StandardCharsets.UTF_8);
    }

    private static String program(Map<String, Object> plugin) {
        return "javaoverlay".equals(plugin.get("type")) ? CniHost.executable().toString() : REFERENCE + "/" + plugin.get("type");
    }

    @Test
    void oursChainedWithTheReferencePluginsPublishesAPortReachableFromTheHost() {
        Requirements.check().executable(REFERENCE + "/portmap", "containernetworking-plugins").orAbort();
        CniHost host = CniHost.create(net, "chain", true);
        TestNamespace pod = host.pod();
        List<Map<String, Object>> list = plugins(host);

        Object result = null;
        for (Map<String, Object> plugin : list) {
            Run r = host.run(program(plugin), CniHost.env("ADD", "chained1", pod, "eth0"), request(plugin, result));
            assertThat(r.exit()).as("ADD %s: %s", plugin.get("type"), r).isZero();
            result = CniJson.parseObject(r.stdout());
        }
        Map<String, Object> finalResult = CniJson.assertAddResult(new String(JsonTree.format(result), StandardCharsets.UTF_8), "1.0.0");
        @SuppressWarnings("unchecked")
        String podIp = ((String) ((Map<String, Object>) ((List<Object>) finalResult.get("ips")).get(0)).get("address")).split("/")[0];
        assertThat(pod.execOk("cat", "/proc/sys/net/ipv4/conf/eth0/accept_local").strip()).as("tuning applied").isEqualTo("1");

        for (Map<String, Object> plugin : list) {
            if ("portmap".equals(plugin.get("type"))) {
                // the reference portmap's own CHECK fails for IPv4-only pods: it looks for an IPv6 DNAT
                // chain it never created ("could not check ipv6 dnat"), whatever the plugin before it
                continue;
            }
            Run r = host.run(program(plugin), CniHost.env("CHECK", "chained1", pod, "eth0"), request(plugin, result));
            assertThat(r.exit()).as("CHECK %s: %s", plugin.get("type"), r).isZero();
        }

        pod.start("server", "busybox", "nc", "-ll", "-p", String.valueOf(CONTAINER_PORT), "-e", "busybox", "echo", "hello from the pod");
        Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            ExecResult viaPortmap = host.ns.exec("busybox", "nc", "-w", "2", host.gateway().toString(), String.valueOf(HOST_PORT));
            assertThat(viaPortmap.stdout()).contains("hello from the pod");
        });
        assertThat(host.ns.execOk("iptables", "-t", "nat", "-S")).contains("--to-destination " + podIp + ":" + CONTAINER_PORT);

        List<Map<String, Object>> reversed = new ArrayList<>(list);
        Collections.reverse(reversed);
        for (Map<String, Object> plugin : reversed) {
            Run r = host.run(program(plugin), CniHost.env("DEL", "chained1", pod, "eth0"), request(plugin, result));
            assertThat(r.exit()).as("DEL %s: %s", plugin.get("type"), r).isZero();
        }
        assertThat(host.ns.execOk("iptables", "-t", "nat", "-S")).doesNotContain(podIp);
        assertThat(CniHost.links(pod)).isEmpty();
        assertThat(host.reservations()).isEmpty();
    }
}
