package io.javaoverlay.core.ipam;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

import io.javaoverlay.core.net.Ip4;

/**
 * Reservations kept in a directory, safe for concurrent processes:
 *
 * <pre>
 * dataDir/lock                  taken with an exclusive POSIX lock for every change
 * dataDir/last_reserved_ip      where the round-robin search resumes
 * dataDir/10.5.72.9             one file per reserved address, naming its owner:
 *                                 client=cni/podnet
 *                                 id=&lt;container id&gt;
 *                                 ifname=eth0
 * </pre>
 *
 * A record is written to a temporary file and renamed into place, so a crash leaves either no
 * record or a whole one. The file lock is released by the kernel when a process dies, so a
 * killed plugin never wedges the others.
 *
 * <p>POSIX locks belong to the process, not the thread: a second thread of the same JVM asking
 * for the file lock would get {@code OverlappingFileLockException}. An in-process lock per
 * directory therefore serialises the threads first (the Docker plugin serves requests on many).
 */
public final class DiskStore implements Store {

    static final String LOCK_FILE = "lock";
    static final String LAST_RESERVED_FILE = "last_reserved_ip";

    private static final Map<Path, ReentrantLock> IN_PROCESS = new ConcurrentHashMap<>();

    private final Path dir;
    private final ReentrantLock threadLock;

    private DiskStore(Path dir) {
        this.dir = dir;
        this.threadLock = IN_PROCESS.computeIfAbsent(dir, d -> new ReentrantLock());
    }

    /** Opens (creating when needed) the store in {@code dir}. */
    public static DiskStore open(Path dir) {
        Path abs = dir.toAbsolutePath().normalize();
        try {
            Files.createDirectories(abs);
            // the real path keys the in-process lock: two spellings of one directory (a symlink)
            // must share it, or the second thread would hit OverlappingFileLockException
            return new DiskStore(abs.toRealPath());
        } catch (IOException e) {
            throw new IpamException(IpamException.Kind.STORE, "cannot create the IPAM directory " + abs + ": " + e, e);
        }
    }

    public Path directory() {
        return dir;
    }

    @Override
    public Lock lock() {
        threadLock.lock();
        FileChannel channel = null;
        try {
            channel = FileChannel.open(dir.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock fileLock = channel.lock();
            FileChannel held = channel;
            return () -> {
                try {
                    fileLock.release();
                    held.close();
                } catch (IOException e) {
                    // closing the channel releases the lock whatever happened to release()
                    throw store("cannot release the IPAM lock " + dir.resolve(LOCK_FILE), e);
                } finally {
                    threadLock.unlock();
                }
            };
        } catch (IOException | RuntimeException e) {
            closeQuietly(channel);
            threadLock.unlock();
            throw e instanceof IpamException ie ? ie : store("cannot lock the IPAM directory " + dir, e);
        }
    }

    @Override
    public Map<Ip4, Owner> reservations() {
        Map<Ip4, Owner> all = new TreeMap<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path file : files) {
                Ip4 ip = addressOf(file.getFileName().toString());
                if (ip != null) {
                    readOwner(file).ifPresent(owner -> all.put(ip, owner));
                }
            }
        } catch (IOException e) {
            throw store("cannot list the IPAM directory " + dir, e);
        }
        return all;
    }

    @Override
    public Optional<Owner> ownerOf(Ip4 address) {
        return readOwner(record(address));
    }

    @Override
    public boolean reserve(Ip4 address, Owner owner) {
        Path file = record(address);
        if (Files.exists(file)) {
            return false;
        }
        writeAtomically(file, "client=" + owner.client() + "\nid=" + owner.id() + "\nifname=" + owner.ifName() + "\n");
        return true;
    }

    @Override
    public boolean release(Ip4 address) {
        try {
            return Files.deleteIfExists(record(address));
        } catch (IOException e) {
            throw store("cannot delete the IPAM record " + record(address), e);
        }
    }

    @Override
    public Optional<Ip4> lastReserved() {
        Path file = dir.resolve(LAST_RESERVED_FILE);
        try {
            return Optional.ofNullable(addressOf(Files.readString(file, StandardCharsets.US_ASCII).strip()));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw store("cannot read " + file, e);
        }
    }

    @Override
    public void setLastReserved(Ip4 address) {
        writeAtomically(dir.resolve(LAST_RESERVED_FILE), address + "\n");
    }

    private Path record(Ip4 address) {
        return dir.resolve(address.toString());
    }

    /** A record's owner; a record that cannot be understood still holds its address. */
    private Optional<Owner> readOwner(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw store("cannot read the IPAM record " + file, e);
        }
        String client = null;
        String id = null;
        String ifName = "";
        for (String line : text.split("\n")) {
            int eq = line.indexOf('=');
            if (eq < 0) {
                continue;
            }
            String value = line.substring(eq + 1);
            switch (line.substring(0, eq)) {
                case "client" -> client = value;
                case "id" -> id = value;
                case "ifname" -> ifName = value;
                default -> { } // written by a newer version: ignore
            }
        }
        if (client == null || client.isEmpty() || id == null || id.isEmpty()) {
            return Optional.of(new Owner("unknown", file.getFileName().toString(), ""));
        }
        return Optional.of(new Owner(client, id, ifName));
    }

    private void writeAtomically(Path file, String content) {
        Path tmp = dir.resolve("." + file.getFileName() + ".tmp");
        try {
            Files.writeString(tmp, content, StandardCharsets.UTF_8);
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // the original failure is the one worth reporting
            }
            throw store("cannot write " + file, e);
        }
    }

    /** The address a file name stands for, or null for the lock and other files. */
    private static Ip4 addressOf(String name) {
        if (name.isEmpty() || !Character.isDigit(name.charAt(0))) {
            return null;
        }
        try {
            return Ip4.parse(name);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // nothing more to do: the lock was never handed out
            }
        }
    }

    private static IpamException store(String message, Exception cause) {
        return new IpamException(IpamException.Kind.STORE, message + ": " + cause.getMessage()
                + " (check that the directory exists, is writable by this user, and the disk is not full)", cause);
    }

    @Override
    public String toString() {
        return "DiskStore[" + dir + "]";
    }
}
