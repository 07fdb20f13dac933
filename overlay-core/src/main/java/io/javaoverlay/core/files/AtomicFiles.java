package io.javaoverlay.core.files;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;

/**
 * Files replaced whole: a reader (the CNI plugin, a shell sourcing subnet.env, another agent)
 * sees the old content or the new, never half of it, and a crash leaves no half-written file.
 * The content goes to a temporary file beside the target ({@code .NAME*.tmp}, created with
 * {@link Files#createTempFile}: a fresh name, owner-only from the start), which gets the
 * target's mode and is then renamed over the target; the temporary file is removed if anything
 * fails. The mode is {@link FileModes#PRIVATE_FILE} unless the caller names another (subnet.env
 * is {@link FileModes#SHARED_FILE}).
 */
public final class AtomicFiles {

    private AtomicFiles() {}

    /** Replaces {@code target} with {@code content}, mode {@code rw-------}; its directory must exist. */
    public static void write(Path target, byte[] content) throws IOException {
        write(target, content, FileModes.PRIVATE_FILE);
    }

    /** Replaces {@code target} with {@code content}, with {@code mode}; its directory must exist. */
    public static void write(Path target, byte[] content, Set<PosixFilePermission> mode) throws IOException {
        Path tmp = Files.createTempFile(target.toAbsolutePath().getParent(), "." + target.getFileName(), ".tmp");
        try {
            Files.write(tmp, content);
            if (!mode.equals(FileModes.PRIVATE_FILE)) {
                // after the content: until then nobody else can read a half-written file
                Files.setPosixFilePermissions(tmp, mode);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** {@link #write(Path, byte[])} of {@code text} in UTF-8. */
    public static void writeString(Path target, String text) throws IOException {
        write(target, text.getBytes(StandardCharsets.UTF_8));
    }

    /** {@link #write(Path, byte[], Set)} of {@code text} in UTF-8. */
    public static void writeString(Path target, String text, Set<PosixFilePermission> mode) throws IOException {
        write(target, text.getBytes(StandardCharsets.UTF_8), mode);
    }
}
