package io.javaoverlay.cni.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.javaoverlay.cni.wire.JsonTree;

/**
 * Checks JSON printed by a CNI plugin against the spec's shapes, per version: the keys each
 * object may have, their types, {@code "version"} in IPs for 0.3.x/0.4.0 only, interface indexes
 * in range, CIDR addresses. Shared with the executable-driven tests of the cli module.
 */
public final class CniJson {

    private static final Set<String> RESULT_KEYS = Set.of("cniVersion", "interfaces", "ips", "routes", "dns");
    private static final Set<String> INTERFACE_KEYS_1_1 = Set.of("name", "mac", "mtu", "sandbox", "socketPath", "pciID");
    private static final Set<String> INTERFACE_KEYS = Set.of("name", "mac", "sandbox");
    private static final Set<String> ROUTE_KEYS_1_1 = Set.of("dst", "gw", "mtu", "advmss", "priority", "table", "scope");
    private static final Set<String> ROUTE_KEYS = Set.of("dst", "gw");
    private static final Set<String> DNS_KEYS = Set.of("nameservers", "domain", "search", "options");

    private CniJson() {}

    @SuppressWarnings("unchecked")
    public static Map<String, Object> parseObject(String json) {
        try {
            Object tree = JsonTree.parse(json.getBytes(StandardCharsets.UTF_8));
            assertThat(tree).as("stdout must be one JSON object: %s", json).isInstanceOf(Map.class);
            return (Map<String, Object>) tree;
        } catch (JsonTree.MalformedException e) {
            throw new AssertionError("stdout is not JSON: \"" + json + "\": " + e.getMessage(), e);
        }
    }

    /** Asserts {@code json} is a valid ADD result of {@code version}; returns it parsed. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> assertAddResult(String json, String version) {
        Map<String, Object> r = parseObject(json);
        if (version.equals("0.1.0") || version.equals("0.2.0")) {
            return assertLegacyAddResult(r, version);
        }
        boolean v1 = !version.startsWith("0.");
        boolean v11 = version.equals("1.1.0");
        assertThat(r.keySet()).as("result keys").isSubsetOf(RESULT_KEYS);
        assertThat(r.get("cniVersion")).as("result cniVersion").isEqualTo(version);
        List<Object> ifs = (List<Object>) r.getOrDefault("interfaces", List.of());
        for (Object o : ifs) {
            Map<String, Object> i = (Map<String, Object>) o;
            assertThat(i.keySet()).as("interface keys in %s", version).isSubsetOf(v11 ? INTERFACE_KEYS_1_1 : INTERFACE_KEYS);
            assertThat(i.get("name")).isInstanceOf(String.class);
            if (i.containsKey("mac")) {
                assertThat((String) i.get("mac")).matches("[0-9a-f]{2}(:[0-9a-f]{2}){5}");
            }
            if (i.containsKey("mtu")) {
                assertThat(i.get("mtu")).isInstanceOf(Long.class);
            }
        }
        List<Object> ips = (List<Object>) r.get("ips");
        assertThat(ips).as("ips").isNotEmpty();
        for (Object o : ips) {
            Map<String, Object> ip = (Map<String, Object>) o;
            assertThat(ip.keySet()).isSubsetOf(v1 ? Set.of("address", "gateway", "interface")
                    : Set.of("version", "address", "gateway", "interface"));
            String family = family((String) ip.get("address"), true);
            if (v1) {
                assertThat(ip).as("1.x IPs carry no version").doesNotContainKey("version");
            } else {
                assertThat(ip.get("version")).as("0.3.x/0.4.0 IPs carry the address's family").isEqualTo(family);
            }
            if (ip.containsKey("gateway")) {
                assertThat(family((String) ip.get("gateway"), false)).as("gateway of the address's family").isEqualTo(family);
            }
            if (ip.containsKey("interface")) {
                assertThat((Long) ip.get("interface")).isBetween(0L, (long) ifs.size() - 1);
            }
        }
        for (Object o : (List<Object>) r.getOrDefault("routes", List.of())) {
            Map<String, Object> rt = (Map<String, Object>) o;
            assertThat(rt.keySet()).isSubsetOf(v11 ? ROUTE_KEYS_1_1 : ROUTE_KEYS);
            String family = family((String) rt.get("dst"), true);
            if (rt.containsKey("gw")) {
                assertThat(family((String) rt.get("gw"), false)).as("route gateway of the destination's family").isEqualTo(family);
            }
        }
        if (r.containsKey("dns")) {
            assertThat(((Map<String, Object>) r.get("dns")).keySet()).isSubsetOf(DNS_KEYS);
        }
        return r;
    }

    /**
     * A 0.1.0 or 0.2.0 result (libcni's {@code types020}): {@code "ip4"} and {@code "ip6"}, each an
     * address ({@code "ip"}, CIDR) of that family with its gateway and the routes of that family.
     */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> assertLegacyAddResult(Map<String, Object> r, String version) {
        assertThat(r.keySet()).as("%s result keys", version).isSubsetOf(Set.of("cniVersion", "ip4", "ip6", "dns"));
        assertThat(r.get("cniVersion")).as("result cniVersion").isEqualTo(version);
        assertThat(r.containsKey("ip4") || r.containsKey("ip6")).as("an address of one family at least: %s", r).isTrue();
        for (String key : List.of("ip4", "ip6")) {
            if (!r.containsKey(key)) {
                continue;
            }
            String family = key.substring(2);
            Map<String, Object> ip = (Map<String, Object>) r.get(key);
            assertThat(ip.keySet()).as("%s keys", key).isSubsetOf(Set.of("ip", "gateway", "routes"));
            assertThat(family((String) ip.get("ip"), true)).as("%s holds an IPv%s address", key, family).isEqualTo(family);
            if (ip.containsKey("gateway")) {
                assertThat(family((String) ip.get("gateway"), false)).as("%s gateway", key).isEqualTo(family);
            }
            for (Object o : (List<Object>) ip.getOrDefault("routes", List.of())) {
                Map<String, Object> rt = (Map<String, Object>) o;
                assertThat(rt.keySet()).isSubsetOf(ROUTE_KEYS);
                assertThat(family((String) rt.get("dst"), true)).as("%s routes of its family", key).isEqualTo(family);
                if (rt.containsKey("gw")) {
                    assertThat(family((String) rt.get("gw"), false)).isEqualTo(family);
                }
            }
        }
        if (r.containsKey("dns")) {
            assertThat(((Map<String, Object>) r.get("dns")).keySet()).isSubsetOf(DNS_KEYS);
        }
        return r;
    }

    private static final String IP4 = "\\d+\\.\\d+\\.\\d+\\.\\d+";
    /** RFC 5952 form, as Go's net.IP prints it: lower case, no leading zeros. */
    private static final String IP6 = "[0-9a-f:]*:[0-9a-f:]*";

    /** "4" or "6" for an address (with {@code /len} when {@code cidr}) in the form CNI results write it; fails otherwise. */
    public static String family(String text, boolean cidr) {
        String suffix = cidr ? "/\\d+" : "";
        if (text.matches(IP4 + suffix)) {
            return "4";
        }
        assertThat(text).as("an IPv4 or IPv6 address").matches(IP6 + suffix);
        String bare = cidr ? text.substring(0, text.indexOf('/')) : text;
        assertThat(io.javaoverlay.core.net.Ip6Net.format(io.javaoverlay.core.net.Ip6Net.parseAddress(bare)))
                .as("IPv6 address in RFC 5952 form").isEqualTo(bare);
        return "6";
    }

    /** Asserts {@code json} is an error result with {@code code}; returns it parsed. */
    public static Map<String, Object> assertError(String json, int code) {
        Map<String, Object> e = parseObject(json);
        assertThat(e.keySet()).as("error keys").isSubsetOf(Set.of("cniVersion", "code", "msg", "details"));
        assertThat(e.get("code")).as("error code in %s", json).isEqualTo((long) code);
        assertThat(e.get("msg")).isInstanceOf(String.class);
        assertThat((String) e.get("msg")).isNotBlank().doesNotContain("\tat ");
        assertThat(e.get("cniVersion")).isInstanceOf(String.class);
        return e;
    }
}
