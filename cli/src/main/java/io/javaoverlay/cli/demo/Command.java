package io.javaoverlay.cli.demo;

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

/** Runs a short command to completion with a timeout and captures its output. */
final class Command {

    /** What a finished command left. */
    record Result(List<String> command, int exitCode, String stdout, String stderr) {
        boolean ok() {
            return exitCode == 0;
        }

        Result orThrow() {
            if (!ok()) {
                throw new DemoException(describe());
            }
            return this;
        }

        String describe() {
            String err = stderr.isBlank() ? stdout : stderr;
            return "`" + String.join(" ", command) + "` exited " + exitCode + (err.isBlank() ? "" : ": " + err.strip());
        }
    }

    private Command() {}

    static Result run(List<String> command, Duration timeout) {
        return run(command, Map.of(), null, timeout);
    }

    /** Runs {@code command}; on timeout kills it (by PID, with its descendants) and says so. */
    static Result run(List<String> command, Map<String, String> env, String stdin, Duration timeout) {
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().keySet().removeIf(k -> k.startsWith("FLANNELD_") || k.startsWith("CNI_") || k.startsWith("ETCD"));
        pb.environment().putAll(env);
        if (stdin == null) {
            pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        }
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new DemoException("cannot run " + command.get(0) + ": " + e.getMessage());
        }
        CompletableFuture<String> out = drain(p.getInputStream());
        CompletableFuture<String> err = drain(p.getErrorStream());
        try {
            if (stdin != null) {
                try (var in = p.getOutputStream()) {
                    in.write(stdin.getBytes(StandardCharsets.UTF_8));
                }
            }
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                ProcessTrees.stop(p.toHandle(), Duration.ZERO);
                throw new DemoException("`" + String.join(" ", command) + "` did not finish within " + timeout.toSeconds() + " s");
            }
            return new Result(List.copyOf(command), p.exitValue(), out.get(5, TimeUnit.SECONDS), err.get(5, TimeUnit.SECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            ProcessTrees.stop(p.toHandle(), Duration.ZERO);
            throw new DemoException("interrupted while running " + command.get(0));
        } catch (ExecutionException | TimeoutException e) {
            throw new DemoException("cannot read the output of " + command.get(0) + ": " + e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write to " + command.get(0), e);
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

    private static CompletableFuture<String> drain(InputStream in) {
        CompletableFuture<String> f = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try (in) {
                f.complete(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                f.complete("");
            }
        }, "demo output");
        t.setDaemon(true);
        t.start();
        return f;
    }
}
