package io.javaoverlay.docker.state;

import java.util.regex.Pattern;

/**
 * Docker's IDs name files in the state directory and (in part) interfaces, so only the
 * characters Docker uses are accepted: a crafted ID can never name a path outside it.
 */
public final class Ids {

    private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}");

    private Ids() {}

    public static boolean isValid(String id) {
        return id != null && SAFE.matcher(id).matches();
    }

    /** Throws {@link IllegalArgumentException} naming {@code what} unless {@code id} is valid. */
    public static void check(String what, String id) {
        if (id == null || id.isEmpty()) {
            throw new IllegalArgumentException(what + " ID is missing");
        }
        if (!isValid(id)) {
            throw new IllegalArgumentException(what + " ID \"" + id + "\" is not a Docker ID (letters, digits, _.:- only)");
        }
    }
}
