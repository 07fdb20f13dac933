package io.javaoverlay.cli.kube;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;

import io.javaoverlay.cli.docker.DockerHost;
import io.javaoverlay.testkit.ExecResult;
import io.javaoverlay.testkit.TestHost;

/**
 * The part of a kubelet that runs one DaemonSet pod on one node, for tests: the pod spec from
 * the manifest (fabric8's model) turned into {@code docker run} calls on the node's own dockerd.
 * What the manifest says is what runs: its commands, scripts, environment, mounts and probes.
 *
 * <p>The node is a {@link DockerHost}: a network namespace on the test underlay with a private
 * mount namespace (own {@code /run} tmpfs) in which dockerd runs. {@link #prepareNode} gives that
 * mount namespace a node's own disk where the pod writes: an empty directory bound onto
 * {@code /opt}, and overlays (the machine's files below, the node's changes in a test directory)
 * on {@code /etc} and {@code /var/lib}; the machine's own directories are never written. Then
 * hostPath volumes are the SAME paths, resolved in that mount namespace, as on a node.
 *
 * <p>Mapping: init containers run one after another, each to completion (exit 0 or the pod
 * fails), then the containers detached; {@code command} becomes the entrypoint and its
 * arguments, {@code args} follow; env {@code value}, {@code configMapKeyRef} (from the ConfigMap
 * data given, which the test may point at its etcd) and {@code fieldRef status.hostIP} (the
 * node's underlay address); {@code hostNetwork} is {@code --network host}; capabilities
 * {@code --cap-add}, privileged {@code --privileged}; memory limits {@code --memory}; no seccomp
 * profile, as the kubelet's default (Unconfined) without {@code --seccomp-default}; hostPath
 * volumes by type (DirectoryOrCreate, FileOrCreate, Directory, File, unset) as bind mounts,
 * {@code mountPropagation: HostToContainer} as {@code rslave}; configMap and secret volumes as
 * read-only directories with one file per key (an absent optional secret as an empty one);
 * probes are HTTP GETs to the pod's address (the node's, with host network) from the node.
 * Not modelled: CPU requests, the service account (the manifest turns it off), DNS policy.
 */
public final class TestKubelet {

    private final DockerHost docker;
    private final TestHost host;
    private final PodSpec pod;
    private final Map<String, String> configData;
    private final Map<String, Map<String, byte[]>> secrets;
    private final Path nodeDisk;
    private final Path podDir;
    private int runs;

    /**
     * @param configData the manifest's ConfigMap data as the cluster holds it (the test's etcd endpoint substituted)
     * @param secrets    Secrets that exist in the cluster, by name: key to content
     */
    public TestKubelet(DockerHost docker, TestHost host, PodSpec pod, Map<String, String> configData,
            Map<String, Map<String, byte[]>> secrets) {
        this.docker = docker;
        this.host = host;
        this.pod = pod;
        this.configData = Map.copyOf(configData);
        this.secrets = Map.copyOf(secrets);
        this.nodeDisk = docker.dir().resolve("node-disk");
        this.podDir = docker.dir().resolve("pod-volumes");
    }

    public DockerHost docker() {
        return docker;
    }

    public TestHost host() {
        return host;
    }

    /** Where the node's /opt lives, as the test sees it. */
    public Path opt() {
        return nodeDisk.resolve("opt");
    }

    /**
     * The node's own disk (see the class comment), and the mounts a node has: {@code /} shared
     * (systemd's default) and {@code /run/netns} a shared mount of its own (what {@code ip netns
     * add}, containerd and CRI-O make), so namespaces made after a container started propagate
     * into it.
     */
    public void prepareNode() throws IOException {
        Files.createDirectories(opt());
        StringBuilder sh = new StringBuilder("set -e\nmount --bind ").append(opt()).append(" /opt\n");
        for (String dir : List.of("/etc", "/var/lib")) {
            Path upper = Files.createDirectories(nodeDisk.resolve("upper" + dir.replace('/', '-')));
            Path work = Files.createDirectories(nodeDisk.resolve("work" + dir.replace('/', '-')));
            sh.append("mount -t overlay overlay -o lowerdir=").append(dir).append(",upperdir=").append(upper)
                    .append(",workdir=").append(work).append(' ').append(dir).append('\n');
        }
        // systemd makes / shared on a node (docker refuses rslave mounts from a private one; that
        // includes the machine's /run/netns hidden under this node's /run, which docker finds first);
        // the peer groups are new, local to this mount namespace: nothing propagates to the machine's
        sh.append("mount --make-rshared /\n");
        sh.append("mkdir -p /run/netns\nmount --bind /run/netns /run/netns\nmount --make-shared /run/netns\n");
        nodeOk("sh", "-c", sh.toString());
    }

    /** Runs a command on the node (its mount and network namespaces); fails unless it exits 0. */
    public String nodeOk(String... command) {
        ExecResult r = docker.exec(command);
        if (!r.ok()) {
            throw new AssertionError("on node " + host.name() + ": " + r.describe());
        }
        return r.stdout();
    }

    /** Starts the pod: every init container to completion, in order, then the containers; returns their container names. */
    public List<String> runPod() {
        for (Container c : pod.getInitContainers()) {
            runInit(c.getName());
        }
        List<String> started = new ArrayList<>();
        for (Container c : pod.getContainers()) {
            String name = containerName(c.getName());
            List<String> cmd = runArgs(c, name, true);
            docker.dockerOk(cmd.toArray(String[]::new));
            started.add(name);
        }
        return started;
    }

    /** Runs one init container of the pod to completion (as on a pod restart); fails with its output unless it exits 0. */
    public void runInit(String containerName) {
        Container c = pod.getInitContainers().stream().filter(x -> x.getName().equals(containerName)).findFirst()
                .orElseThrow(() -> new AssertionError("no init container " + containerName));
        String name = containerName(c.getName());
        ExecResult r = docker.docker(Duration.ofMinutes(3), runArgs(c, name, false).toArray(String[]::new));
        if (!r.ok()) {
            throw new AssertionError("init container " + c.getName() + " on " + host.name() + " failed: " + r.describe()
                    + "\n--- its log ---\n" + docker.docker("logs", name).stdout() + docker.docker("logs", name).stderr());
        }
    }

    private String containerName(String container) {
        return "k8s_" + container + "_" + host.name() + "_" + (++runs);
    }

    private List<String> runArgs(Container c, String name, boolean detach) {
        List<String> a = new ArrayList<>(List.of("run", "--name", name));
        if (detach) {
            a.add("-d");
        }
        if (Boolean.TRUE.equals(pod.getHostNetwork())) {
            a.addAll(List.of("--network", "host"));
        }
        if (Boolean.TRUE.equals(pod.getHostPID())) {
            a.addAll(List.of("--pid", "host"));
        }
        a.addAll(List.of("--security-opt", "seccomp=unconfined"));
        var sc = c.getSecurityContext();
        if (sc != null) {
            if (Boolean.TRUE.equals(sc.getPrivileged())) {
                a.add("--privileged");
            }
            if (sc.getCapabilities() != null) {
                sc.getCapabilities().getAdd().forEach(cap -> a.addAll(List.of("--cap-add", cap)));
                sc.getCapabilities().getDrop().forEach(cap -> a.addAll(List.of("--cap-drop", cap)));
            }
        }
        if (c.getResources() != null && c.getResources().getLimits() != null && c.getResources().getLimits().containsKey("memory")) {
            Quantity q = c.getResources().getLimits().get("memory");
            a.addAll(List.of("--memory", Quantity.getAmountInBytes(q).toBigInteger().toString()));
        }
        env(c).forEach((k, v) -> a.addAll(List.of("-e", k + "=" + v)));
        for (VolumeMount m : c.getVolumeMounts()) {
            a.addAll(List.of("--mount", mount(c, m)));
        }
        List<String> command = c.getCommand();
        if (!command.isEmpty()) {
            a.addAll(List.of("--entrypoint", command.get(0)));
        }
        a.add(c.getImage());
        if (!command.isEmpty()) {
            a.addAll(command.subList(1, command.size()));
        }
        a.addAll(c.getArgs());
        return a;
    }

    /** The container's environment as the kubelet resolves it. */
    public Map<String, String> env(Container c) {
        Map<String, String> env = new LinkedHashMap<>();
        for (EnvVar e : c.getEnv()) {
            if (e.getValueFrom() == null) {
                env.put(e.getName(), e.getValue() == null ? "" : e.getValue());
            } else if (e.getValueFrom().getConfigMapKeyRef() != null) {
                String key = e.getValueFrom().getConfigMapKeyRef().getKey();
                String v = configData.get(key);
                if (v == null) {
                    throw new AssertionError(c.getName() + ": env " + e.getName() + " refers to ConfigMap key " + key + ", which is not there");
                }
                env.put(e.getName(), v);
            } else if (e.getValueFrom().getFieldRef() != null
                    && "status.hostIP".equals(e.getValueFrom().getFieldRef().getFieldPath())) {
                env.put(e.getName(), host.underlayIp().toString());
            } else {
                throw new AssertionError(c.getName() + ": env " + e.getName() + ": this test kubelet cannot resolve " + e.getValueFrom());
            }
        }
        return env;
    }

    private String mount(Container c, VolumeMount m) {
        Volume v = pod.getVolumes().stream().filter(x -> x.getName().equals(m.getName())).findFirst()
                .orElseThrow(() -> new AssertionError(c.getName() + " mounts " + m.getName() + ", which the pod does not have"));
        String source;
        boolean readOnly = Boolean.TRUE.equals(m.getReadOnly());
        if (v.getHostPath() != null) {
            source = v.getHostPath().getPath();
            hostPath(source, v.getHostPath().getType() == null ? "" : v.getHostPath().getType());
        } else if (v.getConfigMap() != null) {
            source = files(c, v.getName(), configData).toString();
            readOnly = true;
        } else if (v.getSecret() != null) {
            Map<String, byte[]> secret = secrets.get(v.getSecret().getSecretName());
            if (secret == null && !Boolean.TRUE.equals(v.getSecret().getOptional())) {
                throw new AssertionError("the pod needs Secret " + v.getSecret().getSecretName() + ", which the cluster does not have");
            }
            Map<String, String> asText = new LinkedHashMap<>();
            if (secret != null) {
                secret.forEach((k, b) -> asText.put(k, new String(b, java.nio.charset.StandardCharsets.ISO_8859_1)));
            }
            source = files(c, v.getName(), asText).toString();
            readOnly = true;
        } else {
            throw new AssertionError("volume " + v.getName() + ": this test kubelet knows hostPath, configMap and secret volumes");
        }
        StringBuilder s = new StringBuilder("type=bind,src=").append(source).append(",dst=").append(m.getMountPath());
        if (readOnly) {
            s.append(",readonly");
        }
        String propagation = m.getMountPropagation() == null ? "None" : m.getMountPropagation();
        switch (propagation) {
            case "None" -> { }
            case "HostToContainer" -> s.append(",bind-propagation=rslave");
            case "Bidirectional" -> s.append(",bind-propagation=rshared");
            default -> throw new AssertionError("mountPropagation " + propagation + " is not a Kubernetes value");
        }
        return s.toString();
    }

    /** What the kubelet does for a hostPath volume of this type before the runtime mounts it. */
    private void hostPath(String path, String type) {
        switch (type) {
            case "" -> { }
            case "DirectoryOrCreate" -> nodeOk("sh", "-c", "[ -d '" + path + "' ] || { mkdir -p '" + path + "' && chmod 0755 '" + path + "'; }");
            case "FileOrCreate" -> nodeOk("sh", "-c", "[ -f '" + path + "' ] || { touch '" + path + "' && chmod 0644 '" + path + "'; }");
            case "Directory" -> nodeOk("test", "-d", path);
            case "File" -> nodeOk("test", "-f", path);
            default -> throw new AssertionError("hostPath type " + type + " is not modelled here");
        }
    }

    /** A configMap or secret volume: a directory with one file per key (the kubelet's atomic writer, minus the symlinks). */
    private Path files(Container c, String volume, Map<String, String> data) {
        try {
            Path dir = Files.createDirectories(podDir.resolve(c.getName() + "-" + volume + "-" + runs));
            for (Map.Entry<String, String> e : data.entrySet()) {
                Files.writeString(dir.resolve(e.getKey()), e.getValue(), java.nio.charset.StandardCharsets.ISO_8859_1);
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Waits until the readiness probe passes, as {@code kubectl rollout status} waits for the pod
     * to be Ready (the kubelet probes every {@code periodSeconds} for as long as the pod runs;
     * here at most {@code timeout}).
     */
    public void awaitReady(String containerName, Probe p, String containerForLogs, Duration timeout) {
        int period = p.getPeriodSeconds() == null ? 10 : p.getPeriodSeconds();
        int attempts = (int) Math.max(1, timeout.toSeconds() / period);
        Probe bounded = new io.fabric8.kubernetes.api.model.ProbeBuilder(p).withFailureThreshold(attempts).build();
        probe(containerName, bounded, containerForLogs);
    }

    /**
     * Probes a container as the kubelet does (HTTP GET from the node to the pod's address: the
     * node's own with host network): every {@code periodSeconds} until it answers 2xx/3xx, at most
     * {@code failureThreshold} times. Returns the status code of the last answer.
     */
    public int probe(String containerName, Probe p, String containerForLogs) {
        HTTPGetAction get = p.getHttpGet();
        if (get == null) {
            throw new AssertionError(containerName + ": only httpGet probes are modelled");
        }
        String url = (get.getScheme() == null ? "http" : get.getScheme().toLowerCase()) + "://" + host.underlayIp() + ":"
                + get.getPort().getIntVal() + get.getPath();
        int period = p.getPeriodSeconds() == null ? 10 : p.getPeriodSeconds();
        int threshold = p.getFailureThreshold() == null ? 3 : p.getFailureThreshold();
        int code = 0;
        Instant start = Instant.now();
        for (int i = 0; i < threshold; i++) {
            ExecResult r = docker.exec("curl", "-s", "-o", "/dev/null", "-m", "1", "-w", "%{http_code}", url);
            code = r.stdout().isBlank() ? 0 : Integer.parseInt(r.stdout().strip());
            if (code >= 200 && code < 400) {
                return code;
            }
            try {
                Thread.sleep(Duration.ofSeconds(period).toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
        throw new AssertionError(containerName + " on " + host.name() + ": probe " + url + " got " + code + " after "
                + Duration.between(start, Instant.now()).toSeconds() + " s\n--- container log ---\n"
                + docker.docker("logs", containerForLogs).stdout() + docker.docker("logs", containerForLogs).stderr());
    }
}
