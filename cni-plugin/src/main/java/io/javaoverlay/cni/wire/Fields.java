package io.javaoverlay.cni.wire;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

import io.javaoverlay.cni.CniException;
import io.javaoverlay.cni.ErrorCode;

/**
 * Typed reads from a JSON object with errors that name the key and what was wrong with it.
 * A key whose value is JSON null counts as absent. {@code code} is the error a wrong type is
 * reported as: {@link ErrorCode#INVALID_CONFIG} for configuration, {@link ErrorCode#DECODING_FAILURE}
 * for a result that cannot be read.
 */
final class Fields {

    private final Map<String, Object> object;
    private final String where;
    private final ErrorCode code;

    Fields(Map<String, Object> object, String where, ErrorCode code) {
        this.object = object;
        this.where = where;
        this.code = code;
    }

    @SuppressWarnings("unchecked")
    static Fields of(Object value, String where, ErrorCode code) {
        if (!(value instanceof Map)) {
            throw new CniException(code, where + " must be a JSON object", where + " is " + describe(value));
        }
        return new Fields((Map<String, Object>) value, where, code);
    }

    Map<String, Object> map() {
        return object;
    }

    boolean has(String key) {
        return object.get(key) != null;
    }

    Optional<String> string(String key) {
        Object v = object.get(key);
        if (v == null) {
            return Optional.empty();
        }
        if (!(v instanceof String s)) {
            throw wrong(key, "a string", v);
        }
        return Optional.of(s);
    }

    String requiredString(String key) {
        return string(key).filter(s -> !s.isEmpty())
                .orElseThrow(() -> new CniException(code, "missing " + path(key), path(key) + " is required"));
    }

    Optional<Boolean> bool(String key) {
        Object v = object.get(key);
        if (v == null) {
            return Optional.empty();
        }
        if (!(v instanceof Boolean b)) {
            throw wrong(key, "true or false", v);
        }
        return Optional.of(b);
    }

    OptionalInt integer(String key) {
        Object v = object.get(key);
        if (v == null) {
            return OptionalInt.empty();
        }
        if (!(v instanceof Long l) || l < Integer.MIN_VALUE || l > Integer.MAX_VALUE) {
            throw wrong(key, "a whole number", v);
        }
        return OptionalInt.of((int) (long) l);
    }

    List<String> strings(String key) {
        Object v = object.get(key);
        if (v == null) {
            return List.of();
        }
        if (!(v instanceof List<?> list)) {
            throw wrong(key, "a list of strings", v);
        }
        List<String> out = new ArrayList<>(list.size());
        for (Object e : list) {
            if (!(e instanceof String s)) {
                throw wrong(key, "a list of strings", v);
            }
            out.add(s);
        }
        return out;
    }

    List<Object> list(String key) {
        Object v = object.get(key);
        if (v == null) {
            return List.of();
        }
        if (!(v instanceof List<?> list)) {
            throw wrong(key, "a list", v);
        }
        return new ArrayList<>(list);
    }

    Optional<Fields> object(String key) {
        Object v = object.get(key);
        return v == null ? Optional.empty() : Optional.of(of(v, path(key), code));
    }

    String path(String key) {
        return where.isEmpty() ? "\"" + key + "\"" : where + "." + key;
    }

    CniException wrong(String key, String expected, Object got) {
        return new CniException(code, path(key) + " must be " + expected, path(key) + " is " + describe(got));
    }

    static String describe(Object v) {
        if (v == null) {
            return "null";
        }
        if (v instanceof String s) {
            return "the string \"" + s + "\"";
        }
        if (v instanceof Map) {
            return "an object";
        }
        if (v instanceof List) {
            return "a list";
        }
        return v.getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT) + " " + v;
    }
}
