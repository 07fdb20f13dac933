package io.javaoverlay.testkit;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Assumptions;

/**
 * What a privileged test needs from this machine, checked before it starts.
 *
 * <p>In CI ({@code CI=true}) a test that cannot run fails with the list of what is missing:
 * a privileged test never skips silently there. Elsewhere it is skipped with the same message.
 */
public final class Requirements {

    private final List<String> missing = new ArrayList<>();

    private Requirements() {}

    public static Requirements check() {
        return new Requirements();
    }

    /** Running as root (network namespaces, netlink writes, iptables). */
    public Requirements root() {
        if (!isRoot()) {
            missing.add("root (run the tests as root: namespaces and netlink writes need CAP_NET_ADMIN)");
        }
        return this;
    }

    /** An executable file, naming the Debian package that provides it. */
    public Requirements executable(String path, String debianPackage) {
        Path p = Path.of(path);
        if (!Files.isExecutable(p)) {
            missing.add(path + " (apt-get install " + debianPackage + ")");
        }
        return this;
    }

    /** A command found on PATH (tests run it by name), naming the Debian package that provides it. */
    public Requirements command(String name, String debianPackage) {
        if (onPath(name) == null) {
            missing.add(name + " on PATH (apt-get install " + debianPackage + "; PATH=" + System.getenv("PATH") + ")");
        }
        return this;
    }

    /** The executable {@code name} on PATH, or null. */
    public static Path onPath(String name) {
        String path = System.getenv("PATH");
        if (path == null) {
            return null;
        }
        for (String dir : path.split(":")) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, name);
            if (Files.isExecutable(candidate) && !Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    /** A device or file that must exist, e.g. /dev/net/tun. */
    public Requirements file(String path, String hint) {
        if (!Files.exists(Path.of(path))) {
            missing.add(path + " (" + hint + ")");
        }
        return this;
    }

    /** Fails (in CI) or skips (elsewhere) when anything is missing. */
    public void orAbort() {
        if (missing.isEmpty()) {
            return;
        }
        String message = "this test needs: " + String.join("; ", missing);
        if (inCi()) {
            throw new AssertionError(message + " (CI=true: privileged tests must run in CI, not skip)");
        }
        Assumptions.abort(message);
    }

    public static boolean inCi() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    public static boolean isRoot() {
        try {
            Object uid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
            return Integer.valueOf(0).equals(uid);
        } catch (Exception e) {
            return "root".equals(System.getProperty("user.name"));
        }
    }
}
