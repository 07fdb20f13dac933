package io.javaoverlay.core.files;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * An exclusive lock on a file shared by processes (the IPAM directory's, the embedded lease
 * store's), waited for no longer than a bound.
 *
 * <p>Waiting without a bound let anyone who could open the file for reading stall every
 * caller: a shared {@code fcntl} lock held by a local user hung CNI ADD, Docker's
 * RequestAddress and a starting agent for as long as that user liked. Now a wait ends after
 * {@link #DEFAULT_WAIT} (or the caller's bound) in a {@link BusyException} that names the file,
 * and the lock files are {@code rw-------} in {@code rwx------} directories
 * ({@link FileModes}), so only root can hold them in the first place.
 *
 * <p>The kernel has no "lock with a timeout", so the wait polls {@link FileChannel#tryLock()}.
 * POSIX locks belong to the process, not the thread: a second thread of one JVM asking for the
 * file lock would get {@code OverlappingFileLockException}. A lock per file within this JVM
 * therefore serialises the threads first; it is process-wide state by nature, hence the one
 * static map, keyed by the file's path (callers pass a real path, so two spellings of one
 * directory share it).
 */
public final class LockFile {

    /** How long a caller waits for a lock another process holds: every holder finishes in milliseconds. */
    public static final Duration DEFAULT_WAIT = Duration.ofSeconds(10);

    /** The first retry comes soon (the usual holder is another plugin call of a few ms), later ones back off. */
    private static final long FIRST_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(2);
    private static final long MAX_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private static final Map<Path, ReentrantLock> IN_PROCESS = new ConcurrentHashMap<>();

    private LockFile() {}

    /**
     * Takes the exclusive lock on {@code file} (created {@code rw-------} when missing, tightened
     * to it when looser), waiting at most {@code wait} for other threads and processes.
     *
     * @throws BusyException when the lock is still held by someone else after {@code wait}
     * @throws IOException   when the file cannot be opened or locked
     */
    public static Held acquire(Path file, Duration wait) throws IOException {
        long deadline = System.nanoTime() + wait.toNanos();
        ReentrantLock threadLock = IN_PROCESS.computeIfAbsent(file, f -> new ReentrantLock());
        try {
            if (!threadLock.tryLock(wait.toNanos(), TimeUnit.NANOSECONDS)) {
                throw new BusyException(file, wait, "another thread of this process");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw interrupted(file);
        }
        FileChannel channel = null;
        try {
            // never through a symbolic link: the lock file is a plain file of the locked directory
            channel = FileChannel.open(file, Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS),
                    FileModes.privateFile());
            FileModes.tightenFile(file);
            FileLock lock = lockBefore(channel, file, wait, deadline);
            return new Held(channel, lock, threadLock);
        } catch (IOException | RuntimeException e) {
            if (channel != null) {
                try {
                    channel.close(); // releases a file lock taken before the failure
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            threadLock.unlock();
            throw e;
        }
    }

    private static FileLock lockBefore(FileChannel channel, Path file, Duration wait, long deadline) throws IOException {
        long pause = FIRST_POLL_NANOS;
        while (true) {
            FileLock lock = channel.tryLock();
            if (lock != null) {
                return lock;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new BusyException(file, wait, "another process");
            }
            try {
                TimeUnit.NANOSECONDS.sleep(Math.min(pause, left));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw interrupted(file);
            }
            pause = Math.min(pause * 2, MAX_POLL_NANOS);
        }
    }

    private static InterruptedIOException interrupted(Path file) {
        return new InterruptedIOException("interrupted while waiting for the lock on " + file);
    }

    /** A held lock; {@link #close()} releases it (idempotent). */
    public static final class Held implements AutoCloseable {
        private final FileChannel channel;
        private final FileLock lock;
        private final ReentrantLock threadLock;
        private boolean closed;

        private Held(FileChannel channel, FileLock lock, ReentrantLock threadLock) {
            this.channel = channel;
            this.lock = lock;
            this.threadLock = threadLock;
        }

        @Override
        public void close() throws IOException {
            if (closed) {
                return;
            }
            closed = true;
            try {
                lock.release();
            } finally {
                try {
                    channel.close(); // releases the lock whatever happened to release()
                } finally {
                    threadLock.unlock();
                }
            }
        }
    }

    /**
     * The lock was still held by someone else when the wait ended. Worth retrying: the holder is
     * usually a slow call; if it persists, {@code lslocks} shows which process holds the file.
     */
    public static final class BusyException extends IOException {
        private static final long serialVersionUID = 1L;

        private final transient Path file;

        public BusyException(Path file, Duration waited, String holder) {
            super("the lock file " + file + " is held by " + holder + " (waited " + waited.toMillis() + " ms); try again,"
                    + " and if it persists find the holder with: lslocks | grep " + file);
            this.file = file;
        }

        public Path file() {
            return file;
        }
    }
}
