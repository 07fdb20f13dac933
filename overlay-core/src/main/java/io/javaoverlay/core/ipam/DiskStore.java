package io.javaoverlay.core.ipam;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;

import io.javaoverlay.core.files.AtomicFiles;
import io.javaoverlay.core.files.FileModes;
import io.javaoverlay.core.files.LockFile;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip6Net;

/**
 * Reservations kept in a directory, safe for concurrent processes:
 *
 * <pre>
 * dataDir/                      rwx------: only root may lock, read or change reservations
 * dataDir/lock                  taken with an exclusive POSIX lock for every change
 * dataDir/last_reserved_ip      where the round-robin search resumes
 * dataDir/10.5.72.9             one file per reserved address, naming its owner:
 *                                 client=cni/podnet
 *                                 id=&lt;container id&gt;
 *                                 ifname=eth0
 * dataDir/fc00:5:34::2          the same for an IPv6 address (RFC 5952 form, as host-local names them)
 * dataDir/last_reserved_ip6     where the IPv6 round-robin search resumes
 * </pre>
 *
 * An older version ignores the IPv6 records (their names are no IPv4 address), so a downgrade
 * keeps every IPv4 reservation.
 *
 * A record is written to a temporary file and renamed into place ({@link AtomicFiles},
 * {@code rw-------}), so a crash leaves either no record or a whole one. The file lock is
 * released by the kernel when a process dies, so a killed plugin never wedges the others; a
 * holder that does not let go (a stuck process, anything else that locked the file) makes
 * {@link #lock()} give up after its bound with {@link IpamException.Kind#BUSY}, which the faces
 * report as "try again" ({@link LockFile}).
 */
public final class DiskStore implements Store {

    static final String LOCK_FILE = "lock";
    static final String LAST_RESERVED_FILE = "last_reserved_ip";
    static final String LAST_RESERVED6_FILE = "last_reserved_ip6";

    private final Path dir;
    private final Duration lockWait;
    private final Records<Ip4> ip4 = new DiskRecords<>(DiskStore::addressOf, Ip4::toString, LAST_RESERVED_FILE);
    private final Records<BigInteger> ip6 = new DiskRecords<>(DiskStore::address6Of, Ip6Net::format, LAST_RESERVED6_FILE);

    private DiskStore(Path dir, Duration lockWait) {
        this.dir = dir;
        this.lockWait = lockWait;
    }

    /** Opens (creating when needed) the store in {@code dir}, waiting {@link LockFile#DEFAULT_WAIT} for its lock. */
    public static DiskStore open(Path dir) {
        return open(dir, LockFile.DEFAULT_WAIT);
    }

    /**
     * Opens (creating when needed, {@code rwx------}) the store in {@code dir}; {@link #lock()}
     * waits at most {@code lockWait} for another holder. An existing directory open to other
     * users is tightened; one owned by another user is refused ({@link FileModes#privateDirectory}).
     */
    public static DiskStore open(Path dir, Duration lockWait) {
        if (lockWait.isNegative()) {
            throw new IllegalArgumentException("the IPAM lock wait must not be negative, got " + lockWait);
        }
        Path abs = dir.toAbsolutePath().normalize();
        try {
            FileModes.privateDirectory(abs);
            // the real path keys the in-process lock: two spellings of one directory (a symlink)
            // must share it, or the second thread would hit OverlappingFileLockException
            return new DiskStore(abs.toRealPath(), lockWait);
        } catch (IOException e) {
            throw new IpamException(IpamException.Kind.STORE, "cannot use the IPAM directory " + abs + ": " + e.getMessage(), e);
        }
    }

    public Path directory() {
        return dir;
    }

    /** The file every change locks. */
    public Path lockFile() {
        return dir.resolve(LOCK_FILE);
    }

    @Override
    public Lock lock() {
        LockFile.Held held;
        try {
            held = LockFile.acquire(lockFile(), lockWait);
        } catch (LockFile.BusyException e) {
            throw new IpamException(IpamException.Kind.BUSY, "the IPAM state in " + dir + " is locked: " + e.getMessage(), e);
        } catch (IOException e) {
            throw store("cannot lock the IPAM directory " + dir, e);
        }
        return () -> {
            try {
                held.close();
            } catch (IOException e) {
                throw store("cannot release the IPAM lock " + lockFile(), e);
            }
        };
    }

    @Override
    public Records<Ip4> ip4() {
        return ip4;
    }

    @Override
    public Records<BigInteger> ip6() {
        return ip6;
    }

    /** One family's records: files named by the address ({@code addressOf}: null for any other file). */
    private final class DiskRecords<A extends Comparable<A>> implements Records<A> {

        private final Function<String, A> addressOf;
        private final Function<A, String> nameOf;
        private final String lastReservedFile;

        DiskRecords(Function<String, A> addressOf, Function<A, String> nameOf, String lastReservedFile) {
            this.addressOf = addressOf;
            this.nameOf = nameOf;
            this.lastReservedFile = lastReservedFile;
        }

        @Override
        public Map<A, Owner> reservations() {
            Map<A, Owner> all = new TreeMap<>();
            try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
                for (Path file : files) {
                    A ip = addressOf.apply(file.getFileName().toString());
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
        public Optional<Owner> ownerOf(A address) {
            return readOwner(record(address));
        }

        @Override
        public boolean reserve(A address, Owner owner) {
            Path file = record(address);
            if (Files.exists(file)) {
                return false;
            }
            writeAtomically(file, "client=" + owner.client() + "\nid=" + owner.id() + "\nifname=" + owner.ifName() + "\n");
            return true;
        }

        @Override
        public boolean release(A address) {
            Path file = record(address);
            try {
                return Files.deleteIfExists(file);
            } catch (IOException e) {
                throw store("cannot delete the IPAM record " + file, e);
            }
        }

        @Override
        public Optional<A> lastReserved() {
            Path file = dir.resolve(lastReservedFile);
            try {
                return Optional.ofNullable(addressOf.apply(Files.readString(file, StandardCharsets.US_ASCII).strip()));
            } catch (NoSuchFileException e) {
                return Optional.empty();
            } catch (IOException e) {
                throw store("cannot read " + file, e);
            }
        }

        @Override
        public void setLastReserved(A address) {
            writeAtomically(dir.resolve(lastReservedFile), nameOf.apply(address) + "\n");
        }

        private Path record(A address) {
            return dir.resolve(nameOf.apply(address));
        }
    }

    /** The IPv6 address a file name stands for (only its RFC 5952 form: one record per address), or null. */
    private static BigInteger address6Of(String name) {
        if (name.indexOf(':') < 0 || name.indexOf('/') >= 0 || name.indexOf('%') >= 0) {
            return null;
        }
        try {
            BigInteger ip = Ip6Net.parseAddress(name);
            return Ip6Net.format(ip).equals(name) ? ip : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
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
        try {
            AtomicFiles.writeString(file, content);
        } catch (IOException e) {
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

    private static IpamException store(String message, Exception cause) {
        return new IpamException(IpamException.Kind.STORE, message + ": " + cause.getMessage()
                + " (check that the directory exists, is writable by this user, and the disk is not full)", cause);
    }

    @Override
    public String toString() {
        return "DiskStore[" + dir + "]";
    }
}
