package io.javaoverlay.testkit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;

import io.javaoverlay.core.process.ProcessTrees;

/**
 * Another process holding a shared POSIX lock on a file, as a local user with read access did
 * with {@code lockf(LOCK_SH)}: a child JVM opens the file read-only, takes the shared lock,
 * prints {@code held} and keeps it until it is closed (killed by PID). Shared is enough to
 * block every exclusive locker.
 *
 * <pre>{@code
 * try (LockHolder holder = LockHolder.hold(store.lockFile())) { ... every lock() call waits ... }
 * }</pre>
 */
public final class LockHolder implements AutoCloseable {

    private final Process process;

    private LockHolder(Process process) {
        this.process = process;
    }

    /** Starts the holder and returns once it holds the lock; {@code file} must exist. */
    public static LockHolder hold(Path file) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p;
        try {
            p = new ProcessBuilder(java, "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                    LockHolder.class.getName(), file.toString())
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start a lock holder for " + file, e);
        }
        LockHolder holder = new LockHolder(p);
        String line;
        try {
            line = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII)).readLine();
        } catch (IOException e) {
            holder.close();
            throw new UncheckedIOException("cannot read from the lock holder for " + file, e);
        }
        if (!"held".equals(line)) {
            holder.close();
            throw new AssertionError("the lock holder for " + file + " did not take the lock (said " + line + ")");
        }
        return holder;
    }

    public long pid() {
        return process.pid();
    }

    /** Kills the holder at once (SIGKILL) and waits for it to be gone, as every process the tests start is stopped. */
    @Override
    public void close() {
        ProcessTrees.stop(process.toHandle(), Duration.ZERO);
    }

    /** The child: lock {@code args[0]} shared, say so, then wait to be killed. */
    public static void main(String[] args) throws Exception {
        try (FileChannel ch = FileChannel.open(Path.of(args[0]), StandardOpenOption.READ)) {
            ch.lock(0, Long.MAX_VALUE, true);
            System.out.println("held");
            System.out.flush();
            Thread.sleep(Long.MAX_VALUE);
        }
    }
}
