package io.javaoverlay.core.firewall;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Finds a command on {@code PATH} the way {@code execvp} does, so the agent can tell "iptables is
 * not installed" (nothing to clean up, nothing to count) from "iptables failed".
 */
public final class Executables {

    private Executables() {}

    /** The first executable named {@code name} on the process's {@code PATH}. */
    public static Optional<Path> onPath(String name) {
        return onPath(name, System.getenv("PATH"));
    }

    static Optional<Path> onPath(String name, String path) {
        if (path == null || path.isEmpty()) {
            return Optional.empty();
        }
        for (String dir : path.split(File.pathSeparator)) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, name);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }
}
