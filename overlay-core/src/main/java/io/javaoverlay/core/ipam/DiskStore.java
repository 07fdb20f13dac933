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
    public Map<Ip4, Owner> reservations() {
        return reservations(DiskStore::addressOf);
    }

    @Override
    public Optional<Owner> ownerOf(Ip4 address) {
        return readOwner(record(address));
    }

    @Override
    public boolean reserve(Ip4 address, Owner owner) {
        return reserve(record(address), owner);
    }

    @Override
    public boolean release(Ip4 address) {
        return release(record(address));
    }

    @Override
    public Optional<Ip4> lastReserved() {
        return lastReserved(LAST_RESERVED_FILE, DiskStore::addressOf);
    }

    @Override
    public void setLastReserved(Ip4 address) {
        writeAtomically(dir.resolve(LAST_RESERVED_FILE), address + "\n");
    }

    @Override
    public Map<BigInteger, Owner> reservations6() {
        return reservations(DiskStore::address6Of);
    }

    @Override
    public Optional<Owner> ownerOf6(BigInteger address) {
        return readOwner(record6(address));
    }

    @Override
    public boolean reserve6(BigInteger address, Owner owner) {
        return reserve(record6(address), owner);
    }

    @Override
    public boolean release6(BigInteger address) {
        return release(record6(address));
    }

    @Override
    public Optional<BigInteger> lastReserved6() {
        return lastReserved(LAST_RESERVED6_FILE, DiskStore::address6Of);
    }

    @Override
    public void setLastReserved6(BigInteger address) {
        writeAtomically(dir.resolve(LAST_RESERVED6_FILE), Ip6Net.format(address) + "\n");
    }

    // --- one family's records: files named by the address (addressOf/address6Of: null for any other file) ---

    private <A extends Comparable<A>> Map<A, Owner> reservations(Function<String, A> addressOf) {
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

    private boolean reserve(Path file, Owner owner) {
        if (Files.exists(file)) {
            return false;
        }
        writeAtomically(file, "client=" + owner.client() + "\nid=" + owner.id() + "\nifname=" + owner.ifName() + "\n");
        return true;
    }

    private boolean release(Path file) {
        try {
            return Files.deleteIfExists(file);
        } catch (IOException e) {
            throw store("cannot delete the IPAM record " + file, e);
        }
    }

    private <A> Optional<A> lastReserved(String name, Function<String, A> addressOf) {
        Path file = dir.resolve(name);
        try {
            return Optional.ofNullable(addressOf.apply(Files.readString(file, StandardCharsets.US_ASCII).strip()));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw store("cannot read " + file, e);
        }
    }

    private Path record6(BigInteger address) {
        return dir.resolve(Ip6Net.format(address));
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
