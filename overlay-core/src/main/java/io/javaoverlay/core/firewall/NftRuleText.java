package io.javaoverlay.core.firewall;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Turns a rule that {@code nft -j} listed back into the text it was written as
 * ({@code ip saddr 10.5.0.0/16 ip daddr != 224.0.0.0/4 masquerade fully-random}), so the rules a
 * chain holds compare with the ones wanted as plain strings.
 *
 * <p>Only the expressions this program writes are understood: address matches, the meta mark, and
 * the {@code return}, {@code accept} and {@code masquerade} verdicts. Anything else (a rule an
 * operator added, a counter) is rendered as a placeholder that never equals a wanted rule, so the
 * chain is rewritten: exactly what a chain this program owns should get.
 */
final class NftRuleText {

    private NftRuleText() {}

    /** The rule's {@code expr} array as text. */
    static String of(JsonNode expressions) {
        List<String> parts = new ArrayList<>();
        for (JsonNode e : expressions) {
            parts.add(expression(e));
        }
        return String.join(" ", parts);
    }

    private static String expression(JsonNode e) {
        if (e.has("match")) {
            return match(e.get("match"));
        }
        if (e.has("return")) {
            return "return";
        }
        if (e.has("accept")) {
            return "accept";
        }
        if (e.has("masquerade")) {
            JsonNode m = e.get("masquerade");
            JsonNode flags = m == null ? null : m.get("flags");
            if (flags == null || flags.isNull()) {
                return "masquerade";
            }
            List<String> names = new ArrayList<>();
            if (flags.isArray()) {
                flags.forEach(f -> names.add(f.asText()));
            } else {
                names.add(flags.asText());
            }
            return "masquerade " + String.join(",", names);
        }
        return unknown(e);
    }

    private static String match(JsonNode m) {
        String op = m.path("op").asText();
        String left = left(m.path("left"));
        String right = right(m.path("left"), m.path("right"));
        if (left == null || right == null || !(op.equals("==") || op.equals("!="))) {
            return unknown(m);
        }
        // nft prints "==" as nothing: "ip saddr 10.5.0.0/16", "ip saddr != 10.5.0.0/16"
        return left + (op.equals("!=") ? " != " : " ") + right;
    }

    private static String left(JsonNode left) {
        JsonNode payload = left.get("payload");
        if (payload != null) {
            return payload.path("protocol").asText() + " " + payload.path("field").asText();
        }
        JsonNode meta = left.get("meta");
        if (meta != null) {
            return "meta " + meta.path("key").asText();
        }
        return null;
    }

    private static String right(JsonNode left, JsonNode right) {
        JsonNode prefix = right.get("prefix");
        if (prefix != null) {
            return prefix.path("addr").asText() + "/" + prefix.path("len").asInt();
        }
        if (right.isTextual() && left.has("payload")) {
            // nft lists a /32 (/128) as the bare address
            return right.asText() + (right.asText().indexOf(':') >= 0 ? "/128" : "/32");
        }
        if (right.isIntegralNumber() && left.has("meta")) {
            return "0x" + Long.toHexString(right.asLong());
        }
        return null;
    }

    private static String unknown(JsonNode e) {
        return "<not written by javaoverlay: " + e + ">";
    }
}
