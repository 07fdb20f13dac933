package io.javaoverlay.core.config;

import java.math.BigInteger;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.Ip4Ranges;
import io.javaoverlay.core.net.Ip6Net;

/**
 * flannel's network config: the JSON at {@code <prefix>/config} in etcd, or in the file named by
 * {@code --net-config-path}.
 *
 * <pre>
 * {"Network": "10.5.0.0/16", "SubnetLen": 24, "Backend": {"Type": "vxlan", "VNI": 1}}
 * </pre>
 *
 * {@link #parse} reads it as flannel does (keys case-insensitive, unknown keys ignored, no
 * {@code Backend} means udp), fills in flannel's defaults and validates the result, including
 * what flannel does not check ({@code SubnetMin} above {@code SubnetMax}). A value of this type
 * is always complete and valid.
 *
 * @param subnetLen the prefix length of every host's subnet
 * @param subnetMin the first subnet address a host may lease (inclusive)
 * @param subnetMax the last subnet address a host may lease (inclusive)
 * @param ipv6      present when {@code EnableIPv6} is true
 * @param enableNFTables {@code EnableNFTables}: the agent's masquerade and forward rules are nftables
 *                  ones in flannel's {@code flannel-ipv4} table instead of iptables chains
 */
public record NetworkConfig(boolean enableIPv4, Ip4Net network, int subnetLen, Ip4 subnetMin, Ip4 subnetMax,
                            Optional<Ipv6Config> ipv6, BackendConfig backend, boolean enableNFTables) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** IPv6 ranges no overlay may hold (RFC 4291): what {@link Ip4Ranges} is for IPv4. */
    private static final Map<String, Ip6Net> SPECIAL_V6 = Map.of(
            "the loopback address", Ip6Net.parse("::1/128"),
            "the unspecified address", Ip6Net.parse("::/128"),
            // an IPv4-mapped one (::ffff:0:0/96) never parses as IPv6 here (Java reads it as IPv4)
            "the link-local range", Ip6Net.parse("fe80::/10"),
            "the multicast range", Ip6Net.parse("ff00::/8"));

    public NetworkConfig {
        if (backend == null || ipv6 == null) {
            throw new IllegalArgumentException("backend and ipv6 must not be null");
        }
        if (enableIPv4 && (network == null || subnetMin == null || subnetMax == null)) {
            throw new IllegalArgumentException("an IPv4 config needs network, subnetMin and subnetMax");
        }
    }

    /** Parses, completes with flannel's defaults, and validates a network config JSON text. */
    public static NetworkConfig parse(String json) {
        JsonNode root;
        try {
            root = JsonErrors.readTree(JSON, json == null ? "" : json);
        } catch (JsonErrors.InvalidJsonException e) {
            throw new NetworkConfigException("the network config is not valid JSON " + e.getMessage()
                    + " (expected e.g. {\"Network\": \"10.244.0.0/16\", \"Backend\": {\"Type\": \"vxlan\"}})", e);
        }
        if (root == null || root.isMissingNode()) {
            throw new NetworkConfigException("the network config is empty: write e.g. {\"Network\": \"10.244.0.0/16\", \"Backend\": {\"Type\": \"vxlan\"}}");
        }
        if (!root.isObject()) {
            throw new NetworkConfigException("the network config must be a JSON object, e.g. {\"Network\": \"10.244.0.0/16\"}");
        }
        JsonFields f = new JsonFields((ObjectNode) root, "");

        boolean enableIPv4 = f.bool("EnableIPv4").orElse(true);
        boolean enableIPv6 = f.bool("EnableIPv6").orElse(false);
        BackendConfig backend = parseBackend(f.get("Backend"));

        Ip4Net network = null;
        int subnetLen = 0;
        Ip4 min = null;
        Ip4 max = null;
        if (enableIPv4) {
            network = parseNetwork(f.string("Network"));
            Integer len = f.integer("SubnetLen", 0, 32).orElse(null);
            subnetLen = subnetLength(network, len == null ? 0 : len);
            long size = 1L << (32 - subnetLen);
            min = f.string("SubnetMin").map(s -> parseIp("SubnetMin", s)).orElse(network.address().plus(size));
            max = f.string("SubnetMax").map(s -> parseIp("SubnetMax", s)).orElse(network.next().address().plus(-size));
            checkBound("SubnetMin", min, network, subnetLen);
            checkBound("SubnetMax", max, network, subnetLen);
            if (min.compareTo(max) > 0) {
                throw new NetworkConfigException("SubnetMin " + min + " is above SubnetMax " + max + ": swap them or widen the range");
            }
        } else if (!enableIPv6) {
            throw new NetworkConfigException("EnableIPv4 and EnableIPv6 are both false: enable at least one");
        }

        Optional<Ipv6Config> ipv6 = Optional.empty();
        if (enableIPv6) {
            String text = f.string("IPv6Network").orElseThrow(() -> new NetworkConfigException(
                    "IPv6Network is missing while EnableIPv6 is true: set it to the cluster's IPv6 CIDR, e.g. \"fc00::/48\""));
            Ip6Net net6;
            try {
                net6 = Ip6Net.parse(text);
            } catch (IllegalArgumentException e) {
                throw new NetworkConfigException("IPv6Network \"" + text + "\" is not an IPv6 CIDR: use e.g. \"fc00::/48\"");
            }
            // as for Network: a range every host depends on (loopback, link-local, multicast)
            // or the whole space would replace routes the hosts need
            for (Map.Entry<String, Ip6Net> special : SPECIAL_V6.entrySet()) {
                if (net6.overlaps(special.getValue())) {
                    throw new NetworkConfigException("IPv6Network " + net6 + " overlaps " + special.getKey() + " " + special.getValue()
                            + ": no host can route that into an overlay; use a unique local range such as \"fc00::/48\"");
                }
            }
            ipv6 = Optional.of(Ipv6Config.resolve(net6, f.integer("IPv6SubnetLen", 0, 128).orElse(null),
                    f.string("IPv6SubnetMin").map(s -> parseIp6("IPv6SubnetMin", s)).orElse(null),
                    f.string("IPv6SubnetMax").map(s -> parseIp6("IPv6SubnetMax", s)).orElse(null)));
        }
        boolean enableNFTables = f.bool("EnableNFTables").orElse(false);
        return new NetworkConfig(enableIPv4, network, subnetLen, min, max, ipv6, backend, enableNFTables);
    }

    /**
     * Whether a subnet may be leased under this config: flannel's compatibility test, applied to
     * a host's old lease (same public IP, or the subnet in its subnet file) before it is reused.
     */
    public boolean isCompatible(Ip4Net subnet) {
        return subnet.prefixLength() == subnetLen && subnet.address().compareTo(subnetMin) >= 0
                && subnet.address().compareTo(subnetMax) <= 0;
    }

    /**
     * flannel's isIPv6SubnetConfigCompat: with IPv6 enabled a lease needs an IPv6 subnet of
     * IPv6SubnetLen within IPv6SubnetMin..IPv6SubnetMax; with it disabled, none.
     */
    public boolean isCompatible(Optional<Ip6Net> ipv6Subnet) {
        if (ipv6.isEmpty()) {
            return ipv6Subnet.isEmpty();
        }
        return ipv6Subnet.isPresent() && ipv6.get().fits(ipv6Subnet.get());
    }

    /** How many subnets SubnetMin..SubnetMax holds. */
    public long subnetCount() {
        return ((subnetMax.unsigned() - subnetMin.unsigned()) >>> (32 - subnetLen)) + 1;
    }

    /** The backend type, for short. */
    public BackendType backendType() {
        return backend.type();
    }

    /** A one-line summary for the log. */
    public String describe() {
        return "Network=" + network + " SubnetLen=" + subnetLen + " SubnetMin=" + subnetMin + " SubnetMax=" + subnetMax
                + ipv6.map(v -> " IPv6Network=" + v.network() + " IPv6SubnetLen=" + v.subnetLen() + " IPv6SubnetMin=" + Ip6Net.format(v.subnetMin())
                        + " IPv6SubnetMax=" + Ip6Net.format(v.subnetMax())).orElse("")
                + " Backend=" + backend + (enableNFTables ? " EnableNFTables=true" : "");
    }

    private static BackendConfig parseBackend(Optional<JsonNode> node) {
        if (node.isEmpty()) {
            // flannel: a config without "Backend" runs the udp backend
            return BackendConfig.of(BackendType.UDP);
        }
        if (!node.get().isObject()) {
            throw new NetworkConfigException("Backend must be a JSON object like {\"Type\": \"vxlan\"}, got " + node.get());
        }
        ObjectNode obj = (ObjectNode) node.get();
        BackendType type = BackendType.parse(new JsonFields(obj, "Backend.").string("Type").orElse(null));
        return new BackendConfig(type, obj);
    }

    private static Ip4Net parseNetwork(Optional<String> text) {
        String t = text.orElseThrow(() -> new NetworkConfigException(
                "Network is missing: set \"Network\" to the cluster's IPv4 CIDR, e.g. \"10.244.0.0/16\""));
        if (t.indexOf(':') >= 0) {
            throw new NetworkConfigException("Network \"" + t + "\" is not an IPv4 CIDR: set an IPv4 network such as \"10.244.0.0/16\""
                    + " (an IPv6 network goes in \"IPv6Network\" with \"EnableIPv6\": true)");
        }
        if (t.indexOf('/') < 0) {
            throw new NetworkConfigException("Network \"" + t + "\" has no prefix length: write it as a CIDR, e.g. \"" + t + "/16\"");
        }
        Ip4Net network;
        try {
            // like Go's ParseCIDR (and so flannel), host bits are cleared rather than refused
            network = Ip4Net.parseHost(t).network();
        } catch (IllegalArgumentException e) {
            throw new NetworkConfigException("Network \"" + t + "\" is not an IPv4 CIDR (" + e.getMessage() + "): use e.g. \"10.244.0.0/16\"");
        }
        // flannel takes any CIDR; we refuse what would route the whole space, loopback, multicast or
        // link-local into the overlay: every host would then replace routes it depends on
        Optional<Ip4Ranges.Special> special = Ip4Ranges.overlappedBy(network);
        if (special.isPresent()) {
            throw new NetworkConfigException("Network " + network + " overlaps " + special.get().name()
                    + ": no host can route that into an overlay; use a private range such as \"10.244.0.0/16\"");
        }
        return network;
    }

    /** flannel's SubnetLen rules: explicit ones checked, else 24 for a /22 or wider, else prefix+2. */
    private static int subnetLength(Ip4Net network, int subnetLen) {
        int prefix = network.prefixLength();
        if (subnetLen > 0) {
            if (subnetLen > 30) {
                throw new NetworkConfigException("SubnetLen " + subnetLen
                        + " is too long: use 30 or less so each host's subnet has room for a bridge and containers");
            }
            if (subnetLen < prefix + 2) {
                throw new NetworkConfigException("SubnetLen " + subnetLen + " is too short for Network " + network
                        + ": use at least " + (prefix + 2) + " so the network holds four subnets");
            }
            return subnetLen;
        }
        if (prefix > 28) {
            throw new NetworkConfigException("Network " + network + " is too small: use a /28 or wider");
        }
        return prefix <= 22 ? 24 : prefix + 2;
    }

    private static Ip4 parseIp(String name, String text) {
        try {
            return Ip4.parse(text);
        } catch (IllegalArgumentException e) {
            throw new NetworkConfigException(name + " \"" + text + "\" is not an IPv4 address: use a subnet address such as \"10.244.1.0\"");
        }
    }

    private static BigInteger parseIp6(String name, String text) {
        try {
            return Ip6Net.parseAddress(text);
        } catch (IllegalArgumentException e) {
            throw new NetworkConfigException(name + " \"" + text + "\" is not an IPv6 address: use e.g. \"fc00:0:0:1::\"");
        }
    }

    private static void checkBound(String name, Ip4 ip, Ip4Net network, int subnetLen) {
        if (!network.contains(ip)) {
            throw new NetworkConfigException(name + " " + ip + " is outside Network " + network + ": pick a subnet inside it");
        }
        Ip4 aligned = new Ip4(ip.value() & Ip4Net.mask(subnetLen));
        if (!aligned.equals(ip)) {
            throw new NetworkConfigException(name + " " + ip + " is not on a /" + subnetLen + " boundary: use " + aligned);
        }
    }
}
