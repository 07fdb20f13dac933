package io.javaoverlay.core.config;

import java.util.Optional;
import java.util.OptionalInt;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The {@code Backend} object of the network config: its {@link BackendType} and the keys the
 * backends read. The common keys are validated when the config is parsed and offered typed;
 * anything else stays reachable through {@link #get(String)} and {@link #raw()}.
 *
 * <p>Keys are matched case-insensitively as flannel does ({@code "VNI"} and {@code "vni"}).
 * Defaults belong to each backend (vxlan: VNI 1, kernel port 8472; udp: port 8285) and are not
 * filled in here, so a backend can tell "not set" from "set to the default".
 *
 * @param raw the Backend object as written; a copy, never mutated
 */
public record BackendConfig(BackendType type, ObjectNode raw) {

    /** The largest VXLAN network identifier: the VNI is a 24-bit field. */
    public static final int MAX_VNI = (1 << 24) - 1;

    public BackendConfig {
        if (type == null) {
            throw new IllegalArgumentException("backend type is missing");
        }
        raw = raw == null ? JsonNodeFactory.instance.objectNode() : raw.deepCopy();
        // validate the typed keys now so a bad value is a config error, not a backend crash later
        JsonFields f = new JsonFields(raw, "Backend.");
        f.integer("VNI", 0, MAX_VNI);
        f.integer("Port", 0, 65535);
        f.integer("MTU", 68, 65535);
        f.bool("DirectRouting");
        f.bool("GBP");
        f.bool("Learning");
        if (type == BackendType.WIREGUARD) {
            WireguardOptions.parse(raw);
        }
    }

    /** A Backend of the given type with no other keys. */
    public static BackendConfig of(BackendType type) {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        node.put("Type", type.flannelName());
        return new BackendConfig(type, node);
    }

    /** The Backend object as written (a copy). */
    @Override
    public ObjectNode raw() {
        return raw.deepCopy();
    }

    /** Any Backend key, looked up case-insensitively; empty when absent or null. */
    public Optional<JsonNode> get(String key) {
        return fields().get(key).map(JsonNode::deepCopy);
    }

    /** {@code VNI} (vxlan), 0-16777215. */
    public OptionalInt vni() {
        return optionalInt(fields().integer("VNI", 0, MAX_VNI));
    }

    /** {@code Port}: vxlan's UDP destination port or the udp backend's listening port. */
    public OptionalInt port() {
        return optionalInt(fields().integer("Port", 0, 65535));
    }

    /** {@code MTU}: an explicit device MTU (vxlan), instead of the external interface's minus overhead. */
    public OptionalInt mtu() {
        return optionalInt(fields().integer("MTU", 68, 65535));
    }

    /** {@code DirectRouting} (vxlan): route to peers on the same L2 directly, as host-gw does. */
    public boolean directRouting() {
        return fields().bool("DirectRouting").orElse(false);
    }

    /** {@code GBP} (vxlan): VXLAN Group Based Policy extension. */
    public boolean gbp() {
        return fields().bool("GBP").orElse(false);
    }

    /** {@code Learning} (vxlan): let the kernel learn FDB entries. */
    public boolean learning() {
        return fields().bool("Learning").orElse(false);
    }

    /** The wireguard backend's keys with flannel's defaults ({@link WireguardOptions}); valid for any type. */
    public WireguardOptions wireguard() {
        return WireguardOptions.parse(raw);
    }

    private JsonFields fields() {
        return new JsonFields(raw, "Backend.");
    }

    private static OptionalInt optionalInt(Optional<Integer> v) {
        return v.map(OptionalInt::of).orElse(OptionalInt.empty());
    }

    @Override
    public String toString() {
        return raw.toString();
    }
}
