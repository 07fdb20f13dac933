package io.javaoverlay.core.process;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs a short command to completion with a timeout and captures its output: the one way the
 * {@code demo} command and the test harness run {@code ip}, {@code ping} and the like. A command
 * still running at the timeout is killed by its PID, with its descendants.
 */
public final class Commands {

    /** How long the output may still take once the command exited (a background child may hold the pipes). */
    private static final Duration OUTPUT_GRACE = Duration.ofSeconds(5);

    /** What a finished command left. */
    public record Result(List<String> command, int exitCode, String stdout, String stderr) {

        public boolean ok() {
            return exitCode == 0;
        }

        /** {@code `cmd args` exited N: stderr (or stdout)}. */
        public String describe() {
            String err = stderr.isBlank() ? stdout : stderr;
            return "`" + String.join(" ", command) + "` exited " + exitCode + (err.isBlank() ? "" : ": " + err.strip());
        }
    }

    /** The command could not be started, did not finish in time, or its output could not be read. */
    public static final class CommandException extends RuntimeException {

        private static final long serialVersionUID = 1L;

        CommandException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private Commands() {}

    /**
     * Runs {@code command} with {@code env} added to this process's environment, less the
     * variables whose names start with one of {@code unsetPrefixes}, and with {@code stdin}
     * written to it (null: it reads {@code /dev/null}). A command that exits before it read all
     * of its input gives its answer through its exit code and output, not as a failure here.
     */
    public static Result run(List<String> command, Map<String, String> env, Collection<String> unsetPrefixes, String stdin,
            Duration timeout) {
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().keySet().removeIf(k -> unsetPrefixes.stream().anyMatch(k::startsWith));
        pb.environment().putAll(env);
        if (stdin == null) {
            pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        }
        String shown = String.join(" ", command);
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new CommandException("cannot run " + shown + ": " + e.getMessage(), e);
        }
        CompletableFuture<String> out = drain(p.getInputStream());
        CompletableFuture<String> err = drain(p.getErrorStream());
        try {
            if (stdin != null) {
                try (OutputStream in = p.getOutputStream()) {
                    in.write(stdin.getBytes(StandardCharsets.UTF_8));
                } catch (IOException e) {
                    // a broken pipe: the command exited or closed its input early
                }
            }
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                ProcessTrees.stop(p.toHandle(), Duration.ZERO);
                throw new CommandException("command timed out after " + timeout + ": " + shown + "; stderr so far: "
                        + err.getNow("").strip(), null);
            }
            return new Result(List.copyOf(command), p.exitValue(), out.get(OUTPUT_GRACE.toMillis(), TimeUnit.MILLISECONDS),
                    err.get(OUTPUT_GRACE.toMillis(), TimeUnit.MILLISECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            ProcessTrees.stop(p.toHandle(), Duration.ZERO);
            throw new CommandException("interrupted while running " + shown, e);
        } catch (ExecutionException | TimeoutException e) {
            throw new CommandException("cannot read the output of " + shown + ": " + e, e);
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
        }, "command output");
        t.setDaemon(true);
        t.start();
        return f;
    }
}
