package io.javaoverlay.kube;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.fabric8.kubernetes.api.model.Node;

import io.javaoverlay.core.lease.Lease;
import io.javaoverlay.core.lease.LeaseAttrs;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.Ip6Net;

/**
 * Nodes as leases, both ways, as flannel's kube subnet manager reads and writes them
 * ({@code nodeToLease}, {@code AcquireLease}):
 *
 * <ul>
 *   <li>a node is a peer only with {@code <prefix>kube-subnet-manager: "true"};</li>
 *   <li>its subnet is the IPv4 one of {@code spec.podCIDRs} (one or two entries), else
 *       {@code spec.podCIDR};</li>
 *   <li>{@code public-ip}, {@code backend-type} and {@code backend-data} (raw JSON, the string
 *       {@code null} for none) are the lease's attributes;</li>
 *   <li>the IPv6 half (dual stack): the IPv6 entry of {@code spec.podCIDRs} is the lease's IPv6
 *       subnet when the node publishes {@code public-ipv6}; {@code public-ipv6} and
 *       {@code backend-v6-data} are its {@code PublicIPv6} and {@code BackendV6Data}. A node
 *       without {@code public-ipv6} is an IPv4-only lease (flannel with IPv6 enabled skips such
 *       a node whole; its IPv4 half is still good here, as an IPv4-only etcd lease is).</li>
 *   <li>in an IPv6-only network ({@code EnableIPv4: false}, {@link #readIpv6Only}) only the IPv6
 *       half is read, as flannel's {@code nodeToLease} reads it then: {@code public-ipv6} (required),
 *       {@code backend-v6-data}, {@code backend-type} and the IPv6 podCIDR (required); the
 *       {@code public-ip} and {@code backend-data} a flannel host-gw node writes then
 *       ({@code 0.0.0.0}, {@code null}) are not read. The lease is {@link Lease#ipv6Only IPv6-only};
 *       its attributes' {@code PublicIP} is flannel's zero value {@code 0.0.0.0}, never used.</li>
 * </ul>
 *
 * Everything read is validated here, before any lease exists: a node that fails is
 * {@link Read#skipped skipped} with a reason, never half-read.
 */
public final class NodeLeases {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** flannel's zero {@code PublicIP} of an IPv6-only lease's attributes (never routed to: the lease has no IPv4 half). */
    static final Ip4 NO_PUBLIC_IP = Ip4.parse("0.0.0.0");

    private final NodeAnnotations keys;
    /** Whether the network is IPv6-only: nodes are then read by their IPv6 halves only. */
    private volatile boolean ipv6Only;

    public NodeLeases(NodeAnnotations keys) {
        this.keys = keys;
    }

    /** Reads nodes as an IPv6-only network's leases ({@code EnableIPv4: false} with {@code EnableIPv6}), or not. */
    public void readIpv6Only(boolean on) {
        this.ipv6Only = on;
    }

    public boolean readsIpv6Only() {
        return ipv6Only;
    }

    public NodeAnnotations keys() {
        return keys;
    }

    /** What a node amounts to: a lease, not a peer at all (no kube-subnet-manager annotation), or skipped (malformed). */
    public record Read(Optional<Lease> lease, Optional<Skip> skipped) {
        static Read none() {
            return new Read(Optional.empty(), Optional.empty());
        }

        static Read of(Lease l) {
            return new Read(Optional.of(l), Optional.empty());
        }

        static Read skip(String reason, String detail) {
            return new Read(Optional.empty(), Optional.of(new Skip(reason, detail)));
        }
    }

    /** Why a node's lease could not be read: a metric label and a sentence. */
    public record Skip(String reason, String detail) {}

    /** The node as a lease, as flannel's {@code nodeToLease} reads it, with javaoverlay's checks. */
    public Read read(Node n) {
        Map<String, String> a = annotations(n);
        if (!"true".equals(a.get(keys.kubeSubnetManager()))) {
            return Read.none();
        }
        try {
            return Read.of(ipv6Only ? ipv6OnlyLease(n, a) : lease(n, a));
        } catch (Skipped s) {
            return Read.skip(s.reason, s.detail);
        }
    }

    /**
     * Why a node is skipped, thrown by the readers below and turned into {@link Read#skip} once, in
     * {@link #read}. Control flow only: it carries no stack trace.
     */
    private static final class Skipped extends Exception {
        private static final long serialVersionUID = 1L;
        final String reason;
        final String detail;

        Skipped(String reason, String detail) {
            super(reason, null, false, false);
            this.reason = reason;
            this.detail = detail;
        }
    }

    /** What {@code parse} returns; when it refuses its input, the node is skipped for {@code reason}, said by {@code detail}. */
    private static <T> T orSkip(Supplier<T> parse, String reason, Function<IllegalArgumentException, String> detail) throws Skipped {
        try {
            return parse.get();
        } catch (IllegalArgumentException e) {
            throw new Skipped(reason, detail.apply(e));
        }
    }

    private Lease lease(Node n, Map<String, String> a) throws Skipped {
        String ipText = a.get(keys.publicIp());
        if (ipText == null || ipText.isEmpty()) {
            throw new Skipped("no-public-ip", "it has no " + keys.publicIp() + " annotation");
        }
        Ip4 ip = orSkip(() -> Ip4.parse(ipText), "bad-public-ip", e -> keys.publicIp() + " \"" + ipText + "\" is not an IPv4 address");
        Optional<JsonNode> data = orSkip(() -> backendData(a.get(keys.backendData())), "bad-backend-data",
                e -> keys.backendData() + " " + e.getMessage());
        Optional<Ip4Net> subnet = orSkip(() -> podCidr(n), "bad-pod-cidr", IllegalArgumentException::getMessage);
        if (subnet.isEmpty()) {
            throw new Skipped("no-pod-cidr", "it has no IPv4 podCIDR (spec.podCIDR " + spec(n, "podCIDR") + ", spec.podCIDRs "
                    + spec(n, "podCIDRs") + ")");
        }
        Ipv6Half v6 = readIpv6Half(n, a);
        LeaseAttrs attrs = new LeaseAttrs(ip, v6.publicIpv6(), Optional.ofNullable(a.get(keys.backendType())), data, v6.backendData());
        return new Lease(subnet.get(), v6.podCidr(), attrs, false, Optional.empty(), 0);
    }

    /**
     * A node's IPv6 half as both readers take it: {@code public-ipv6}, {@code backend-v6-data}, and,
     * when it publishes an IPv6 address, its IPv6 podCIDR.
     */
    private record Ipv6Half(Optional<String> publicIpv6, Optional<JsonNode> backendData, Optional<Ip6Net> podCidr) {}

    private Ipv6Half readIpv6Half(Node n, Map<String, String> a) throws Skipped {
        String ip6Text = Optional.ofNullable(a.get(keys.publicIpv6())).orElse("");
        Optional<String> ip6 = ip6Text.isEmpty() ? Optional.empty()
                : Optional.of(orSkip(() -> Ip6Net.format(Ip6Net.parseAddress(ip6Text)), "bad-public-ipv6",
                        e -> keys.publicIpv6() + " \"" + abbreviate(ip6Text) + "\" is not an IPv6 address"));
        Optional<JsonNode> data6 = orSkip(() -> backendData(a.get(keys.backendV6Data())), "bad-backend-v6-data",
                e -> keys.backendV6Data() + " " + e.getMessage());
        Optional<Ip6Net> subnet6 = ip6.isEmpty() ? Optional.empty()
                : orSkip(() -> podCidr6(n), "bad-pod-cidr", IllegalArgumentException::getMessage);
        return new Ipv6Half(ip6, data6, subnet6);
    }

    /** An IPv6-only network's lease: the IPv6 half alone (see the class comment). */
    private Lease ipv6OnlyLease(Node n, Map<String, String> a) throws Skipped {
        String ip6Text = Optional.ofNullable(a.get(keys.publicIpv6())).orElse("");
        if (ip6Text.isEmpty()) {
            throw new Skipped("no-public-ipv6", "it has no " + keys.publicIpv6() + " annotation (the network is IPv6-only)");
        }
        Ipv6Half v6 = readIpv6Half(n, a);
        if (v6.podCidr().isEmpty()) {
            throw new Skipped("no-pod-cidr", "it has no IPv6 podCIDR (spec.podCIDR " + spec(n, "podCIDR") + ", spec.podCIDRs "
                    + spec(n, "podCIDRs") + ") and the network is IPv6-only");
        }
        LeaseAttrs attrs = new LeaseAttrs(NO_PUBLIC_IP, v6.publicIpv6(), Optional.ofNullable(a.get(keys.backendType())), Optional.empty(),
                v6.backendData());
        return Lease.ipv6Only(v6.podCidr().get(), attrs, false, Optional.empty(), 0);
    }

    /**
     * The node's IPv6 pod CIDR, as flannel's {@code AcquireLease} picks it: the IPv6 entry of
     * {@code spec.podCIDRs} (one or two entries), else {@code spec.podCIDR} when it is IPv6; empty
     * when there is none. Host bits are cleared, as Go's ParseCIDR does.
     *
     * @throws IllegalArgumentException when an entry is not a CIDR, or there are three or more
     */
    public static Optional<Ip6Net> podCidr6(Node n) {
        Optional<Ip6Net> found = Optional.empty();
        for (String c : podCidrs(n)) {
            if (c.indexOf(':') < 0) {
                ipv4Cidr(c); // a malformed IPv4 entry is an error here too
                continue;
            }
            try {
                Ip6Net v6 = Ip6Net.parse(c);
                if (found.isEmpty()) {
                    found = Optional.of(v6);
                }
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("pod CIDR \"" + c + "\" is not a CIDR: " + e.getMessage());
            }
        }
        return found;
    }

    /**
     * The node's IPv4 pod CIDR, as flannel picks it: from {@code spec.podCIDRs} when it has one or
     * two entries (the IPv4 one), from {@code spec.podCIDR} when it has none; empty when there is
     * no IPv4 one (not assigned yet, or IPv6 only). Host bits are cleared, as Go's ParseCIDR does.
     *
     * @throws IllegalArgumentException when an entry is not a CIDR, or there are three or more
     */
    public static Optional<Ip4Net> podCidr(Node n) {
        Optional<Ip4Net> found = Optional.empty();
        for (String c : podCidrs(n)) {
            Optional<Ip4Net> v4 = ipv4Cidr(c);
            if (v4.isPresent() && found.isEmpty()) {
                found = v4;
            }
        }
        return found;
    }

    /**
     * The node's pod CIDRs as both families pick from them: {@code spec.podCIDRs}, else
     * {@code spec.podCIDR} alone; none when neither is set.
     *
     * @throws IllegalArgumentException when there are three or more
     */
    private static List<String> podCidrs(Node n) {
        if (n.getSpec() == null) {
            return List.of();
        }
        List<String> cidrs = n.getSpec().getPodCIDRs();
        if (cidrs == null || cidrs.isEmpty()) {
            String one = n.getSpec().getPodCIDR();
            return one == null || one.isEmpty() ? List.of() : List.of(one);
        }
        if (cidrs.size() > 2) {
            throw new IllegalArgumentException("its pod CIDRs " + cidrs + " are neither single nor dual stack");
        }
        return cidrs;
    }

    /** An IPv4 CIDR, empty for an IPv6 one. */
    private static Optional<Ip4Net> ipv4Cidr(String text) {
        int slash = text.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("pod CIDR \"" + text + "\" is not a CIDR");
        }
        if (text.indexOf(':') >= 0) {
            return Optional.empty(); // IPv6: podCidr6's
        }
        try {
            Ip4 addr = Ip4.parse(text.substring(0, slash));
            int len = Integer.parseInt(text.substring(slash + 1));
            return Optional.of(Ip4Net.containing(addr, len));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("pod CIDR \"" + text + "\" is not a CIDR: " + e.getMessage());
        }
    }

    /** {@code null} (or nothing) is no data; anything else must be a JSON object. */
    private static Optional<JsonNode> backendData(String raw) {
        if (raw == null || raw.isEmpty() || raw.equals("null")) {
            return Optional.empty();
        }
        JsonNode n;
        try {
            n = JSON.readTree(raw);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("is not JSON: " + abbreviate(raw));
        }
        if (n == null || n.isNull()) {
            return Optional.empty();
        }
        if (!n.isObject()) {
            throw new IllegalArgumentException("is not a JSON object: " + abbreviate(raw));
        }
        return Optional.of(n);
    }

    /**
     * The annotations this host's attributes are published as, exactly as flannel's
     * {@code AcquireLease} writes them: {@code backend-type}; {@code backend-data} as Go marshals
     * the backend's attributes ({@code null} when it has none), except that vxlan without data
     * writes none; {@code public-ip}, unless the node carries {@code public-ip-overwrite}, whose
     * value is published instead; and {@code kube-subnet-manager: "true"}. With a
     * {@code PublicIPv6} (dual stack), {@code backend-v6-data} ({@code null} for host-gw; vxlan
     * without IPv6 data writes none, as for IPv4) and {@code public-ipv6} (or the node's
     * {@code public-ipv6-overwrite}) beside them, under flannel's condition.
     *
     * @param existing the node's annotations now (for the overwrite)
     */
    public Map<String, String> annotationsFor(LeaseAttrs attrs, Map<String, String> existing) {
        Map<String, String> out = new LinkedHashMap<>();
        String type = attrs.backendType().orElse("");
        String data = attrs.backendData().map(JsonNode::toString).orElse("null");
        out.put(keys.backendType(), type);
        if (!type.equals("vxlan") || !data.equals("null")) {
            out.put(keys.backendData(), data);
            String overwrite = existing.getOrDefault(keys.publicIpOverwrite(), "");
            out.put(keys.publicIp(), overwrite.isEmpty() ? attrs.publicIp().toString() : overwrite);
        }
        if (attrs.publicIpv6().isPresent()) {
            String data6 = attrs.backendV6Data().map(JsonNode::toString).orElse("null");
            // flannel's AcquireLease: vxlan and wireguard with IPv6 data, host-gw and extension always
            if (type.equals("host-gw") || type.equals("extension") || ((type.equals("vxlan") || type.equals("wireguard")) && !data6.equals("null"))) {
                out.put(keys.backendV6Data(), data6);
                String overwrite6 = Optional.ofNullable(existing.get(keys.publicIpv6Overwrite())).orElse("");
                if (!overwrite6.isEmpty()) {
                    try {
                        overwrite6 = Ip6Net.format(Ip6Net.parseAddress(overwrite6));
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException(keys.publicIpv6Overwrite() + " \"" + abbreviate(overwrite6)
                                + "\" is not an IPv6 address: correct or remove the annotation");
                    }
                }
                out.put(keys.publicIpv6(), overwrite6.isEmpty() ? attrs.publicIpv6().get() : overwrite6);
            }
        }
        out.put(keys.kubeSubnetManager(), "true");
        return out;
    }

    /** Whether {@code existing} already says all of {@code wanted} (then flannel patches nothing). */
    public static boolean satisfied(Map<String, String> existing, Map<String, String> wanted) {
        return wanted.entrySet().stream().allMatch(e -> e.getValue().equals(existing.get(e.getKey())));
    }

    /** The public-ip-overwrite annotation, when set to an IPv4 address. */
    public Optional<Ip4> publicIpOverwrite(Node n) {
        String v = annotations(n).getOrDefault(keys.publicIpOverwrite(), "");
        if (v.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(Ip4.parse(v));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(keys.publicIpOverwrite() + " \"" + v + "\" is not an IPv4 address");
        }
    }

    /** The public-ipv6-overwrite annotation, when set: an IPv6 address in Go's form (RFC 5952). */
    public Optional<String> publicIpv6Overwrite(Node n) {
        String v = Optional.ofNullable(annotations(n).get(keys.publicIpv6Overwrite())).orElse("");
        if (v.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(Ip6Net.format(Ip6Net.parseAddress(v)));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(keys.publicIpv6Overwrite() + " \"" + abbreviate(v) + "\" is not an IPv6 address");
        }
    }

    static Map<String, String> annotations(Node n) {
        if (n.getMetadata() == null || n.getMetadata().getAnnotations() == null) {
            return Map.of();
        }
        return n.getMetadata().getAnnotations();
    }

    private static String spec(Node n, String field) {
        if (n.getSpec() == null) {
            return "unset";
        }
        Object v = field.equals("podCIDR") ? n.getSpec().getPodCIDR() : n.getSpec().getPodCIDRs();
        return v == null ? "unset" : "\"" + v + "\"";
    }

    private static String abbreviate(String s) {
        return s.length() > 80 ? s.substring(0, 80) + "..." : s;
    }
}
