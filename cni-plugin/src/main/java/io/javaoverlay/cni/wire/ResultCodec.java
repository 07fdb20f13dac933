package io.javaoverlay.cni.wire;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

import io.javaoverlay.cni.CniException;
import io.javaoverlay.cni.CniVersion;
import io.javaoverlay.cni.ErrorCode;
import io.javaoverlay.cni.model.Dns;
import io.javaoverlay.cni.model.Interface;
import io.javaoverlay.cni.model.IpConfig;
import io.javaoverlay.cni.model.Result;
import io.javaoverlay.cni.model.Route;

/**
 * Results to and from their JSON form. Encoding follows the requested version (0.1.0/0.2.0:
 * {@code "ip4"} and {@code "ip6"}; 0.3.x/0.4.0: {@code "version"} per IP; 1.1.0: interface MTUs);
 * decoding accepts the form of every version that has a {@code prevResult} (0.3.0 on: CHECK came
 * with 0.4.0), since one comes in whatever version the runtime used.
 */
public final class ResultCodec {

    private ResultCodec() {}

    public static Map<String, Object> encode(Result r, CniVersion version) {
        if (version.legacyResult()) {
            return encodeLegacy(r, version);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("cniVersion", version.text());
        if (!r.interfaces().isEmpty()) {
            List<Object> ifs = new ArrayList<>();
            for (Interface i : r.interfaces()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("name", i.name());
                i.mac().ifPresent(v -> m.put("mac", v));
                if (version.interfacesCarryMtu()) {
                    i.mtu().ifPresent(v -> m.put("mtu", v));
                }
                i.sandbox().ifPresent(v -> m.put("sandbox", v));
                ifs.add(m);
            }
            out.put("interfaces", ifs);
        }
        if (!r.ips().isEmpty()) {
            List<Object> ips = new ArrayList<>();
            for (IpConfig ip : r.ips()) {
                Map<String, Object> m = new LinkedHashMap<>();
                if (version.ipsCarryVersion()) {
                    m.put("version", ip.family());
                }
                ip.interfaceIndex().ifPresent(v -> m.put("interface", v));
                m.put("address", ip.address());
                ip.gateway().ifPresent(v -> m.put("gateway", v));
                ips.add(m);
            }
            out.put("ips", ips);
        }
        if (!r.routes().isEmpty()) {
            List<Object> routes = new ArrayList<>();
            for (Route rt : r.routes()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("dst", rt.dst());
                rt.gw().ifPresent(v -> m.put("gw", v));
                if (version.interfacesCarryMtu()) {
                    rt.mtu().ifPresent(v -> m.put("mtu", v));
                    rt.advmss().ifPresent(v -> m.put("advmss", v));
                    rt.priority().ifPresent(v -> m.put("priority", v));
                    rt.table().ifPresent(v -> m.put("table", v));
                    rt.scope().ifPresent(v -> m.put("scope", v));
                }
                routes.add(m);
            }
            out.put("routes", routes);
        }
        out.put("dns", encodeDns(r.dns()));
        return out;
    }

    /**
     * A 0.1.0 or 0.2.0 result, as libcni converts a newer one down: the first address of each
     * family with its gateway as {@code "ip4"} and {@code "ip6"}, each route under the address of
     * its destination's family (dropped when there is none), the DNS; interfaces have no place.
     */
    private static Map<String, Object> encodeLegacy(Result r, CniVersion version) {
        Map<String, Map<String, Object>> byFamily = new LinkedHashMap<>();
        for (IpConfig ip : r.ips()) {
            byFamily.computeIfAbsent("ip" + ip.family(), k -> {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("ip", ip.address());
                ip.gateway().ifPresent(v -> m.put("gateway", v));
                return m;
            });
        }
        for (Route rt : r.routes()) {
            Map<String, Object> owner = byFamily.get(rt.dst().contains(":") ? "ip6" : "ip4");
            if (owner != null) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("dst", rt.dst());
                rt.gw().ifPresent(v -> m.put("gw", v));
                @SuppressWarnings("unchecked")
                List<Object> routes = (List<Object>) owner.computeIfAbsent("routes", k -> new ArrayList<Object>());
                routes.add(m);
            }
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("cniVersion", version.text());
        out.putAll(byFamily);
        out.put("dns", encodeDns(r.dns()));
        return out;
    }

    private static Map<String, Object> encodeDns(Dns dns) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (!dns.nameservers().isEmpty()) {
            m.put("nameservers", new ArrayList<Object>(dns.nameservers()));
        }
        dns.domain().ifPresent(v -> m.put("domain", v));
        if (!dns.search().isEmpty()) {
            m.put("search", new ArrayList<Object>(dns.search()));
        }
        if (!dns.options().isEmpty()) {
            m.put("options", new ArrayList<Object>(dns.options()));
        }
        return m;
    }

    /** A result in any supported version's form; problems are {@link ErrorCode#DECODING_FAILURE}. */
    public static Result decode(Object tree) {
        Fields r = Fields.of(tree, "prevResult", ErrorCode.DECODING_FAILURE);
        try {
            List<Interface> ifs = new ArrayList<>();
            for (Object o : r.list("interfaces")) {
                Fields i = Fields.of(o, "prevResult.interfaces[]", ErrorCode.DECODING_FAILURE);
                ifs.add(new Interface(i.requiredString("name"), i.string("mac"), i.integer("mtu"), i.string("sandbox")));
            }
            List<IpConfig> ips = new ArrayList<>();
            for (Object o : r.list("ips")) {
                Fields ip = Fields.of(o, "prevResult.ips[]", ErrorCode.DECODING_FAILURE);
                OptionalInt index = ip.integer("interface");
                if (index.isPresent() && (index.getAsInt() < 0 || index.getAsInt() >= ifs.size())) {
                    throw new CniException(ErrorCode.DECODING_FAILURE, "prevResult.ips[].interface out of range",
                            "interface index " + index.getAsInt() + " but the result has " + ifs.size() + " interfaces");
                }
                ips.add(new IpConfig(ip.requiredString("address"), ip.string("gateway"), index));
            }
            List<Route> routes = new ArrayList<>();
            for (Object o : r.list("routes")) {
                Fields rt = Fields.of(o, "prevResult.routes[]", ErrorCode.DECODING_FAILURE);
                routes.add(new Route(rt.requiredString("dst"), rt.string("gw"), rt.integer("mtu"), rt.integer("advmss"),
                        rt.integer("priority"), rt.integer("table"), rt.integer("scope")));
            }
            Dns dns = r.object("dns").map(NetConfDecoder::dns).orElse(Dns.EMPTY);
            return new Result(ifs, ips, routes, dns);
        } catch (IllegalArgumentException e) {
            throw new CniException(ErrorCode.DECODING_FAILURE, "prevResult is not a CNI result", e.getMessage());
        }
    }

    /** The error result the spec defines. */
    public static Map<String, Object> encodeError(CniVersion version, CniException e) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("cniVersion", version.text());
        out.put("code", e.code().code());
        out.put("msg", e.msg());
        if (!e.details().isEmpty()) {
            out.put("details", e.details());
        }
        return out;
    }

    /** VERSION's answer. */
    public static Map<String, Object> encodeVersions(CniVersion version) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("cniVersion", version.text());
        out.put("supportedVersions", new ArrayList<Object>(CniVersion.supported()));
        return out;
    }
}
