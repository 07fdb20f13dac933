package io.javaoverlay.core.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import io.javaoverlay.testkit.LockHolder;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LockFileTest {

    @TempDir
    Path dir;

    @Test
    void theLockFileIsCreatedOwnerOnlyAndALooseOneIsTightened() throws Exception {
        Path file = dir.resolve("lock");
        try (LockFile.Held held = LockFile.acquire(file, Duration.ofSeconds(1))) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        }
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        try (LockFile.Held held = LockFile.acquire(file, Duration.ofSeconds(1))) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        }
    }

    @Test
    void aSharedLockHeldByAnotherProcessEndsTheWaitWithBusyAtTheBound() throws Exception {
        Path file = dir.resolve("lock");
        LockFile.acquire(file, Duration.ofSeconds(1)).close();
        try (LockHolder holder = LockHolder.hold(file)) {
            long start = System.nanoTime();
            assertThatThrownBy(() -> LockFile.acquire(file, Duration.ofMillis(500)))
                    .isInstanceOfSatisfying(LockFile.BusyException.class, e -> {
                        assertThat(e.file()).isEqualTo(file);
                        assertThat(e.getMessage()).contains(file.toString(), "another process");
                    });
            long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertThat(waited).as("waited about the bound").isBetween(450L, 3_000L);
        }
        // the holder is gone: the lock is free again, and the failed wait left nothing held in this JVM
        LockFile.acquire(file, Duration.ofSeconds(1)).close();
    }

    @Test
    void anotherThreadHoldingItEndsTheWaitWithBusyAndReleasingLetsTheNextIn() throws Exception {
        Path file = dir.resolve("lock");
        LockFile.Held first = LockFile.acquire(file, Duration.ofSeconds(1));
        try {
            CompletableFuture<Void> second = CompletableFuture.runAsync(() -> {
                try {
                    LockFile.acquire(file, Duration.ofMillis(200)).close();
                } catch (Exception e) {
                    throw new java.util.concurrent.CompletionException(e);
                }
            });
            assertThatThrownBy(() -> second.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(LockFile.BusyException.class);
        } finally {
            first.close();
            first.close(); // idempotent
        }
        CompletableFuture.runAsync(() -> {
            try {
                LockFile.acquire(file, Duration.ofMillis(200)).close();
            } catch (Exception e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        }).get(10, TimeUnit.SECONDS);
    }
}
