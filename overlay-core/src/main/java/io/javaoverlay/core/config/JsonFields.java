package io.javaoverlay.core.config;

import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The members of a JSON object looked up by name case-insensitively, as Go's encoding/json does
 * for flannel's structs: {@code "network"}, {@code "Network"} and {@code "NETWORK"} are one key,
 * and the last one in the text wins. {@code null} values count as absent, as in Go.
 */
final class JsonFields {

    private final Map<String, JsonNode> fields = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    private final String where;

    JsonFields(ObjectNode node, String where) {
        this.where = where;
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            fields.put(e.getKey(), e.getValue());
        }
    }

    Optional<JsonNode> get(String name) {
        JsonNode v = fields.get(name);
        return v == null || v.isNull() ? Optional.empty() : Optional.of(v);
    }

    Optional<String> string(String name) {
        return get(name).map(v -> {
            if (!v.isTextual()) {
                throw new NetworkConfigException(where + name + " must be a string, got " + v);
            }
            return v.textValue();
        });
    }

    Optional<Boolean> bool(String name) {
        return get(name).map(v -> {
            if (!v.isBoolean()) {
                throw new NetworkConfigException(where + name + " must be true or false, got " + v);
            }
            return v.booleanValue();
        });
    }

    /** A whole number in {@code [min, max]}; Go refuses 24.0 and "24" for an int field, so do we. */
    Optional<Integer> integer(String name, long min, long max) {
        return get(name).map(v -> {
            if (!v.isIntegralNumber() || !v.canConvertToLong()) {
                throw new NetworkConfigException(where + name + " must be a whole number, got " + v);
            }
            long n = v.longValue();
            if (n < min || n > max) {
                throw new NetworkConfigException(where + name + " must be " + min + "-" + max + ", got " + n);
            }
            return (int) n;
        });
    }
}
