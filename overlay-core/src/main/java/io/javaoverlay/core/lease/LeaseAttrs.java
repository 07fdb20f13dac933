package io.javaoverlay.core.lease;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.javaoverlay.core.config.JsonErrors;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip6Net;

/**
 * What a host publishes with its subnet: the value of {@code <prefix>/subnets/<a.b.c.d>-<len>},
 * byte for byte as flannel's Go struct marshals it:
 *
 * <pre>
 * {"PublicIP":"10.0.0.5","PublicIPv6":null,"BackendType":"vxlan","BackendData":{"VNI":1,"VtepMAC":"a2:4e:..."}}
 * </pre>
 *
 * Field order is the struct's; {@code PublicIPv6} is a pointer without omitempty, so it is written
 * as {@code null} when absent; {@code BackendType}, {@code BackendData} and {@code BackendV6Data}
 * are omitted when empty (flannel's udp backend publishes no BackendType at all).
 *
 * @param publicIpv6    {@code PublicIPv6}: the host's IPv6 underlay address, in Go's text form (RFC 5952,
 *                      as {@code net.IP.String()} writes it); a text that is no IPv6 address is refused
 * @param backendData   the backend's JSON object (read-only by convention: never mutate it)
 * @param backendV6Data the IPv6 counterpart of a dual-stack lease ({@code {"VNI":1,"VtepMAC":...}} of
 *                      the {@code flannel-v6.<VNI>} device for vxlan)
 */
public record LeaseAttrs(Ip4 publicIp, Optional<String> publicIpv6, Optional<String> backendType,
                         Optional<JsonNode> backendData, Optional<JsonNode> backendV6Data) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public LeaseAttrs {
        if (publicIp == null) {
            throw new IllegalArgumentException("PublicIP is required");
        }
        // normalized, so that what this host compares and writes is what Go's net.IP would print
        publicIpv6 = publicIpv6 == null ? Optional.empty() : publicIpv6.map(t -> Ip6Net.format(Ip6Net.parseAddress(t)));
        backendType = backendType == null ? Optional.empty() : backendType.filter(s -> !s.isEmpty());
        backendData = backendData == null ? Optional.empty() : backendData.filter(n -> !n.isNull() && !n.isMissingNode());
        backendV6Data = backendV6Data == null ? Optional.empty() : backendV6Data.filter(n -> !n.isNull() && !n.isMissingNode());
    }

    /**
     * The {@code PublicIP} of an IPv6-only lease ({@code EnableIPv4: false}): flannel's zero address,
     * what its Kubernetes subnet manager reads for a node without an IPv4 half. Nothing is sent to it.
     */
    public static final Ip4 NO_PUBLIC_IP = Ip4.parse("0.0.0.0");

    /** An IPv6-only lease's attributes: {@code PublicIPv6} and {@code BackendV6Data}, no IPv4 half ({@link #NO_PUBLIC_IP}). */
    public static LeaseAttrs ipv6Only(String publicIpv6, Optional<String> backendType, Optional<JsonNode> backendV6Data) {
        return new LeaseAttrs(NO_PUBLIC_IP, Optional.of(publicIpv6), backendType, Optional.empty(), backendV6Data);
    }

    /** IPv4 attributes: a public IP, an optional backend type and optional backend data. */
    public static LeaseAttrs of(Ip4 publicIp, Optional<String> backendType, Optional<JsonNode> backendData) {
        return new LeaseAttrs(publicIp, Optional.empty(), backendType, backendData, Optional.empty());
    }

    /** The same attributes with an IPv6 half: {@code PublicIPv6} and {@code BackendV6Data}. */
    public LeaseAttrs withIpv6(String publicIpv6, Optional<JsonNode> v6Data) {
        return new LeaseAttrs(publicIp, Optional.of(publicIpv6), backendType, backendData, v6Data);
    }

    /** Parses a lease value written by flannel or javaoverlay; keys case-insensitive, as Go reads them. */
    public static LeaseAttrs parse(String json) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("lease value is not JSON " + JsonErrors.describe(e, json));
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("lease value is not a JSON object: " + json);
        }
        Map<String, JsonNode> f = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            f.put(e.getKey(), e.getValue());
        }
        JsonNode ip = f.get("PublicIP");
        if (ip == null || !ip.isTextual()) {
            throw new IllegalArgumentException("lease value has no PublicIP string: " + json);
        }
        return new LeaseAttrs(Ip4.parse(ip.textValue()), text(f.get("PublicIPv6")), text(f.get("BackendType")),
                Optional.ofNullable(f.get("BackendData")), Optional.ofNullable(f.get("BackendV6Data")));
    }

    private static Optional<String> text(JsonNode n) {
        return n == null || !n.isTextual() ? Optional.empty() : Optional.of(n.textValue());
    }

    /** flannel's serialization (see the class comment). */
    public String toJson() {
        StringWriter out = new StringWriter(128);
        try (JsonGenerator g = JSON.getFactory().createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("PublicIP", publicIp.toString());
            if (publicIpv6.isPresent()) {
                g.writeStringField("PublicIPv6", publicIpv6.get());
            } else {
                g.writeNullField("PublicIPv6");
            }
            if (backendType.isPresent()) {
                g.writeStringField("BackendType", backendType.get());
            }
            if (backendData.isPresent()) {
                g.writeFieldName("BackendData");
                g.writeTree(backendData.get());
            }
            if (backendV6Data.isPresent()) {
                g.writeFieldName("BackendV6Data");
                g.writeTree(backendV6Data.get());
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("writing JSON to a string cannot fail", e);
        }
        return out.toString();
    }

    @Override
    public String toString() {
        return toJson();
    }
}
