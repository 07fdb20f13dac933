package io.javaoverlay.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.javaoverlay.core.sandbox.ProcessTrees;

/** Runs commands for tests with a timeout, capturing stdout and stderr. */
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
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().putAll(env);
        if (stdin == null) {
            pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        }
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + String.join(" ", command), e);
        }
        CompletableFuture<String> out = drain(p.getInputStream());
        CompletableFuture<String> err = drain(p.getErrorStream());
        try {
            if (stdin != null) {
                try (var in = p.getOutputStream()) {
                    in.write(stdin.getBytes(StandardCharsets.UTF_8));
                } catch (IOException e) {
                    // the command exited (or closed its stdin) before reading all of it, a broken pipe:
                    // that is its answer to give, through its exit code and output, not a harness failure
                }
            }
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                ProcessTrees.stop(p.toHandle(), Duration.ZERO);
                throw new AssertionError("command timed out after " + timeout + ": " + String.join(" ", command)
                        + "; stderr so far: " + err.getNow(""));
            }
            // A background child that inherited the pipes could keep them open: bound the wait.
            return new ExecResult(List.copyOf(command), p.exitValue(), out.get(5, TimeUnit.SECONDS), err.get(5, TimeUnit.SECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            ProcessTrees.stop(p.toHandle(), Duration.ZERO);
            throw new AssertionError("interrupted while running " + String.join(" ", command), e);
        } catch (ExecutionException | TimeoutException e) {
            throw new AssertionError("cannot read the output of " + String.join(" ", command), e);
        }
    }

    private static CompletableFuture<String> drain(InputStream in) {
        CompletableFuture<String> f = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try (in) {
                f.complete(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                f.complete("<output unreadable: " + e.getMessage() + ">");
            }
        }, "exec-drain");
        t.setDaemon(true);
        t.start();
        return f;
    }
}
