package io.javaoverlay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.StreamSupport;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import picocli.CommandLine;

import io.javaoverlay.core.config.BackendType;
import io.javaoverlay.core.config.NetworkConfig;

/**
 * dist/kubernetes/javaoverlay.yaml read as the API server reads it (YAML documents into JSON
 * trees), checked for what the kubelet and the container runtime need: a DaemonSet on every node
 * in the host's network namespace with NET_ADMIN, an init container that installs the CNI
 * executable with its Java runtime and the conflist, the agent's flags and environment exactly as
 * `javaoverlay agent` parses them, and the ConfigMap's configs valid for the agent and the plugin.
 */
class KubernetesManifestsTest {

    private static final Path FILE = Path.of(System.getProperty("javaoverlay.home", "..")).resolve("dist/kubernetes/javaoverlay.yaml");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final ObjectMapper JSON = new ObjectMapper();

    private static final Map<String, JsonNode> BY_KIND = new HashMap<>();

    @BeforeAll
    static void read() throws IOException {
        try (var parser = YAML.getFactory().createParser(Files.readString(FILE))) {
            for (JsonNode doc : (Iterable<JsonNode>) () -> {
                try {
                    return YAML.readValues(parser, JsonNode.class);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }) {
                if (doc == null || doc.isMissingNode() || doc.isEmpty()) {
                    continue;
                }
                assertThat(doc.path("apiVersion").asText()).as("apiVersion of " + doc.path("kind")).isNotEmpty();
                assertThat(doc.path("metadata").path("name").asText()).as("name of " + doc.path("kind")).isNotEmpty();
                assertThat(BY_KIND.put(doc.path("kind").asText(), doc)).as("one " + doc.path("kind")).isNull();
            }
        }
    }

    private static JsonNode daemonSet() {
        return BY_KIND.get("DaemonSet");
    }

    private static JsonNode podSpec() {
        return daemonSet().path("spec").path("template").path("spec");
    }

    private static JsonNode container(String section, String name) {
        return StreamSupport.stream(podSpec().path(section).spliterator(), false)
                .filter(c -> c.path("name").asText().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + section + " named " + name));
    }

    private static String configMapValue(String key) {
        JsonNode v = BY_KIND.get("ConfigMap").path("data").path(key);
        assertThat(v.isTextual()).as("ConfigMap key " + key).isTrue();
        return v.asText();
    }

    /** Where a container's mount path comes from on the node (hostPath volumes only). */
    private static String hostPathOf(JsonNode container, String mountPath) {
        String volume = StreamSupport.stream(container.path("volumeMounts").spliterator(), false)
                .filter(m -> m.path("mountPath").asText().equals(mountPath)).findFirst()
                .orElseThrow(() -> new AssertionError(container.path("name") + " mounts nothing at " + mountPath))
                .path("name").asText();
        JsonNode v = StreamSupport.stream(podSpec().path("volumes").spliterator(), false)
                .filter(x -> x.path("name").asText().equals(volume)).findFirst()
                .orElseThrow(() -> new AssertionError("no volume " + volume));
        return v.path("hostPath").path("path").asText(null);
    }

    @Test
    void allObjectsLiveInOneNamespaceAndTheDaemonSetSelectsItsPods() {
        assertThat(BY_KIND).containsKeys("Namespace", "ServiceAccount", "ConfigMap", "DaemonSet");
        String ns = BY_KIND.get("Namespace").path("metadata").path("name").asText();
        for (String kind : List.of("ServiceAccount", "ConfigMap", "DaemonSet")) {
            assertThat(BY_KIND.get(kind).path("metadata").path("namespace").asText()).as(kind).isEqualTo(ns);
        }
        assertThat(daemonSet().path("apiVersion").asText()).isEqualTo("apps/v1");
        JsonNode selector = daemonSet().path("spec").path("selector").path("matchLabels");
        JsonNode labels = daemonSet().path("spec").path("template").path("metadata").path("labels");
        selector.fields().forEachRemaining(e -> assertThat(labels.path(e.getKey())).as("label " + e.getKey()).isEqualTo(e.getValue()));
        assertThat(podSpec().path("serviceAccountName").asText()).isEqualTo(BY_KIND.get("ServiceAccount").path("metadata").path("name").asText());
    }

    @Test
    void podRunsOnEveryNodeInTheHostNetworkWithNetAdmin() {
        assertThat(podSpec().path("hostNetwork").asBoolean()).isTrue();
        assertThat(podSpec().path("dnsPolicy").asText()).isEqualTo("ClusterFirstWithHostNet");
        // nodes are NotReady (tainted) until a network exists: the network itself must tolerate that
        assertThat(podSpec().path("tolerations").findValuesAsText("operator")).contains("Exists");
        assertThat(podSpec().path("tolerations").findValuesAsText("effect")).contains("NoSchedule", "NoExecute");
        JsonNode agent = container("containers", "agent");
        assertThat(agent.path("securityContext").path("capabilities").path("add").toString()).contains("NET_ADMIN", "NET_RAW");
        assertThat(agent.path("livenessProbe").path("httpGet").path("path").asText()).isEqualTo("/healthz");
        assertThat(agent.path("readinessProbe").path("httpGet").path("path").asText()).isEqualTo("/readyz");
    }

    @Test
    void agentArgumentsAndEnvironmentParseAsTheAgentsFlags() {
        JsonNode agent = container("containers", "agent");
        assertThat(agent.path("command").get(0).asText()).isEqualTo("/opt/javaoverlay/bin/javaoverlay");
        List<String> args = new ArrayList<>();
        agent.path("args").forEach(a -> args.add(a.asText()));
        assertThat(args.get(0)).isEqualTo("agent");
        Map<String, String> env = new HashMap<>();
        for (JsonNode e : agent.path("env")) {
            String name = e.path("name").asText();
            if (e.has("value")) {
                env.put(name, e.path("value").asText());
            } else if (e.path("valueFrom").has("configMapKeyRef")) {
                env.put(name, configMapValue(e.path("valueFrom").path("configMapKeyRef").path("key").asText()));
            } else {
                assertThat(e.path("valueFrom").path("fieldRef").path("fieldPath").asText()).isEqualTo("status.hostIP");
                env.put(name, "192.0.2.10"); // what the kubelet puts there: the node's address
            }
        }
        AgentCommand cmd = new AgentCommand();
        new CommandLine(cmd).setDefaultValueProvider(new FlanneldEnvDefaults(env)).parseArgs(args.subList(1, args.size()).toArray(String[]::new));
        assertThat(cmd.store.etcd()).hasValueSatisfying(e -> {
            assertThat(e.endpoints()).containsExactly("https://10.0.0.10:2379");
            assertThat(e.prefix()).isEqualTo("/coreos.com/network");
        });
        assertThat(cmd.ipMasq).isTrue();
        assertThat(cmd.publicIp).isEqualTo("192.0.2.10");
        assertThat(cmd.healthzPort).isEqualTo(8471);
        assertThat(agent.path("ports").get(0).path("containerPort").asInt()).isEqualTo(cmd.healthzPort);
        assertThat(daemonSet().path("spec").path("template").path("metadata").path("annotations").path("prometheus.io/port").asText())
                .isEqualTo(Integer.toString(cmd.healthzPort));
        // subnet.env must land on the node, where the runtime runs the CNI plugin
        assertThat(hostPathOf(agent, cmd.subnetFile.getParent().toString())).isEqualTo(cmd.subnetFile.getParent().toString());
        assertThat(hostPathOf(agent, cmd.dataDir.toString())).isEqualTo(cmd.dataDir.toString());
    }

    @Test
    void netConfIsAValidNetworkConfig() {
        NetworkConfig c = NetworkConfig.parse(configMapValue("net-conf.json"));
        assertThat(c.network().toString()).isEqualTo("10.244.0.0/16");
        assertThat(c.backendType()).isEqualTo(BackendType.VXLAN);
        JsonNode init = container("initContainers", "net-config");
        assertThat(init.path("args").toString()).contains("config", "set", "@/etc/kube-javaoverlay/net-conf.json");
    }

    @Test
    void conflistPointsTheKubeletsRuntimeAtOurPluginAndTheAgentsSubnetFile() throws IOException {
        JsonNode conf = JSON.readTree(configMapValue("cni-conf.json"));
        assertThat(conf.path("name").asText()).isNotEmpty();
        assertThat(conf.path("cniVersion").asText()).isIn("0.3.1", "0.4.0", "1.0.0", "1.1.0");
        JsonNode ours = conf.path("plugins").get(0);
        assertThat(ours.path("type").asText()).isEqualTo("javaoverlay");
        JsonNode agent = container("containers", "agent");
        assertThat(agent.path("args").toString()).contains("--subnet-file=" + ours.path("subnetFile").asText());
        assertThat(((ObjectNode) conf).findValuesAsText("type")).contains("portmap");
    }

    @Test
    void installCniPutsTheExecutableWithItsJavaRuntimeAndTheConflistOnTheNode() {
        JsonNode init = container("initContainers", "install-cni");
        String script = init.path("args").get(0).asText();
        assertThat(hostPathOf(init, "/host/opt/cni/bin")).isEqualTo("/opt/cni/bin");
        assertThat(hostPathOf(init, "/host/etc/cni/net.d")).isEqualTo("/etc/cni/net.d");
        assertThat(hostPathOf(init, "/host/opt")).isEqualTo("/opt");
        // the runtime executes /opt/cni/bin/<type>: a wrapper that runs the launcher on the shipped JRE
        assertThat(script).contains("/host/opt/cni/bin/javaoverlay")
                .contains("JAVA_HOME=/opt/javaoverlay/jre JAVAOVERLAY_HOME=/opt/javaoverlay exec /opt/javaoverlay/bin/javaoverlay \"$@\"")
                .contains("cp -a /opt/javaoverlay/. /host/opt/javaoverlay.new/")
                .contains("/host/etc/cni/net.d/10-javaoverlay.conflist");
        // the heredoc's terminator must stand alone at the start of a line once YAML strips the indentation
        assertThat(script.lines()).contains("WRAPPER", "#!/bin/sh");
    }
}
