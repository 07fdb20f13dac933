package io.javaoverlay.core.config;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.regex.Pattern;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.io.JsonEOFException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Says in words where a JSON text is wrong: "at line 3, column 1: the text ends before the object opened at line 1,
 * column 1 is closed with }", never Jackson's internals ({@code [Source: REDACTED (StreamReadFeature...}).
 * flannel prints Go's "unexpected end of JSON input" with no position; an operator fixing a config by hand needs
 * the line.
 */
public final class JsonErrors {

    // Jackson names positions as "[Source: ...; line: 2, column: 5]"; keep the numbers, drop the rest
    private static final Pattern SOURCE = Pattern.compile("\\[Source: [^;\\]]*; line: (\\d+)(?:, column: (\\d+))?]");
    private static final Pattern START_MARKER = Pattern.compile("\\((?:start marker at|for (\\w+) starting at) (\\[Source: [^\\]]*])\\)");
    private static final Pattern CHAR_CODE = Pattern.compile(" \\(code \\d+\\)");

    private JsonErrors() {
    }

    /** A JSON text that does not parse; the message says where and what, in words. */
    public static final class InvalidJsonException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        InvalidJsonException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * Reads exactly one JSON value, as Go's json.Unmarshal does: text after it (a config pasted twice, a stray
     * brace) is an error too. Empty text gives null.
     *
     * @throws InvalidJsonException saying where the text is wrong
     */
    public static JsonNode readTree(ObjectMapper mapper, String text) {
        try (JsonParser p = mapper.createParser(text)) {
            JsonNode node;
            try {
                node = mapper.readTree(p);
            } catch (JsonProcessingException e) {
                throw new InvalidJsonException(describe(e, text), e);
            }
            JsonLocation extra;
            try {
                extra = p.nextToken() == null ? null : p.currentTokenLocation();
            } catch (JsonProcessingException e) {
                extra = e.getLocation();
            }
            if (node != null && extra != null) {
                throw new InvalidJsonException(where(extra) + "more text after the end of the JSON value that ends before it"
                        + " (pasted twice, or a stray } or ]?)", null);
            }
            return node;
        } catch (IOException e) {
            throw new UncheckedIOException("reading JSON from a string", e);
        }
    }

    /** Where and what: "at line L, column C: ..." with a hint for the usual hand-editing slips. */
    public static String describe(JsonProcessingException e, String text) {
        JsonLocation at = e.getLocation();
        return where(at) + what(e) + hint(text, at);
    }

    private static String where(JsonLocation at) {
        return at == null || at.getLineNr() < 1 ? "" : "at line " + at.getLineNr() + ", column " + at.getColumnNr() + ": ";
    }

    private static String what(JsonProcessingException e) {
        if (e instanceof JsonEOFException eof) {
            String cut = " (is the text cut short?)";
            if (eof.getTokenBeingDecoded() == JsonToken.VALUE_STRING || eof.getTokenBeingDecoded() == JsonToken.FIELD_NAME) {
                return "the text ends inside a string: its closing \" is missing" + cut;
            }
            JsonParser p = eof.getProcessor();
            if (p != null && p.getParsingContext() != null) {
                JsonStreamContext c = p.getParsingContext();
                if (c.inObject() || c.inArray()) {
                    JsonLocation start = c.startLocation(null);
                    String opened = start == null || start.getLineNr() < 1 ? ""
                            : " opened at line " + start.getLineNr() + ", column " + start.getColumnNr();
                    return "the text ends before the " + (c.inObject() ? "object" : "array") + opened + " is closed with "
                            + (c.inObject() ? "}" : "]") + cut;
                }
            }
            return "the text ends too early" + cut;
        }
        String m = e.getOriginalMessage() == null ? e.getClass().getSimpleName() : e.getOriginalMessage();
        m = START_MARKER.matcher(m).replaceAll(r -> "(" + (r.group(1) == null ? "opened" : "for the " + r.group(1).toLowerCase()
                + " opened") + " " + position(r.group(2)) + ")");
        m = SOURCE.matcher(m).replaceAll(r -> position(r.group()));
        m = CHAR_CODE.matcher(m).replaceAll("");
        return m.isEmpty() ? m : Character.toLowerCase(m.charAt(0)) + m.substring(1);
    }

    private static String position(String jacksonLocation) {
        var r = SOURCE.matcher(jacksonLocation);
        if (!r.find()) {
            return jacksonLocation;
        }
        return "at line " + r.group(1) + (r.group(2) == null ? "" : ", column " + r.group(2));
    }

    /** Hints chosen from the character at the error, not from Jackson's wording. */
    private static String hint(String text, JsonLocation at) {
        // the location's char offset is the 0-based index of the offending character
        if (text == null || at == null || at.getCharOffset() < 0 || at.getCharOffset() >= text.length()) {
            return "";
        }
        int offset = (int) at.getCharOffset();
        char c = text.charAt(offset);
        if (c == '\'') {
            return "; JSON strings and keys take double quotes (\"), not single ones";
        }
        if (c == '}' || c == ']') {
            String before = text.substring(0, offset).stripTrailing();
            if (before.endsWith(",")) {
                return "; JSON allows no comma after the last entry";
            }
        }
        if (Character.isLetter(c) && text.substring(0, offset).stripTrailing().matches("(?s).*[{,]")) {
            return "; keys take double quotes, e.g. \"Network\"";
        }
        return "";
    }
}
