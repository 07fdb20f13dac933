package io.javaoverlay.cli;

import java.util.Optional;
import java.util.Set;

/** Go's {@code strconv.ParseBool} words, which flanneld's flags and FLANNELD_* variables accept. */
final class GoBool {

    private static final Set<String> TRUE = Set.of("1", "t", "T", "true", "TRUE", "True");
    private static final Set<String> FALSE = Set.of("0", "f", "F", "false", "FALSE", "False");

    private GoBool() {
    }

    /** The value of a Go bool word, or empty when the text is not one (Go refuses "yes", "on", "tRuE"). */
    static Optional<Boolean> parse(String text) {
        if (TRUE.contains(text)) {
            return Optional.of(true);
        }
        if (FALSE.contains(text)) {
            return Optional.of(false);
        }
        return Optional.empty();
    }

    /** A readable list of the accepted words, for error messages. */
    static String words() {
        return "1, 0, t, f, T, F, true, false, TRUE, FALSE, True or False";
    }
}
