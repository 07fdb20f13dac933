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

    /** The value at {@code key} as a {@code type}; null when absent; {@link #wrong} (saying {@code expected}) when it is another type. */
    private <T> T typed(String key, Class<T> type, String expected) {
        Object v = object.get(key);
        if (v != null && !type.isInstance(v)) {
            throw wrong(key, expected, v);
        }
        return type.cast(v);
    }

    Optional<String> string(String key) {
        return Optional.ofNullable(typed(key, String.class, "a string"));
    }

    String requiredString(String key) {
        return string(key).filter(s -> !s.isEmpty())
                .orElseThrow(() -> new CniException(code, "missing " + path(key), path(key) + " is required"));
    }

    Optional<Boolean> bool(String key) {
        return Optional.ofNullable(typed(key, Boolean.class, "true or false"));
    }

    OptionalInt integer(String key) {
        Long l = typed(key, Long.class, "a whole number");
        if (l == null) {
            return OptionalInt.empty();
        }
        if (l < Integer.MIN_VALUE || l > Integer.MAX_VALUE) {
            throw wrong(key, "a whole number", l);
        }
        return OptionalInt.of((int) (long) l);
    }

    List<String> strings(String key) {
        List<?> list = typed(key, List.class, "a list of strings");
        if (list == null) {
            return List.of();
        }
        List<String> out = new ArrayList<>(list.size());
        for (Object e : list) {
            if (!(e instanceof String s)) {
                throw wrong(key, "a list of strings", list);
            }
            out.add(s);
        }
        return out;
    }

    List<Object> list(String key) {
        List<?> list = typed(key, List.class, "a list");
        return list == null ? List.of() : new ArrayList<>(list);
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
