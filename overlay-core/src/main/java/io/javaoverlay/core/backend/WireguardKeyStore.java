package io.javaoverlay.core.backend;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.javaoverlay.core.files.FileModes;
import io.javaoverlay.core.net.WireguardKey;

/**
 * This host's WireGuard private key, in flannel's key file: {@code $WIREGUARD_KEY_FILE}, else
 * {@code /run/flannel/wgkey}, holding the base64 key as {@code wg genkey} prints it. A key made
 * once is read back at every start, so the public key in the lease stays the same across
 * restarts and a host switching between flanneld and javaoverlay keeps it too.
 *
 * <p>The file is root's alone ({@code r--------}, as flannel makes it; one found with group or
 * other bits is tightened, with a warning). It is written to a temporary file in the same
 * directory and moved into place, so a crash never leaves half a key. Note that flannel's default
 * is on {@code /run}, a tmpfs: a reboot makes a new key there, and peers pick it up from the lease.
 */
public final class WireguardKeyStore {

    private static final Logger LOG = LoggerFactory.getLogger(WireguardKeyStore.class);

    /** flannel's environment variable for the key file. */
    public static final String ENV = "WIREGUARD_KEY_FILE";
    /** flannel's default key file. */
    public static final Path DEFAULT_FILE = Path.of("/run/flannel/wgkey");

    private final Path file;

    public WireguardKeyStore(Path file) {
        this.file = file;
    }

    /** The key file flannel would use with this environment. */
    public static WireguardKeyStore fromEnvironment(Map<String, String> env) {
        String f = env.get(ENV);
        // flannel uses the variable when it is set at all; an empty value cannot name a file
        return new WireguardKeyStore(f == null || f.isEmpty() ? DEFAULT_FILE : Path.of(f));
    }

    public Path file() {
        return file;
    }

    /** The private key in the file, made and saved first when there is none. */
    public WireguardKey privateKey() {
        try {
            String text;
            try {
                text = Files.readString(file, StandardCharsets.US_ASCII);
            } catch (NoSuchFileException e) {
                return create();
            }
            FileModes.tightenFile(file);
            try {
                return WireguardKey.parse(text.strip());
            } catch (IllegalArgumentException e) {
                throw new BackendException("the WireGuard key file " + file + " does not hold a key (" + e.getMessage()
                        + "): remove it to make a new one (peers learn the new public key from the lease), or point "
                        + ENV + " at the right file");
            }
        } catch (IOException e) {
            throw new BackendException("cannot read or write the WireGuard key file " + file + ": " + e.getMessage()
                    + " (set " + ENV + " to a file root may write)", e);
        }
    }

    private WireguardKey create() throws IOException {
        WireguardKey key = WireguardKey.generatePrivate();
        Path dir = file.toAbsolutePath().getParent();
        FileModes.sharedDirectory(dir); // flannel makes /run/flannel 0755: subnet.env lives there too
        Path tmp = Files.createTempFile(dir, ".wgkey", ".tmp", FileModes.privateFile());
        try {
            // no newline: flannel writes the bare key and parses the whole file as one
            Files.writeString(tmp, key.toString(), StandardCharsets.US_ASCII);
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("r--------"));
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
        LOG.info("made a new WireGuard key in {} (public key {})", file, key.publicKey());
        return key;
    }
}
