package io.javaoverlay.kube;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;

import io.javaoverlay.core.config.NetworkConfigException;
import io.javaoverlay.core.lease.KeyRead;
import io.javaoverlay.core.lease.Lease;
import io.javaoverlay.core.lease.LeaseId;
import io.javaoverlay.core.lease.LeaseAttrs;
import io.javaoverlay.core.lease.LeaseException;
import io.javaoverlay.core.lease.LeaseSnapshot;
import io.javaoverlay.core.lease.LeaseStore;
import io.javaoverlay.core.metrics.OverlayMetrics;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.Ip6Net;
import io.javaoverlay.core.threads.DaemonThreads;

/**
 * flanneld's Kubernetes subnet manager ({@code --kube-subnet-mgr}) as a {@link LeaseStore}: the
 * leases are the nodes. This host's subnet is not picked but {@link #assignedSubnet assigned}:
 * its node's {@code spec.podCIDR}, which kube-controller-manager gives out. What this host
 * publishes goes into its node's flannel annotations ({@link NodeLeases#annotationsFor}, byte for
 * byte as flannel writes them, so flanneld and javaoverlay nodes see each other); the peers are
 * every node's annotations, watched through a fabric8 informer ({@link NodeWatch}). The network
 * config is a file ({@code --net-config-path}: kube-flannel's ConfigMap), not a key.
 *
 * <p>What a Kubernetes store does not have: a TTL (nodes do not expire: {@link #renew} is a
 * no-op, and a deleted node's routes go through the watch), revisions one can compare (resource
 * versions are opaque: every read says revision 0, and the informer resumes its own watch), and
 * deletion of a lease ({@link #delete} refuses: a podCIDR belongs to its node).
 *
 * <p>Requests fail fast ({@link LeaseException.StoreUnavailableException}) when the API server
 * cannot be reached; the agent retries them, and the informer reconnects by itself.
 */
public final class KubeLeaseStore implements LeaseStore {

    private static final Logger LOG = LoggerFactory.getLogger(KubeLeaseStore.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** How often a failed NetworkUnavailable patch is tried again. */
    private static final Duration CONDITION_RETRY = Duration.ofSeconds(5);

    private final KubernetesClient client;
    private final KubeOptions options;
    private final NodeLeases leases;
    private final NodeSkips skips;
    /** Where skipped nodes and the watch's re-lists are counted. */
    private final OverlayMetrics metrics;
    private final String server;
    private final ScheduledExecutorService retries = DaemonThreads.scheduler("kube-node-status");
    /** The watch running now, whose cache answers the agent's checks of its own node. */
    private volatile NodeWatch currentWatch;
    /** This host's node; resolved at the first request that needs it (from POD_NAME, that is a request). */
    private volatile String nodeName;
    /** What this host last published on its node (its lease and the agent's attributes), to read its node back as that lease. */
    private volatile Published published;

    /** This host's lease as last published, and the attributes the agent asked to publish (before any overwrite annotation). */
    private record Published(Lease lease, LeaseAttrs attrs) {}

    private KubeLeaseStore(KubernetesClient client, KubeOptions options, OverlayMetrics metrics) {
        if (metrics == null) {
            throw new IllegalArgumentException("the store needs metrics to report into");
        }
        this.metrics = metrics;
        this.skips = new NodeSkips(metrics);
        this.client = client;
        this.options = options;
        this.leases = new NodeLeases(options.annotations());
        this.server = client.getConfiguration().getMasterUrl();
        this.nodeName = options.envValue("NODE_NAME").orElse(null);
    }

    /**
     * A store on the API server the options name. Nothing is requested yet: an API server that is
     * down at start is waited for by the agent, not a reason to exit.
     *
     * @throws IllegalArgumentException when neither NODE_NAME nor POD_NAME and POD_NAMESPACE are set,
     *         or the kubeconfig cannot be read
     * @param metrics where skipped nodes and re-lists are counted: the agent's
     */
    public static KubeLeaseStore connect(KubeOptions options, OverlayMetrics metrics) {
        if (options.envValue("NODE_NAME").isEmpty()
                && (options.envValue("POD_NAME").isEmpty() || options.envValue("POD_NAMESPACE").isEmpty())) {
            throw new IllegalArgumentException("the Kubernetes subnet manager needs this node's name: set NODE_NAME, or POD_NAME and"
                    + " POD_NAMESPACE (kube-flannel's manifest sets them from the pod's fieldRefs)");
        }
        return new KubeLeaseStore(new KubernetesClientBuilder().withConfig(config(options)).build(), options, metrics);
    }

    /**
     * flannel's choice ({@code clientcmd.BuildConfigFromFlags}): the kubeconfig file with the API URL
     * overriding its server; the API URL alone (no credentials); with neither, the pod's service account.
     * Requests fail fast (the agent retries them); watches reconnect for ever.
     */
    static Config config(KubeOptions o) {
        Config base;
        if (o.kubeconfig().isPresent()) {
            try {
                if (!Files.isReadable(o.kubeconfig().get())) {
                    throw new IOException("not a readable file");
                }
                base = Config.fromKubeconfig(o.kubeconfig().get().toFile());
            } catch (IOException | KubernetesClientException e) {
                throw new IllegalArgumentException("cannot read --kubeconfig-file " + o.kubeconfig().get() + ": " + e);
            }
        } else if (o.apiUrl().isPresent()) {
            base = Config.empty();
        } else {
            base = Config.autoConfigure(null); // in a pod: the service account's token and CA
        }
        o.apiUrl().ifPresent(base::setMasterUrl); // the kubeconfig's credentials stay
        ConfigBuilder b = new ConfigBuilder(base)
                .withRequestRetryBackoffLimit(0)
                .withConnectionTimeout(5_000)
                .withRequestTimeout(15_000)
                .withWatchReconnectInterval(1_000)
                .withWatchReconnectLimit(-1);
        return b.build();
    }

    /** This host's node name: NODE_NAME, else the node of the pod POD_NAMESPACE/POD_NAME. */
    public String nodeName() {
        String n = nodeName;
        if (n != null) {
            return n;
        }
        String ns = options.envValue("POD_NAMESPACE").orElseThrow();
        String pod = options.envValue("POD_NAME").orElseThrow();
        Pod p = call("read pod " + ns + "/" + pod, () -> client.pods().inNamespace(ns).withName(pod).get());
        if (p == null || p.getSpec() == null || p.getSpec().getNodeName() == null || p.getSpec().getNodeName().isEmpty()) {
            throw new LeaseException.StoreUnavailableException("pod " + ns + "/" + pod + " (POD_NAMESPACE/POD_NAME) "
                    + (p == null ? "does not exist" : "has no node yet") + " in " + describe(), null);
        }
        nodeName = p.getSpec().getNodeName();
        LOG.info("this is node {} (the node of pod {}/{})", nodeName, ns, pod);
        return nodeName;
    }

    // --- the network config: a file ---

    @Override
    public Optional<String> readNetworkConfig() {
        try {
            return Optional.of(Files.readString(options.netConfigPath()));
        } catch (NoSuchFileException e) {
            throw new LeaseException.StoreUnavailableException("there is no " + options.netConfigPath()
                    + " (--net-config-path; kube-flannel's manifest mounts the ConfigMap's net-conf.json there)", e);
        } catch (IOException e) {
            throw new LeaseException.StoreUnavailableException("cannot read " + options.netConfigPath() + ": " + e, e);
        }
    }

    @Override
    public void writeNetworkConfig(String json) {
        throw new LeaseException("with the Kubernetes subnet manager the network config is the file " + options.netConfigPath()
                + " (the ConfigMap's net-conf.json): change it there");
    }

    @Override
    public String networkConfigLocation() {
        return options.netConfigPath().toString();
    }

    // --- leases: nodes ---

    @Override
    public LeaseSnapshot list() {
        List<Node> nodes = call("list nodes", () -> client.nodes().list().getItems());
        List<Lease> out = new ArrayList<>();
        for (Node n : nodes) {
            NodeLeases.Read r = leases.read(n);
            r.skipped().ifPresent(s -> skips.report(n.getMetadata().getName(), NodeLeases.annotations(n).toString() + n.getSpec(), s));
            r.lease().ifPresent(out::add);
        }
        return new LeaseSnapshot(out, 0);
    }

    @Override
    public Optional<Lease> get(Ip4Net subnet) {
        return leaseAt(subnet, ownNode());
    }

    private Optional<Lease> leaseAt(Ip4Net subnet, Node own) {
        if (NodeLeases.podCidr(own).filter(subnet::equals).isPresent()) {
            return ownLease(own);
        }
        return list().leases().stream().filter(l -> l.ipv4Subnet().filter(subnet::equals).isPresent()).findFirst();
    }

    /**
     * This host's node as a lease. Once this host has published on it, the node's key is its
     * podCIDRs, whatever its annotations say, so the IPv6 half is the one published; and a node
     * whose annotations are what publishing this host's attributes writes (a
     * {@code public-ip(v6)-overwrite} published in place of the interface's address included)
     * reads back as exactly what this host published: the agent's guard sees its own lease, and
     * rewrites the annotations only when someone changed them.
     */
    private Optional<Lease> ownLease(Node own) {
        Optional<Lease> read = leases.read(own).lease();
        Published p = published;
        if (p == null || read.isEmpty() || !read.get().id().equals(p.lease().id())) {
            return read;
        }
        Map<String, String> now = NodeLeases.annotations(own);
        boolean same;
        try {
            same = NodeLeases.satisfied(now, leases.annotationsFor(p.attrs(), now)) && (p.attrs().publicIpv6().isPresent()
                    || now.get(leases.keys().publicIpv6()) == null && now.get(leases.keys().backendV6Data()) == null);
        } catch (IllegalArgumentException e) {
            same = false; // an overwrite annotation turned malformed: the next publish says so
        }
        Lease r = read.get();
        return Optional.of(new Lease(r.ipv4Subnet(), p.lease().ipv6Subnet(), same ? p.attrs() : r.attrs(), false, Optional.empty(), 0));
    }

    /**
     * This host's own subnet, as the agent's guard reads it every few seconds: from the watch's
     * cache while the watch is connected (no request per check: on a large cluster every node's
     * agent asks), else with one GET of the node. Another subnet takes a listing.
     */
    @Override
    public KeyRead read(Ip4Net subnet) {
        NodeWatch w = currentWatch;
        Optional<Node> cached = w == null ? Optional.empty() : w.cached(nodeName());
        return new KeyRead(leaseAt(subnet, cached.orElseGet(this::ownNode)), 0, "");
    }

    /**
     * The same by what names the lease: an IPv6-only lease (this node's IPv6 podCIDR) from the watch's
     * cache or one GET of the node, as {@link #read(Ip4Net)}; another host's from a listing.
     */
    @Override
    public KeyRead read(LeaseId id) {
        if (id.ipv4().isPresent()) {
            return read(id.ipv4().get());
        }
        NodeWatch w = currentWatch;
        Node own = (w == null ? Optional.<Node>empty() : w.cached(nodeName())).orElseGet(this::ownNode);
        boolean ownPodCidr = podCidr6(own).equals(id.ipv6());
        Optional<Lease> l = ownPodCidr ? ownLease(own).filter(x -> x.id().equals(id))
                : list().leases().stream().filter(x -> x.id().equals(id)).findFirst();
        return new KeyRead(l, 0, "");
    }

    /**
     * This node's podCIDR (the IPv4 one).
     *
     * @throws LeaseException.StoreUnavailableException while it has none: the agent waits, saying why
     */
    @Override
    public Optional<Ip4Net> assignedSubnet() {
        Node n = ownNode();
        Optional<Ip4Net> cidr = podCidr(n);
        if (cidr.isEmpty() && NodeLeases.podCidr6(n).isPresent()) {
            // flannel's kube manager runs such a node with EnableIPv4: false; with EnableIPv4 a lease needs an IPv4 subnet
            throw new NetworkConfigException("node " + nodeName() + " has only an IPv6 podCIDR (spec.podCIDRs " + n.getSpec().getPodCIDRs()
                    + ") but the network config enables IPv4: an IPv6-only cluster runs with \"EnableIPv4\": false, \"EnableIPv6\": true"
                    + " and its IPv6Network; a dual-stack one gives nodes an IPv4 and an IPv6 --cluster-cidr (see docs/ipv6.md)");
        }
        if (cidr.isEmpty()) {
            throw new LeaseException.StoreUnavailableException("node " + nodeName() + " has no IPv4 podCIDR yet (spec.podCIDR is unset):"
                    + " waiting for kube-controller-manager to assign one (it needs --allocate-node-cidrs=true and --cluster-cidr)", null);
        }
        return cidr;
    }

    /**
     * This node's IPv6 podCIDR (dual stack: the IPv6 entry of {@code spec.podCIDRs}), empty when it
     * has none.
     */
    @Override
    public Optional<Ip6Net> assignedIpv6Subnet() {
        return podCidr6(ownNode());
    }

    /** Publishes this host's attributes on its node; only its own podCIDR can be "created". */
    @Override
    public Lease create(Ip4Net subnet, LeaseAttrs attrs, Duration ttl) {
        return publish(subnet, attrs);
    }

    /** The same, dual stack: {@code ipv6Subnet} must be the node's IPv6 podCIDR. */
    @Override
    public Lease create(Ip4Net subnet, Optional<Ip6Net> ipv6Subnet, LeaseAttrs attrs, Duration ttl) {
        if (ipv6Subnet.isPresent()) {
            Optional<Ip6Net> cidr6 = assignedIpv6Subnet();
            if (!cidr6.equals(ipv6Subnet)) {
                throw new LeaseException.LeaseLostException("node " + nodeName() + "'s IPv6 podCIDR is "
                        + cidr6.map(Object::toString).orElse("unset") + ", not " + ipv6Subnet.get()
                        + " (the node was created again?): restart the agent to use the node's podCIDRs");
            }
        }
        return publish(subnet, attrs);
    }

    @Override
    public Lease update(Lease existing, LeaseAttrs attrs, Duration ttl) {
        if (existing.isIpv6Only()) {
            return createIpv6Only(existing.ipv6Subnet().get(), attrs, ttl);
        }
        return publish(existing.subnet(), attrs);
    }

    /** flannel's Kubernetes subnet manager is the one that runs IPv6-only networks: a node with only an IPv6 podCIDR. */
    @Override
    public boolean holdsIpv6OnlyLeases() {
        return true;
    }

    /** In an IPv6-only network nodes are read by their IPv6 halves only ({@link NodeLeases#readIpv6Only}), as flannel reads them. */
    @Override
    public void useFamilies(boolean enableIPv4, boolean enableIPv6) {
        boolean v6only = !enableIPv4 && enableIPv6;
        if (leases.readsIpv6Only() != v6only) {
            leases.readIpv6Only(v6only);
            LOG.info("reading nodes as {} leases", v6only ? "IPv6-only" : "IPv4 (and dual-stack)");
        }
    }

    /**
     * Publishes this host's IPv6-only lease on its node, as flannel's {@code AcquireLease} does with
     * {@code EnableIPv4: false}: {@code public-ipv6} and {@code backend-v6-data} beside
     * {@code backend-type}; {@code backend-data} and {@code public-ip} only where flannel writes them
     * then (not for vxlan; host-gw writes {@code null} and {@code 0.0.0.0}, see
     * {@link NodeLeases#annotationsFor}). {@code ipv6Subnet} must be the node's IPv6 podCIDR.
     */
    @Override
    public Lease createIpv6Only(Ip6Net ipv6Subnet, LeaseAttrs attrs, Duration ttl) {
        if (attrs.publicIpv6().isEmpty()) {
            throw new IllegalArgumentException("an IPv6-only lease publishes a PublicIPv6");
        }
        Node n = ownNode();
        Optional<Ip6Net> cidr6 = podCidr6(n);
        if (!cidr6.equals(Optional.of(ipv6Subnet))) {
            throw new LeaseException.LeaseLostException("node " + nodeName() + "'s IPv6 podCIDR is " + cidr6.map(Object::toString).orElse("unset")
                    + ", not " + ipv6Subnet + " (the node was created again?): restart the agent to use the node's podCIDR");
        }
        Map<String, String> now = annotate(n, attrs, List.of());
        String publishedIp6 = now.getOrDefault(leases.keys().publicIpv6(), attrs.publicIpv6().get());
        Lease lease = Lease.ipv6Only(ipv6Subnet, new LeaseAttrs(NodeLeases.NO_PUBLIC_IP, Optional.of(publishedIp6), attrs.backendType(),
                Optional.empty(), attrs.backendV6Data()), false, Optional.empty(), 0);
        published = new Published(lease, attrs);
        return lease;
    }

    /** {@code n}'s IPv4 podCIDR; one the node spells wrong makes the store unavailable (the agent waits, saying why). */
    private Optional<Ip4Net> podCidr(Node n) {
        try {
            return NodeLeases.podCidr(n);
        } catch (IllegalArgumentException e) {
            throw unreadablePodCidr(e);
        }
    }

    /** {@code n}'s IPv6 podCIDR, as {@link #podCidr}. */
    private Optional<Ip6Net> podCidr6(Node n) {
        try {
            return NodeLeases.podCidr6(n);
        } catch (IllegalArgumentException e) {
            throw unreadablePodCidr(e);
        }
    }

    private LeaseException.StoreUnavailableException unreadablePodCidr(IllegalArgumentException e) {
        return new LeaseException.StoreUnavailableException("node " + nodeName() + ": " + e.getMessage(), e);
    }

    private Lease publish(Ip4Net subnet, LeaseAttrs attrs) {
        Node n = ownNode();
        Optional<Ip4Net> cidr = NodeLeases.podCidr(n);
        if (cidr.isEmpty() || !cidr.get().equals(subnet)) {
            throw new LeaseException.LeaseLostException("node " + nodeName() + "'s podCIDR is " + cidr.map(Object::toString).orElse("unset")
                    + ", not " + subnet + " (the node was created again?): restart the agent to use the node's podCIDR");
        }
        Optional<Ip6Net> cidr6 = Optional.empty();
        if (attrs.publicIpv6().isPresent()) { // dual stack: the lease's IPv6 half is the node's IPv6 podCIDR
            cidr6 = podCidr6(n);
            if (cidr6.isEmpty()) {
                throw new LeaseException.LeaseLostException("node " + nodeName() + " has no IPv6 podCIDR (spec.podCIDRs "
                        + n.getSpec().getPodCIDRs() + ") for this host's dual-stack lease (the node was created again?)");
            }
        }
        // an IPv6 half this host no longer publishes (EnableIPv6 turned off): its annotations go, or
        // dual-stack peers would keep routing this node's IPv6 podCIDR to it (flannel leaves them)
        Map<String, String> now = annotate(n, attrs, List.of(leases.keys().publicIpv6(), leases.keys().backendV6Data()));
        Ip4 publishedIp = Ip4.parse(now.getOrDefault(leases.keys().publicIp(), attrs.publicIp().toString()));
        Optional<String> publishedIp6 = attrs.publicIpv6().map(ip6 -> now.getOrDefault(leases.keys().publicIpv6(), ip6));
        Lease lease = new Lease(subnet, cidr6, new LeaseAttrs(publishedIp, publishedIp6, attrs.backendType(), attrs.backendData(),
                attrs.backendV6Data()), false, Optional.empty(), 0);
        published = new Published(lease, attrs);
        return lease;
    }

    /**
     * Writes the annotations {@code attrs} amount to on node {@code n} (nothing when it has them
     * already), first removing those of {@code removable} it has and no longer gets; returns the
     * node's annotations as they are then.
     */
    private Map<String, String> annotate(Node n, LeaseAttrs attrs, List<String> removable) {
        Map<String, String> existing = NodeLeases.annotations(n);
        Map<String, String> wanted;
        try {
            wanted = leases.annotationsFor(attrs, existing);
        } catch (IllegalArgumentException e) {
            throw new LeaseException("node " + nodeName() + ": " + e.getMessage(), e);
        }
        List<String> stale = removable.stream().filter(k -> existing.get(k) != null && !wanted.containsKey(k)).toList();
        if (!stale.isEmpty()) {
            // a JSON patch (RFC 6902) removes exactly these keys; it fails, and is retried, if one went meanwhile
            ArrayNode ops = JSON.createArrayNode();
            stale.forEach(k -> ops.addObject().put("op", "remove").put("path", "/metadata/annotations/" + k.replace("~", "~0").replace("/", "~1")));
            call("remove node " + nodeName() + "'s IPv6 annotations", () -> client.nodes().withName(nodeName())
                    .patch(PatchContext.of(PatchType.JSON), ops.toString()));
            LOG.info("removed {} from node {}: this host publishes no IPv6 half", stale, nodeName());
        }
        if (!NodeLeases.satisfied(existing, wanted)) {
            ObjectNode patch = JSON.createObjectNode();
            ObjectNode ann = patch.putObject("metadata").putObject("annotations");
            wanted.forEach(ann::put);
            // a merge patch of the annotations map: what flannel's strategic merge patch amounts to for a map
            call("annotate node " + nodeName(), () -> client.nodes().withName(nodeName())
                    .patch(PatchContext.of(PatchType.JSON_MERGE), patch.toString()));
            LOG.info("annotated node {} with {}", nodeName(), wanted);
            if (!existing.getOrDefault(leases.keys().publicIpOverwrite(), "").isEmpty()) {
                LOG.info("publishing the public IP {} from the node's {} annotation", wanted.get(leases.keys().publicIp()),
                        leases.keys().publicIpOverwrite());
            }
            if (wanted.containsKey(leases.keys().publicIpv6()) && !Optional.ofNullable(existing.get(leases.keys().publicIpv6Overwrite())).orElse("").isEmpty()) {
                LOG.info("publishing the public IPv6 {} from the node's {} annotation", wanted.get(leases.keys().publicIpv6()),
                        leases.keys().publicIpv6Overwrite());
            }
        }
        Map<String, String> now = new HashMap<>(existing);
        now.putAll(wanted);
        stale.forEach(now::remove);
        return now;
    }

    /** Nodes do not expire: nothing to renew (flannel's RenewLease is unimplemented here too). */
    @Override
    public Lease renew(Lease own, Duration ttl) {
        return own;
    }

    @Override
    public void delete(Ip4Net subnet) {
        throw new LeaseException("the Kubernetes subnet manager deletes no lease: subnet " + subnet + " is a node's podCIDR");
    }

    @Override
    public AutoCloseable watch(LeaseSnapshot start, Listener listener) {
        NodeWatch w = new NodeWatch(client, leases, skips, listener, metrics);
        currentWatch = w;
        return () -> {
            if (currentWatch == w) {
                currentWatch = null;
            }
            w.close();
        };
    }

    /** The public-ip-overwrite annotation of this host's node, if set (flannel publishes it instead of the interface's address). */
    public Optional<Ip4> publicIpOverwrite() {
        try {
            return leases.publicIpOverwrite(ownNode());
        } catch (IllegalArgumentException e) {
            throw new LeaseException("node " + nodeName() + ": " + e.getMessage(), e);
        }
    }

    /**
     * The public-ipv6-overwrite annotation of this host's node, if set. flannel's main takes it as
     * this host's PublicIPv6; here it is what the node publishes as {@code public-ipv6}
     * ({@link NodeLeases#annotationsFor}), for the agent to take as its {@code --public-ipv6}.
     */
    public Optional<String> publicIpv6Overwrite() {
        try {
            return leases.publicIpv6Overwrite(ownNode());
        } catch (IllegalArgumentException e) {
            throw new LeaseException("node " + nodeName() + ": " + e.getMessage(), e);
        }
    }

    /**
     * With {@code --set-node-network-unavailable} (the default), the node's NetworkUnavailable
     * condition becomes False, reason FlannelIsUp, as flannel's CompleteLease writes it; retried in
     * the background until it is written.
     */
    @Override
    public void hostReady(Lease own) {
        if (options.setNodeNetworkUnavailable()) {
            retries.execute(this::clearNetworkUnavailable);
        }
    }

    /**
     * flannel sends a strategic merge patch, which merges the conditions by type. A JSON patch
     * (RFC 6902) does the same explicitly: replace the NetworkUnavailable entry where it is (after
     * a {@code test} that it is still there), or append one; every other condition (Ready, the
     * kubelet's pressures) stays as it is, and a concurrent change makes the test fail and the
     * patch retry instead of clobbering it.
     */
    private void clearNetworkUnavailable() {
        try {
            String patch = networkUnavailablePatch(ownNode(), Instant.now());
            call("set node " + nodeName() + "'s NetworkUnavailable condition", () -> client.nodes().withName(nodeName())
                    .subresource("status").patch(PatchContext.of(PatchType.JSON), patch));
            LOG.info("node {}: NetworkUnavailable is False (FlannelIsUp)", nodeName());
        } catch (LeaseException e) {
            LOG.warn("{}; trying again in {}", e.getMessage(), CONDITION_RETRY);
            if (!retries.isShutdown()) {
                retries.schedule(this::clearNetworkUnavailable, CONDITION_RETRY.toMillis(), TimeUnit.MILLISECONDS);
            }
        }
    }

    /** The JSON patch that sets NetworkUnavailable=False (FlannelIsUp) on {@code n}, as flannel's CompleteLease writes the condition. */
    static String networkUnavailablePatch(Node n, Instant at) {
        String now = at.truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
        ObjectNode c = JSON.createObjectNode();
        c.put("type", "NetworkUnavailable");
        c.put("status", "False");
        c.put("lastHeartbeatTime", now);
        c.put("lastTransitionTime", now);
        c.put("reason", "FlannelIsUp");
        c.put("message", "Flannel is running on this node");
        ArrayNode ops = JSON.createArrayNode();
        List<io.fabric8.kubernetes.api.model.NodeCondition> conditions = n.getStatus() == null || n.getStatus().getConditions() == null
                ? List.of() : n.getStatus().getConditions();
        int at_ = -1;
        for (int i = 0; i < conditions.size(); i++) {
            if ("NetworkUnavailable".equals(conditions.get(i).getType())) {
                at_ = i;
                break;
            }
        }
        if (n.getStatus() == null) {
            ops.addObject().put("op", "add").put("path", "/status").set("value", JSON.createObjectNode().set("conditions",
                    JSON.createArrayNode().add(c)));
        } else if (n.getStatus().getConditions() == null) {
            ops.addObject().put("op", "add").put("path", "/status/conditions").set("value", JSON.createArrayNode().add(c));
        } else if (at_ < 0) {
            ops.addObject().put("op", "add").put("path", "/status/conditions/-").set("value", c);
        } else {
            ops.addObject().put("op", "test").put("path", "/status/conditions/" + at_ + "/type").put("value", "NetworkUnavailable");
            ops.addObject().put("op", "replace").put("path", "/status/conditions/" + at_).set("value", c);
        }
        return ops.toString();
    }

    private Node ownNode() {
        String name = nodeName();
        Node n = call("read node " + name, () -> client.nodes().withName(name).get());
        if (n == null) {
            throw new LeaseException.StoreUnavailableException("node " + name + " does not exist in " + describe()
                    + " (is NODE_NAME this node's name, as `kubectl get nodes` shows it?)", null);
        }
        return n;
    }

    @Override
    public String describe() {
        return "the Kubernetes API at " + server + " (node " + (nodeName == null ? "of pod " + options.envValue("POD_NAME").orElse("?") : nodeName) + ")";
    }

    @Override
    public void close() {
        retries.shutdownNow();
        client.close();
    }

    private <T> T call(String what, java.util.function.Supplier<T> request) {
        try {
            return request.get();
        } catch (KubernetesClientException e) {
            String why = e.getCode() > 0 ? "HTTP " + e.getCode() + ": " + (e.getStatus() == null ? e.getMessage() : e.getStatus().getMessage())
                    : String.valueOf(e.getCause() == null ? e.getMessage() : e.getCause());
            throw new LeaseException.StoreUnavailableException("cannot " + what + " at " + server + ": " + why, e);
        }
    }
}
