package io.javaoverlay.cli.demo;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.javaoverlay.core.host.HostDefaults;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.process.Commands;

/**
 * Attaches a container (a namespace) to each host exactly as a container runtime would: it runs
 * the CNI plugin, {@code bin/javaoverlay} with no arguments, inside the host namespace, with the
 * CNI variables in its environment and the network config on stdin, and reads the address from
 * the result on stdout.
 */
final class Containers {

    static final String BRIDGE = HostDefaults.BRIDGE;
    static final String CNI_VERSION = "1.0.0";
    private static final ObjectMapper JSON = new ObjectMapper();

    private Containers() {}

    static void attach(Sandbox sandbox, Path launcher, DemoHost h) {
        h.containerNs = sandbox.createNamespace(h.name + "c1");
        Commands.Result r = Command.run(List.of("ip", "netns", "exec", h.ns, launcher.toString()),
                env("ADD", launcher, h), config(h), Duration.ofSeconds(60));
        if (!r.ok()) {
            throw new DemoException("the CNI plugin could not attach a container to " + h.name + " (exit " + r.exitCode() + "): "
                    + r.stdout().strip() + (r.stderr().isBlank() ? "" : "\n" + r.stderr().strip()));
        }
        h.containerIp = addressOf(r.stdout(), h);
    }

    /** The CNI variables a runtime sets for one container. */
    static Map<String, String> env(String command, Path launcher, DemoHost h) {
        return Map.of(
                "CNI_COMMAND", command,
                "CNI_CONTAINERID", h.containerId(),
                "CNI_NETNS", "/run/netns/" + h.containerNs,
                "CNI_IFNAME", "eth0",
                "CNI_PATH", launcher.getParent().toString());
    }

    /** The network config a runtime would read from /etc/cni/net.d, pointed at this host's files. */
    static String config(DemoHost h) {
        ObjectNode c = JSON.createObjectNode()
                .put("cniVersion", CNI_VERSION)
                .put("name", "demo")
                .put("type", "javaoverlay")
                .put("subnetFile", h.subnetFile().toString())
                .put("dataDir", h.ipamDir().toString())
                .put("bridge", BRIDGE);
        return c.toString();
    }

    private static Ip4 addressOf(String result, DemoHost h) {
        try {
            JsonNode ips = JSON.readTree(result).path("ips");
            String cidr = ips.path(0).path("address").asText("");
            return Ip4.parse(cidr.substring(0, cidr.indexOf('/')));
        } catch (java.io.IOException | RuntimeException e) {
            throw new DemoException("the CNI plugin's result for " + h.name + " has no IPv4 address: " + result.strip());
        }
    }
}
