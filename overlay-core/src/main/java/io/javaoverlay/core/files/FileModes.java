package io.javaoverlay.core.files;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who may touch the files the agent and the faces keep: everything is root's (the user running
 * them) alone, except what other tools must read.
 *
 * <ul>
 *   <li>A state or lock directory is {@code rwx------}. A local user who can reach a lock file
 *       can take a shared lock on it (read access is enough for {@code fcntl(F_RDLCK)}) and so
 *       stall every caller; one who can reach a record can read or replace it.</li>
 *   <li>A state or lock file is {@code rw-------}.</li>
 *   <li>Shared: subnet.env and its directory, read by the flannel CNI plugin, by shells that
 *       source it and by {@code docker --bip=${FLANNEL_SUBNET}} set-ups ({@code rw-r--r--},
 *       {@code rwxr-xr-x}, as flannel writes them), and the CNI install directories.</li>
 * </ul>
 *
 * <p>An existing private directory with group or other bits (made by an older version, or by
 * hand) is tightened to {@code rwx------} when it is opened, with a warning. One owned by
 * another user is refused: that user could replace its lock file or records whatever the
 * modes say, so the caller must remove it or give it to the service's user. So is a shared
 * scratch directory, one with the sticky bit ({@code /tmp} given as a data directory):
 * tightening it would break everyone else, and keeping state in it is not safe.
 */
public final class FileModes {

    /** A state or lock directory. */
    public static final Set<PosixFilePermission> PRIVATE_DIR = PosixFilePermissions.fromString("rwx------");
    /** A state or lock file. */
    public static final Set<PosixFilePermission> PRIVATE_FILE = PosixFilePermissions.fromString("rw-------");
    /** A directory other users must traverse (subnet.env's, the CNI install directories). */
    public static final Set<PosixFilePermission> SHARED_DIR = PosixFilePermissions.fromString("rwxr-xr-x");
    /** A file other users must read (subnet.env). */
    public static final Set<PosixFilePermission> SHARED_FILE = PosixFilePermissions.fromString("rw-r--r--");

    private static final Set<PosixFilePermission> GROUP_AND_OTHER = EnumSet.of(
            PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

    /** The sticky bit of {@code unix:mode} (PosixFilePermission does not carry it): /tmp, /var/tmp, /dev/shm. */
    private static final int STICKY = 01000;

    private FileModes() {}

    /**
     * Creates {@code dir} (and missing parents) {@code rwx------}, or checks an existing one: one
     * owned by another user is refused, one with group or other bits is tightened.
     *
     * @return {@code dir}
     * @throws ForeignOwnerException when another user owns {@code dir}
     */
    public static Path privateDirectory(Path dir) throws IOException {
        createDirectories(dir, PRIVATE_DIR);
        PosixFileAttributes attrs = Files.readAttributes(dir, PosixFileAttributes.class);
        int owner = (Integer) Files.getAttribute(dir, "unix:uid");
        int self = ownUid();
        if (owner != self) {
            throw new ForeignOwnerException(dir, owner, self);
        }
        int mode = (Integer) Files.getAttribute(dir, "unix:mode");
        if ((mode & STICKY) != 0) {
            throw new SharedDirectoryException(dir);
        }
        Set<PosixFilePermission> loose = EnumSet.noneOf(PosixFilePermission.class);
        loose.addAll(attrs.permissions());
        loose.retainAll(GROUP_AND_OTHER);
        if (!loose.isEmpty()) {
            Files.setPosixFilePermissions(dir, PRIVATE_DIR);
            Log.LOG.warn("{} was {}, open to other local users; tightened it to rwx------ (it holds lock or state files"
                    + " that only this service may use)", dir, PosixFilePermissions.toString(attrs.permissions()));
        }
        return dir;
    }

    /**
     * Creates what is missing of {@code dir} {@code rwx------}; an existing directory is left as
     * it is, for directories that belong to other software too (Docker's
     * {@code /run/docker/plugins}, where only the socket is ours).
     */
    public static Path missingPrivateDirectories(Path dir) throws IOException {
        createDirectories(dir, PRIVATE_DIR);
        return dir;
    }

    /**
     * Creates {@code dir} (and missing parents) {@code rwxr-xr-x} when it is missing, whatever the
     * umask allows more; an existing one is left as it is (it may be a system directory).
     */
    public static Path sharedDirectory(Path dir) throws IOException {
        createDirectories(dir, SHARED_DIR);
        return dir;
    }

    /** Sets a private file's mode to {@code rw-------} when it has any group or other bits. */
    public static void tightenFile(Path file) throws IOException {
        Set<PosixFilePermission> now = Files.getPosixFilePermissions(file);
        if (now.stream().anyMatch(GROUP_AND_OTHER::contains)) {
            Files.setPosixFilePermissions(file, PRIVATE_FILE);
            Log.LOG.warn("{} was {}, open to other local users; tightened it to rw-------", file, PosixFilePermissions.toString(now));
        }
    }

    /** The attribute that creates a file {@code rw-------}. */
    public static FileAttribute<Set<PosixFilePermission>> privateFile() {
        return PosixFilePermissions.asFileAttribute(PRIVATE_FILE);
    }

    /**
     * Like {@link Files#createDirectories} with a mode, but each directory it makes gets exactly
     * {@code mode}: the umask could only remove bits, while a permissive one (0) must not add any.
     */
    private static void createDirectories(Path dir, Set<PosixFilePermission> mode) throws IOException {
        Path abs = dir.toAbsolutePath();
        if (Files.isDirectory(abs)) {
            return;
        }
        Path parent = abs.getParent();
        if (parent != null) {
            createDirectories(parent, mode);
        }
        try {
            Files.createDirectory(abs, PosixFilePermissions.asFileAttribute(mode));
            Files.setPosixFilePermissions(abs, mode);
        } catch (FileAlreadyExistsException e) {
            if (!Files.isDirectory(abs)) {
                throw e;
            }
            // made meanwhile by another process: checked by the caller like any existing one
        }
    }

    /** This process's effective uid: /proc/self belongs to it. */
    static int ownUid() throws IOException {
        return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    }

    /** A directory that must be this service's alone belongs to another user. */
    public static final class ForeignOwnerException extends IOException {
        private static final long serialVersionUID = 1L;

        public ForeignOwnerException(Path dir, int owner, int self) {
            super(dir + " belongs to uid " + owner + ", not to uid " + self + " that runs javaoverlay; another user could replace"
                    + " its lock and state files: remove it, or chown it to uid " + self + " and chmod it 700");
        }
    }

    /** A shared scratch directory (sticky, like /tmp) was given as a private one. */
    public static final class SharedDirectoryException extends IOException {
        private static final long serialVersionUID = 1L;

        public SharedDirectoryException(Path dir) {
            super(dir + " is a shared directory like /tmp (sticky bit set); javaoverlay keeps lock and state files"
                    + " only in a directory of its own: give it " + dir.resolve("javaoverlay") + " or another path it can create");
        }
    }

    /** The logger, made only when something is tightened (the CNI path otherwise never loads SLF4J here). */
    private static final class Log {
        static final Logger LOG = LoggerFactory.getLogger(FileModes.class);
    }
}
