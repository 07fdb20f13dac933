package io.javaoverlay.testkit;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.javaoverlay.core.process.Commands;

/** Runs commands for tests with a timeout, capturing stdout and stderr ({@link Commands}; a failure to run one fails the test). */
public final class Exec {

    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    private Exec() {}

    public static ExecResult run(String... command) {
        return run(List.of(command), Map.of(), null, DEFAULT_TIMEOUT);
    }

    /** Runs a command and fails the test (AssertionError with its stderr) unless it exits 0; returns stdout. */
    public static String ok(String... command) {
        return run(command).orThrow().stdout();
    }

    /**
     * Runs {@code command} with extra environment variables and optional stdin. On timeout the
     * command and its descendants are killed and an AssertionError says which command hung.
     */
    public static ExecResult run(List<String> command, Map<String, String> env, String stdin, Duration timeout) {
        Commands.Result r;
        try {
            r = Commands.run(command, env, List.of(), stdin, timeout);
        } catch (Commands.CommandException e) {
            throw new AssertionError(e.getMessage(), e);
        }
        return new ExecResult(r.command(), r.exitCode(), r.stdout(), r.stderr());
    }
}
