package io.javaoverlay.cli;

/**
 * A flanneld flag (or its FLANNELD_* variable) that javaoverlay will not run with: a capability
 * it lacks, or a combination it would otherwise have to ignore. Main prints the message and
 * exits with picocli's usage-error code; the agent never starts half-configured.
 */
final class RefusedFlagException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String flag;

    RefusedFlagException(String flag, String why) {
        super(flag + " (" + FlanneldEnvDefaults.variableFor(flag) + ") is refused: " + why);
        this.flag = flag;
    }

    /** The flag's long name, e.g. {@code --public-ipv6}. */
    String flag() {
        return flag;
    }
}
