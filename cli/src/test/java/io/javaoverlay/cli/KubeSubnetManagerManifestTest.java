package io.javaoverlay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;

import picocli.CommandLine;

import io.javaoverlay.cli.kube.KubeManifest;
import io.javaoverlay.cli.kube.ManifestCheck;
import io.javaoverlay.core.config.NetworkConfig;
import io.javaoverlay.kube.KubeOptions;

/**
 * dist/kubernetes/javaoverlay-kube.yaml, the drop-in for kube-flannel.yml (no etcd): decoded into
 * the Kubernetes model and checked as javaoverlay.yaml is ({@link ManifestCheck}), then for what the
 * Kubernetes subnet manager needs: RBAC for what it asks of the API server, the node's name from the
 * pod, the agent's arguments as the agent parses them, the network config where it reads it.
 */
class KubeSubnetManagerManifestTest {

    private static final KubeManifest M = KubeManifest.read(KubeManifest.file("javaoverlay-kube.yaml"));
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void everyDocumentIsAKubernetesObjectWithNoUnknownFieldsAndWhatTheKubeletNeeds() {
        assertThat(M.objects()).extracting(o -> o.getKind()).containsExactly("Namespace", "ServiceAccount", "ClusterRole",
                "ClusterRoleBinding", "ConfigMap", "DaemonSet");
        assertThat(ManifestCheck.problems(M, ManifestCheck.buildImage())).isEmpty();
    }

    @Test
    void theServiceAccountMayDoWhatTheSubnetManagerAsksOfTheApiServer() {
        ServiceAccount sa = M.one(ServiceAccount.class);
        assertThat(sa.getAutomountServiceAccountToken()).as("in-cluster configuration needs the token").isNotEqualTo(Boolean.FALSE);
        assertThat(M.podSpec().getAutomountServiceAccountToken()).isNotEqualTo(Boolean.FALSE);
        assertThat(M.podSpec().getServiceAccountName()).isEqualTo(sa.getMetadata().getName());
        ClusterRoleBinding b = M.one(ClusterRoleBinding.class);
        ClusterRole role = M.one(ClusterRole.class);
        assertThat(b.getRoleRef().getName()).isEqualTo(role.getMetadata().getName());
        assertThat(b.getSubjects()).anySatisfy(s -> {
            assertThat(s.getKind()).isEqualTo("ServiceAccount");
            assertThat(s.getName()).isEqualTo(sa.getMetadata().getName());
            assertThat(s.getNamespace()).isEqualTo(sa.getMetadata().getNamespace());
        });
        Map<String, List<String>> verbs = new HashMap<>();
        for (PolicyRule r : role.getRules()) {
            assertThat(r.getApiGroups()).containsExactly("");
            r.getResources().forEach(res -> verbs.put(res, r.getVerbs()));
        }
        // list+watch: the informer; get: this node; patch: its annotations; nodes/status: its NetworkUnavailable condition;
        // pods get: the node of POD_NAMESPACE/POD_NAME when NODE_NAME is unset
        assertThat(verbs.get("nodes")).containsExactlyInAnyOrder("get", "list", "watch", "patch");
        assertThat(verbs.get("nodes/status")).containsExactly("patch");
        assertThat(verbs.get("pods")).containsExactly("get");
    }

    @Test
    void theAgentRunsTheKubernetesSubnetManagerOnItsNodeWithTheConfigMapsNetworkConfig() {
        Container agent = M.container("agent");
        List<String> args = agent.getArgs();
        assertThat(args.get(0)).isEqualTo("agent");
        AgentCommand cmd = new AgentCommand();
        new CommandLine(cmd).setDefaultValueProvider(new FlanneldEnvDefaults(Map.of())).parseArgs(args.subList(1, args.size()).toArray(String[]::new));
        assertThat(cmd.kube.enabled()).isTrue();
        assertThat(cmd.options().etcd()).isEmpty();
        assertThat(cmd.ipMasq).isTrue();
        Map<String, String> fieldRefs = new HashMap<>();
        for (EnvVar e : agent.getEnv()) {
            if (e.getValueFrom() != null && e.getValueFrom().getFieldRef() != null) {
                fieldRefs.put(e.getName(), e.getValueFrom().getFieldRef().getFieldPath());
            }
        }
        assertThat(fieldRefs).containsEntry("NODE_NAME", "spec.nodeName").containsEntry("POD_NAME", "metadata.name")
                .containsEntry("POD_NAMESPACE", "metadata.namespace");
        KubeOptions k = cmd.kube.options(cmd.store, Map.of("NODE_NAME", "n1"));
        assertThat(k.apiUrl()).as("in-cluster: the service account").isEmpty();
        assertThat(k.kubeconfig()).isEmpty();
        // the network config file is the ConfigMap's net-conf.json, mounted where the agent reads it
        String dir = k.netConfigPath().getParent().toString();
        assertThat(agent.getVolumeMounts()).anySatisfy(vm -> {
            assertThat(vm.getMountPath()).isEqualTo(dir);
            assertThat(M.podSpec().getVolumes().stream().filter(v -> v.getName().equals(vm.getName())).findFirst().orElseThrow()
                    .getConfigMap().getName()).isEqualTo(M.configMap().getMetadata().getName());
        });
        assertThat(M.configMap().getData()).containsKey(k.netConfigPath().getFileName().toString());
        // subnet.env on the node, where the CNI plugin reads it
        assertThat(M.hostPathOf(agent, cmd.subnetFile.getParent().toString())).isEqualTo("/run/flannel");
        // the launcher's class-data archive outlives the container only on the node
        String cache = agent.getEnv().stream().filter(e -> e.getName().equals("JAVAOVERLAY_AGENT_CACHE")).findFirst()
                .orElseThrow().getValue();
        assertThat(M.hostPathOf(agent, cache)).isEqualTo(cache);
    }

    @Test
    void netConfAndConflistAreKubeFlannelsWithJavaoverlaysPlugin() throws IOException {
        NetworkConfig c = NetworkConfig.parse(M.configValue("net-conf.json"));
        assertThat(c.network().toString()).isEqualTo("10.244.0.0/16");
        JsonNode conf = JSON.readTree(M.configValue("cni-conf.json"));
        assertThat(conf.path("name").asText()).as("kube-flannel's network name").isEqualTo("cbr0");
        JsonNode ours = conf.path("plugins").get(0);
        assertThat(ours.path("type").asText()).isEqualTo("javaoverlay");
        // flannel's delegate options
        assertThat(ours.path("hairpinMode").asBoolean()).isTrue();
        assertThat(ours.path("isDefaultGateway").asBoolean()).isTrue();
        assertThat(ours.path("subnetFile").asText()).isEqualTo("/run/flannel/subnet.env");
        JsonNode portmap = conf.path("plugins").get(1);
        assertThat(portmap.path("type").asText()).isEqualTo("portmap");
        assertThat(portmap.path("capabilities").path("portMappings").asBoolean()).isTrue();
        // install-cni reads it from the ConfigMap's mount
        Container init = M.container("install-cni");
        assertThat(init.getArgs().get(0)).contains("cp -f /etc/kube-flannel/cni-conf.json ");
        assertThat(init.getVolumeMounts()).anySatisfy(vm -> assertThat(vm.getMountPath()).isEqualTo("/etc/kube-flannel"));
        assertThat(Files.readString(KubeManifest.file("javaoverlay-kube.yaml"))).doesNotContain("etcd-endpoints");
    }
}
