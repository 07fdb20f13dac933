package io.javaoverlay.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import picocli.CommandLine;

import io.javaoverlay.cli.kube.KubeManifest;
import io.javaoverlay.cli.kube.ManifestCheck;
import io.javaoverlay.core.config.BackendType;
import io.javaoverlay.core.config.NetworkConfig;

/**
 * dist/kubernetes/javaoverlay.yaml decoded into the Kubernetes API's model (fabric8) and checked
 * for unknown fields and what the kubelet needs ({@link ManifestCheck}), then for what
 * javaoverlay needs: the agent's flags and environment exactly as {@code javaoverlay agent}
 * parses them, every path it and the CNI wrapper use shared with the node, the ConfigMap's
 * configs valid. DaemonSetIT runs the same manifest on namespace nodes.
 */
class KubernetesManifestsTest {

    private static final KubeManifest M = KubeManifest.read(KubeManifest.file());
    private static final ObjectMapper JSON = new ObjectMapper();

    private static PodSpec pod() {
        return M.podSpec();
    }

    @Test
    void everyDocumentIsAKubernetesObjectWithNoUnknownFieldsAndWhatTheKubeletNeeds() {
        assertThat(M.objects()).hasSize(4);
        assertThat(ManifestCheck.problems(M, ManifestCheck.buildImage())).isEmpty();
    }

    @Test
    void aMisspelledFieldIsReportedWithItsPath() throws IOException {
        String yaml = Files.readString(KubeManifest.file());
        assertThat(yaml).contains("      hostNetwork: true\n", "              mountPath: /run/flannel\n");
        String broken = yaml.replace("      hostNetwork: true\n", "      hostNetwrok: true\n")
                .replace("              mountPath: /run/flannel\n", "              mountpath: /run/flannel\n");

        List<String> problems = ManifestCheck.problems(KubeManifest.parse(broken), ManifestCheck.buildImage());

        assertThat(problems).anySatisfy(p -> assertThat(p)
                .startsWith("DaemonSet javaoverlay.spec.template.spec: unknown field hostNetwrok"));
        assertThat(problems).anySatisfy(p -> assertThat(p).contains("hostNetwork must be true"));
        assertThat(problems).anySatisfy(p -> assertThat(p)
                .matches("DaemonSet javaoverlay\\.spec\\.template\\.spec\\.containers\\[0]\\.volumeMounts\\[\\d+]: unknown field mountpath .*"));
    }

    @Test
    void otherImagesUndeclaredProbePortsAndMissingVolumesAreReported() throws IOException {
        String yaml = Files.readString(KubeManifest.file());
        String image = ManifestCheck.buildImage();
        assertThat(yaml).contains("image: " + image + "\n", "              port: 8471\n", "            - name: run\n");
        String broken = yaml.replaceFirst("image: " + image.replace(".", "\\.") + "\n", "image: javaoverlay:9.9.9\n")
                .replace("            path: /readyz\n              port: 8471\n", "            path: /readyz\n              port: 8472\n")
                .replace("            - name: run\n", "            - name: rnu\n");

        List<String> problems = ManifestCheck.problems(KubeManifest.parse(broken), image);

        assertThat(problems).anySatisfy(p -> assertThat(p).contains("container install-cni: image javaoverlay:9.9.9 is not the one the build makes"));
        assertThat(problems).anySatisfy(p -> assertThat(p).contains("container agent: readinessProbe asks port 8472"));
        assertThat(problems).anySatisfy(p -> assertThat(p).contains("container agent: mounts volume rnu, which the pod does not have"));
    }

    @Test
    void anUnexpectedKindIsRefused() {
        assertThatThrownBy(() -> KubeManifest.parse("apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n"))
                .hasMessageContaining("v1/Pod");
    }

    @Test
    void imageIsTheProjectVersionWithoutSnapshot() {
        assertThat(ManifestCheck.imageFor("0.1.0-SNAPSHOT")).isEqualTo("javaoverlay:0.1.0");
        assertThat(ManifestCheck.imageFor("1.2.3")).isEqualTo("javaoverlay:1.2.3");
    }

    @Test
    void allObjectsLiveInOneNamespaceAndTheDaemonSetSelectsItsPods() {
        String ns = M.one(Namespace.class).getMetadata().getName();
        assertThat(M.one(ServiceAccount.class).getMetadata().getNamespace()).isEqualTo(ns);
        assertThat(M.one(ConfigMap.class).getMetadata().getNamespace()).isEqualTo(ns);
        DaemonSet ds = M.daemonSet();
        assertThat(ds.getMetadata().getNamespace()).isEqualTo(ns);
        assertThat(ds.getSpec().getTemplate().getMetadata().getLabels()).containsAllEntriesOf(ds.getSpec().getSelector().getMatchLabels());
        assertThat(pod().getServiceAccountName()).isEqualTo(M.one(ServiceAccount.class).getMetadata().getName());
    }

    @Test
    void podRunsOnEveryNodeInTheHostNetwork() {
        assertThat(pod().getDnsPolicy()).isEqualTo("ClusterFirstWithHostNet");
        // nodes are NotReady (tainted) until a network exists: the network itself must tolerate that
        assertThat(pod().getTolerations()).extracting(t -> t.getOperator() + "/" + t.getEffect())
                .contains("Exists/NoSchedule", "Exists/NoExecute");
        Container agent = M.container("agent");
        // NET_ADMIN: devices, routes, iptables; SYS_ADMIN: setns into pods' namespaces for the CNI calls it serves
        assertThat(agent.getSecurityContext().getCapabilities().getAdd()).contains("NET_ADMIN", "NET_RAW", "SYS_ADMIN");
        // the CNI socket reads its callers' /proc/PID: their PIDs exist only in the node's PID namespace
        assertThat(pod().getHostPID()).isTrue();
        assertThat(agent.getSecurityContext().getCapabilities().getAdd()).contains("SYS_PTRACE");
        assertThat(agent.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/healthz");
        assertThat(agent.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/readyz");
    }

    @Test
    void etcdTlsFilesComeFromTheConfigMapAndEmptyValuesThereMeanPlainEtcd() {
        // config set (net-config) takes the same etcd flags as the agent (StoreOptions), so the
        // agent's parser reads both containers' environment
        for (Container c : List.of(M.container("net-config"), M.container("agent"))) {
            // as written: the client certificate from the Secret's mount
            String tlsMount = c.getVolumeMounts().stream().filter(v -> v.getName().equals("etcd-tls"))
                    .findFirst().orElseThrow().getMountPath();
            AgentCommand tls = parseAgent(env(c, "192.0.2.10", Map.of()));
            assertThat(tls.store.etcd()).as(c.getName()).hasValueSatisfying(e -> {
                assertThat(e.usesTls()).isTrue();
                assertThat(e.caFile()).contains(java.nio.file.Path.of(tlsMount, "ca.crt"));
                assertThat(e.certFile()).contains(java.nio.file.Path.of(tlsMount, "tls.crt"));
                assertThat(e.keyFile()).contains(java.nio.file.Path.of(tlsMount, "tls.key"));
            });
            // what the header tells users of an etcd without TLS to put into the ConfigMap
            AgentCommand plain = parseAgent(env(c, "192.0.2.10", Map.of("etcd-endpoints", "http://10.0.0.10:2379",
                    "etcd-cafile", "", "etcd-certfile", "", "etcd-keyfile", "")));
            assertThat(plain.store.etcd()).as(c.getName()).hasValueSatisfying(e -> {
                assertThat(e.usesTls()).isFalse();
                assertThat(e.caFile()).isEmpty();
                assertThat(e.certFile()).isEmpty();
                assertThat(e.keyFile()).isEmpty();
            });
        }
    }

    /** {@code javaoverlay agent ARGS} as the agent parses them, with {@code env} as its FLANNELD_* environment. */
    private static AgentCommand parseAgent(Map<String, String> env, String... args) {
        AgentCommand cmd = new AgentCommand();
        new CommandLine(cmd).setDefaultValueProvider(new FlanneldEnvDefaults(env)).parseArgs(args);
        return cmd;
    }

    private static Map<String, String> env(Container c, String hostIp) {
        return env(c, hostIp, Map.of());
    }

    /** {@code c}'s environment as the kubelet makes it, with {@code configOverrides} in place of those ConfigMap keys. */
    private static Map<String, String> env(Container c, String hostIp, Map<String, String> configOverrides) {
        Map<String, String> env = new HashMap<>();
        for (EnvVar e : c.getEnv()) {
            if (e.getValue() != null) {
                env.put(e.getName(), e.getValue());
            } else if (e.getValueFrom().getConfigMapKeyRef() != null) {
                String key = e.getValueFrom().getConfigMapKeyRef().getKey();
                env.put(e.getName(), configOverrides.containsKey(key) ? configOverrides.get(key) : M.configValue(key));
            } else {
                assertThat(e.getValueFrom().getFieldRef().getFieldPath()).isEqualTo("status.hostIP");
                env.put(e.getName(), hostIp); // what the kubelet puts there: the node's address
            }
        }
        return env;
    }

    @Test
    void agentArgumentsAndEnvironmentParseAsTheAgentsFlagsAndItsPathsAreTheNodes() {
        Container agent = M.container("agent");
        assertThat(agent.getCommand()).containsExactly("/opt/javaoverlay/bin/javaoverlay");
        List<String> args = agent.getArgs();
        assertThat(args.get(0)).isEqualTo("agent");
        AgentCommand cmd = parseAgent(env(agent, "192.0.2.10"), args.subList(1, args.size()).toArray(String[]::new));
        assertThat(cmd.store.etcd()).hasValueSatisfying(e -> {
            assertThat(e.endpoints()).containsExactly("https://10.0.0.10:2379");
            assertThat(e.prefix()).isEqualTo("/coreos.com/network");
        });
        assertThat(cmd.ipMasq).isTrue();
        assertThat(cmd.publicIp).isEqualTo("192.0.2.10");
        assertThat(cmd.healthzPort).isEqualTo(8471);
        assertThat(agent.getPorts().get(0).getContainerPort()).isEqualTo(cmd.healthzPort);
        assertThat(M.daemonSet().getSpec().getTemplate().getMetadata().getAnnotations().get("prometheus.io/port"))
                .isEqualTo(Integer.toString(cmd.healthzPort));
        // subnet.env, the VtepMAC state and the CNI socket must be the node's: the CNI plugin runs there
        // and reads subnet.env, and the launcher there hands calls to the socket
        String subnetDir = cmd.subnetFile.getParent().toString();
        assertThat(M.hostPathOf(agent, subnetDir)).isEqualTo(subnetDir);
        assertThat(M.hostPathOf(agent, cmd.dataDir.toString())).isEqualTo(cmd.dataDir.toString());
        String socketDir = java.nio.file.Path.of(cmd.cniSocket).getParent().toString();
        assertThat(socketDir).isEqualTo("/run/javaoverlay");
        assertThat(M.hostPathOf(agent, socketDir)).isEqualTo(socketDir);
        // a served ADD opens the pod's namespace by the runtime's path (/var/run/netns/... = /run/netns/...),
        // made after the agent started: the mount must follow the node's mounts
        assertThat(M.hostPathOf(agent, "/run/netns")).isEqualTo("/run/netns");
        VolumeMount netns = agent.getVolumeMounts().stream().filter(v -> v.getMountPath().equals("/run/netns")).findFirst().orElseThrow();
        assertThat(netns.getMountPropagation()).isEqualTo("HostToContainer");
        assertThat(M.hostPathOf(agent, "/run/xtables.lock")).isEqualTo("/run/xtables.lock");
        // the launcher's class-data archive outlives the container only on the node
        String cache = env(agent, "192.0.2.10").get("JAVAOVERLAY_AGENT_CACHE");
        assertThat(cache).isNotBlank();
        assertThat(M.hostPathOf(agent, cache)).isEqualTo(cache);
    }

    @Test
    void netConfIsAValidNetworkConfig() {
        NetworkConfig c = NetworkConfig.parse(M.configValue("net-conf.json"));
        assertThat(c.network().toString()).isEqualTo("10.244.0.0/16");
        assertThat(c.backendType()).isEqualTo(BackendType.VXLAN);
        Container init = M.container("net-config");
        assertThat(init.getArgs()).containsExactly("config", "set", "@/etc/kube-javaoverlay/net-conf.json");
        assertThat(init.getVolumeMounts()).extracting(VolumeMount::getMountPath).contains("/etc/kube-javaoverlay");
    }

    @Test
    void conflistPointsTheKubeletsRuntimeAtOurPluginAndTheAgentsFiles() throws IOException {
        JsonNode conf = JSON.readTree(M.configValue("cni-conf.json"));
        assertThat(conf.path("name").asText()).isNotEmpty();
        assertThat(conf.path("cniVersion").asText()).isIn("0.3.1", "0.4.0", "1.0.0", "1.1.0");
        JsonNode ours = conf.path("plugins").get(0);
        assertThat(ours.path("type").asText()).isEqualTo("javaoverlay");
        Container agent = M.container("agent");
        assertThat(agent.getArgs()).contains("--subnet-file=" + ours.path("subnetFile").asText());
        // IPAM state is shared by the agent (calls it serves) and the plugin's own JVM (calls it does not)
        assertThat(ours.path("dataDir").asText()).startsWith(M.hostPathOf(agent, "/var/lib/javaoverlay") + "/");
        assertThat(((ObjectNode) conf).findValuesAsText("type")).contains("portmap");
    }

    @Test
    void installCniPutsTheExecutableWithItsJavaRuntimeAndTheConflistOnTheNode() {
        Container init = M.container("install-cni");
        String script = init.getArgs().get(0);
        assertThat(M.hostPathOf(init, "/host/opt/cni/bin")).isEqualTo("/opt/cni/bin");
        assertThat(M.hostPathOf(init, "/host/etc/cni/net.d")).isEqualTo("/etc/cni/net.d");
        assertThat(M.hostPathOf(init, "/host/opt")).isEqualTo("/opt");
        // the runtime executes /opt/cni/bin/<type>: a wrapper that runs the launcher on the shipped JRE
        assertThat(script).contains("/host/opt/cni/bin/javaoverlay")
                .contains("JAVA_HOME=/opt/javaoverlay/jre JAVAOVERLAY_HOME=/opt/javaoverlay exec /opt/javaoverlay/bin/javaoverlay \"$@\"")
                .contains("cp -a /opt/javaoverlay/. /host/opt/javaoverlay.new/")
                .contains("/host/etc/cni/net.d/10-javaoverlay.conflist");
        // the heredoc's terminator must stand alone at the start of a line once YAML strips the indentation
        assertThat(script.lines()).contains("WRAPPER", "#!/bin/sh");
        List<String> initNames = new ArrayList<>();
        pod().getInitContainers().forEach(c -> initNames.add(c.getName()));
        assertThat(initNames).containsExactly("install-cni", "net-config");
    }
}
