package io.javaoverlay.cli.kube;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;

/**
 * dist/kubernetes/javaoverlay.yaml read into the Kubernetes API's own model (fabric8's
 * {@code kubernetes-model}): each YAML document becomes the class its {@code apiVersion} and
 * {@code kind} name, as the API server would decode it. Fields the model does not know land in
 * the objects' {@code additionalProperties}; {@link ManifestCheck} reports them.
 */
public record KubeManifest(List<HasMetadata> objects) {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    /** The kinds the manifest may hold, by {@code apiVersion/kind}. */
    private static final Map<String, Class<? extends HasMetadata>> KINDS = Map.of(
            "v1/Namespace", Namespace.class,
            "v1/ServiceAccount", ServiceAccount.class,
            "v1/ConfigMap", ConfigMap.class,
            "apps/v1/DaemonSet", DaemonSet.class,
            "rbac.authorization.k8s.io/v1/ClusterRole", io.fabric8.kubernetes.api.model.rbac.ClusterRole.class,
            "rbac.authorization.k8s.io/v1/ClusterRoleBinding", io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding.class);

    /** The checkout's manifest (failsafe and surefire run in the module directory; javaoverlay.home names the checkout). */
    public static Path file() {
        return file("javaoverlay.yaml");
    }

    /** A manifest of the checkout's dist/kubernetes, e.g. {@code javaoverlay-kube.yaml} (the Kubernetes subnet manager's). */
    public static Path file(String name) {
        return Path.of(System.getProperty("javaoverlay.home", "..")).resolve("dist/kubernetes/" + name)
                .toAbsolutePath().normalize();
    }

    public static KubeManifest read(Path file) {
        try {
            return parse(Files.readString(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every document of a multi-document YAML text; an unknown kind or a document that does not decode is an error. */
    public static KubeManifest parse(String yaml) {
        List<HasMetadata> objects = new ArrayList<>();
        try (var parser = YAML.getFactory().createParser(yaml)) {
            var docs = YAML.readValues(parser, JsonNode.class);
            while (docs.hasNext()) {
                JsonNode doc = docs.next();
                if (doc == null || doc.isMissingNode() || doc.isNull() || doc.isEmpty()) {
                    continue;
                }
                String kind = doc.path("apiVersion").asText() + "/" + doc.path("kind").asText();
                Class<? extends HasMetadata> type = KINDS.get(kind);
                if (type == null) {
                    throw new IllegalArgumentException("document " + (objects.size() + 1) + " is a " + kind
                            + ", not one of the kinds the manifest is expected to hold: " + KINDS.keySet());
                }
                objects.add(YAML.treeToValue(doc, type));
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("the manifest does not decode into the Kubernetes model: " + e.getMessage(), e);
        }
        return new KubeManifest(List.copyOf(objects));
    }

    public <T extends HasMetadata> List<T> all(Class<T> type) {
        return objects.stream().filter(type::isInstance).map(type::cast).toList();
    }

    /** The one object of a kind; fails when there is none or several. */
    public <T extends HasMetadata> T one(Class<T> type) {
        List<T> all = all(type);
        if (all.size() != 1) {
            throw new AssertionError("expected one " + type.getSimpleName() + " in the manifest, found " + all.size());
        }
        return all.get(0);
    }

    public DaemonSet daemonSet() {
        return one(DaemonSet.class);
    }

    public ConfigMap configMap() {
        return one(ConfigMap.class);
    }

    public PodSpec podSpec() {
        return daemonSet().getSpec().getTemplate().getSpec();
    }

    /** Init containers first, in order, then the containers. */
    public List<Container> allContainers() {
        return Stream.concat(podSpec().getInitContainers().stream(), podSpec().getContainers().stream()).toList();
    }

    public Container container(String name) {
        return allContainers().stream().filter(c -> c.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no container named " + name + " in the DaemonSet"));
    }

    public Volume volume(String name) {
        return podSpec().getVolumes().stream().filter(v -> v.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no volume named " + name + " in the DaemonSet"));
    }

    /** Where a container's mount path comes from on the node: the hostPath volume mounted there. */
    public String hostPathOf(Container c, String mountPath) {
        String volume = c.getVolumeMounts().stream().filter(m -> m.getMountPath().equals(mountPath)).findFirst()
                .orElseThrow(() -> new AssertionError(c.getName() + " mounts nothing at " + mountPath)).getName();
        Volume v = volume(volume);
        return v.getHostPath() == null ? null : v.getHostPath().getPath();
    }

    /** The ConfigMap's value for a key; fails when it is missing. */
    public String configValue(String key) {
        String v = configMap().getData().get(key);
        if (v == null) {
            throw new AssertionError("the ConfigMap has no key " + key);
        }
        return v;
    }
}
