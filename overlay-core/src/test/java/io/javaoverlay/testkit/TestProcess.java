package io.javaoverlay.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import io.javaoverlay.core.process.ProcessTrees;

/**
 * A long-running process a test started inside a namespace (an agent, etcd, iperf3 -s ...).
 * Its stdout and stderr go to {@link #logFile()}. The {@link TestNetwork} that started it
 * stops it at teardown if the test did not.
 */
public final class TestProcess {

    private final String name;
    private final List<String> command;
    private final Process process;
    private final Path logFile;

    TestProcess(String name, List<String> command, Process process, Path logFile) {
        this.name = name;
        this.command = List.copyOf(command);
        this.process = process;
        this.logFile = logFile;
    }

    public String name() {
        return name;
    }

    public long pid() {
        return process.pid();
    }

    public Process process() {
        return process;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public Path logFile() {
        return logFile;
    }

    /** Everything the process printed so far (stdout and stderr interleaved). */
    public String log() {
        try {
            return Files.exists(logFile) ? Files.readString(logFile, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Waits until the log contains {@code text}; fails with the log if the process dies or time runs out. */
    public void awaitLog(String text, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!log().contains(text)) {
            if (!process.isAlive()) {
                throw new AssertionError(name + " exited " + process.exitValue() + " before printing \"" + text + "\"; log:\n" + log());
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError(name + " did not print \"" + text + "\" within " + timeout + "; log:\n" + log());
            }
            Pause.sleep(50, "waiting for " + name + " to print \"" + text + "\"");
        }
    }

    /** SIGTERM, up to {@code grace} to exit, then SIGKILL; returns the exit code. */
    public int stop(Duration grace) {
        ProcessTrees.stop(process.toHandle(), grace);
        try {
            return process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while stopping " + name, e);
        }
    }

    public int stop() {
        return stop(Duration.ofSeconds(5));
    }

    @Override
    public String toString() {
        return name + " (pid " + pid() + "): " + String.join(" ", command);
    }
}
