package io.javaoverlay.cli.kube;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.annotation.JsonProperty;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;

/**
 * What the API server and the kubelet would refuse or trip over in the manifest, as a list of
 * problems (empty: none), each naming where it is:
 * <ul>
 * <li>fields the Kubernetes model does not know (a misspelled key is silently dropped by
 *     {@code kubectl apply --validate=false} and by older API servers; with validation it is an
 *     error): fabric8's model classes keep them in {@code additionalProperties}, found by walking
 *     every object;</li>
 * <li>the DaemonSet's pod in the host's network namespace with {@code NET_ADMIN} in the agent;</li>
 * <li>every volume mount names a volume of the pod, every configMap volume and
 *     {@code configMapKeyRef} names the manifest's ConfigMap and one of its keys;</li>
 * <li>every image is the one the build makes ({@code scripts/kube-image}: {@code javaoverlay:VERSION});</li>
 * <li>every HTTP probe asks a port the container declares.</li>
 * </ul>
 */
public final class ManifestCheck {

    private ManifestCheck() {}

    /** The image the build makes for a project version: {@code javaoverlay:0.1.0} for 0.1.0-SNAPSHOT (as scripts/kube-image). */
    public static String imageFor(String projectVersion) {
        return "javaoverlay:" + projectVersion.replaceFirst("-SNAPSHOT$", "");
    }

    /** The image this build makes (failsafe and surefire pass the project's version). */
    public static String buildImage() {
        String v = System.getProperty("javaoverlay.version");
        if (v == null || v.isBlank()) {
            throw new IllegalStateException("system property javaoverlay.version is not set: run the tests through Maven");
        }
        return imageFor(v);
    }

    public static List<String> problems(KubeManifest m, String image) {
        List<String> out = new ArrayList<>();
        for (HasMetadata o : m.objects()) {
            unknownFields(o, o.getKind() + " " + o.getMetadata().getName(), out);
        }
        DaemonSet ds;
        try {
            ds = m.daemonSet();
            m.configMap();
        } catch (AssertionError e) {
            out.add(e.getMessage());
            return out;
        }
        PodSpec pod = ds.getSpec().getTemplate().getSpec();
        String where = "DaemonSet " + ds.getMetadata().getName() + ": ";
        if (!Boolean.TRUE.equals(pod.getHostNetwork())) {
            out.add(where + "spec.template.spec.hostNetwork must be true: the agent programs the node's own network");
        }
        Map<String, Volume> volumes = new HashMap<>();
        for (Volume v : pod.getVolumes()) {
            if (volumes.put(v.getName(), v) != null) {
                out.add(where + "two volumes named " + v.getName());
            }
        }
        ConfigMap cm = m.configMap();
        Set<String> seen = new HashSet<>();
        for (Container c : m.allContainers()) {
            String cw = where + "container " + c.getName() + ": ";
            if (!seen.add(c.getName())) {
                out.add(cw + "the name is used twice");
            }
            if (!image.equals(c.getImage())) {
                out.add(cw + "image " + c.getImage() + " is not the one the build makes (" + image + ", scripts/kube-image)");
            }
            for (VolumeMount vm : c.getVolumeMounts()) {
                Volume v = volumes.get(vm.getName());
                if (v == null) {
                    out.add(cw + "mounts volume " + vm.getName() + ", which the pod does not have");
                } else if (v.getConfigMap() != null && !v.getConfigMap().getName().equals(cm.getMetadata().getName())) {
                    out.add(cw + "volume " + vm.getName() + " names ConfigMap " + v.getConfigMap().getName()
                            + ", the manifest's is " + cm.getMetadata().getName());
                }
            }
            for (EnvVar e : c.getEnv()) {
                if (e.getValueFrom() != null && e.getValueFrom().getConfigMapKeyRef() != null) {
                    var ref = e.getValueFrom().getConfigMapKeyRef();
                    if (!ref.getName().equals(cm.getMetadata().getName()) || !cm.getData().containsKey(ref.getKey())) {
                        out.add(cw + "env " + e.getName() + " refers to " + ref.getName() + "/" + ref.getKey()
                                + ", which the manifest's ConfigMap does not hold");
                    }
                }
            }
            probePort(c, "startupProbe", c.getStartupProbe(), cw, out);
            probePort(c, "livenessProbe", c.getLivenessProbe(), cw, out);
            probePort(c, "readinessProbe", c.getReadinessProbe(), cw, out);
        }
        boolean netAdmin = pod.getContainers().stream().anyMatch(c -> c.getSecurityContext() != null
                && (Boolean.TRUE.equals(c.getSecurityContext().getPrivileged())
                        || c.getSecurityContext().getCapabilities() != null
                                && c.getSecurityContext().getCapabilities().getAdd().contains("NET_ADMIN")));
        if (!netAdmin) {
            out.add(where + "no container has NET_ADMIN (or privileged): the agent cannot program devices and routes");
        }
        return out;
    }

    private static void probePort(Container c, String name, Probe p, String where, List<String> out) {
        if (p == null || p.getHttpGet() == null) {
            return;
        }
        IntOrString port = p.getHttpGet().getPort();
        boolean declared = c.getPorts().stream().anyMatch(cp -> matches(cp, port));
        if (!declared) {
            out.add(where + name + " asks port " + (port == null ? "(none)" : port.getValue()) + ", which the container does not declare");
        }
    }

    private static boolean matches(ContainerPort cp, IntOrString port) {
        if (port == null) {
            return false;
        }
        return port.getIntVal() != null ? port.getIntVal().equals(cp.getContainerPort()) : port.getStrVal().equals(cp.getName());
    }

    /** Walks the model's fields (those Jackson binds) and reports every non-empty {@code additionalProperties}. */
    static void unknownFields(Object o, String path, List<String> out) {
        if (o == null) {
            return;
        }
        if (o instanceof List<?> list) {
            for (int i = 0; i < list.size(); i++) {
                unknownFields(list.get(i), path + "[" + i + "]", out);
            }
            return;
        }
        if (o instanceof Map<?, ?> map) {
            map.forEach((k, v) -> unknownFields(v, path + "." + k, out));
            return;
        }
        if (!o.getClass().getName().startsWith("io.fabric8.")) {
            return;
        }
        for (Class<?> c = o.getClass(); c != null && c != Object.class; c = c.getSuperclass()) {
            for (Field f : c.getDeclaredFields()) {
                if (Modifier.isStatic(f.getModifiers())) {
                    continue;
                }
                Object value;
                try {
                    f.setAccessible(true);
                    value = f.get(o);
                } catch (ReflectiveOperationException | RuntimeException e) {
                    throw new IllegalStateException("cannot read " + c.getName() + "." + f.getName(), e);
                }
                if (f.getName().equals("additionalProperties")) {
                    if (value instanceof Map<?, ?> extra && !extra.isEmpty()) {
                        out.add(path + ": unknown field" + (extra.size() > 1 ? "s " : " ") + String.join(", ",
                                extra.keySet().stream().map(String::valueOf).sorted().toList())
                                + " (not in the Kubernetes API for " + o.getClass().getSimpleName() + ")");
                    }
                    continue;
                }
                JsonProperty json = f.getAnnotation(JsonProperty.class);
                if (json != null) {
                    unknownFields(value, path + "." + (json.value().isEmpty() ? f.getName() : json.value()), out);
                }
            }
        }
    }
}
