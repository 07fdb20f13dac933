package io.javaoverlay.cli.demo;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.javaoverlay.core.process.Commands;

/**
 * The demo's way to run a short command: {@link Commands} without the agent's and the CNI
 * plugin's variables of the user's environment (a {@code FLANNELD_*} there must not reach the
 * demo's agents), a failure to run it as a {@link DemoException}.
 */
final class Command {

    private static final List<String> UNSET = List.of("FLANNELD_", "CNI_", "ETCD");

    private Command() {}

    static Commands.Result run(List<String> command, Duration timeout) {
        return run(command, Map.of(), null, timeout);
    }

    /** Runs {@code command}; on timeout kills it (by PID, with its descendants) and says so. */
    static Commands.Result run(List<String> command, Map<String, String> env, String stdin, Duration timeout) {
        try {
            return Commands.run(command, env, UNSET, stdin, timeout);
        } catch (Commands.CommandException e) {
            throw new DemoException(e.getMessage());
        }
    }

    /** Whether an executable is on PATH (or the absolute path exists). */
    static boolean available(String name) {
        if (name.startsWith("/")) {
            return java.nio.file.Files.isExecutable(java.nio.file.Path.of(name));
        }
        String path = System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
        for (String dir : path.split(":")) {
            if (!dir.isEmpty() && java.nio.file.Files.isExecutable(java.nio.file.Path.of(dir, name))) {
                return true;
            }
        }
        return false;
    }
}
