package io.javaoverlay.cni;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The CNI variables of a process, read from its {@code /proc/PID/environ}: the bytes the
 * runtime put there, decoded as UTF-8 the same way on both of the launcher's paths.
 *
 * <p>Why not {@link System#getenv()}: the JVM decodes the environment in the locale's charset,
 * so a non-ASCII {@code CNI_IFNAME} would be one name under {@code LANG=C.UTF-8} and another
 * ({@code ??}) under {@code LANG=C}, and neither would match what the agent decodes for the
 * same call on the CNI socket (where it reads the caller's {@code /proc/PID/environ}). Bytes
 * that are not UTF-8 become U+FFFD here, which the {@link Dispatcher} refuses.
 */
public final class ProcessEnvironment {

    /** The kernel caps a process's arguments and environment well below this (ARG_MAX-like limits). */
    static final int MAX_ENVIRON_BYTES = 16 * 1024 * 1024;
    private static final String PREFIX = "CNI_";

    private ProcessEnvironment() {}

    /** This process's CNI variables; {@link System#getenv()} where {@code /proc} cannot be read. */
    public static Map<String, String> ofThisProcess() {
        try {
            return parse(read(Path.of("/proc/self/environ")));
        } catch (IOException e) {
            Map<String, String> env = new LinkedHashMap<>();
            System.getenv().forEach((k, v) -> {
                if (k.startsWith(PREFIX)) {
                    env.put(k, v);
                }
            });
            return Collections.unmodifiableMap(env);
        }
    }

    /** The CNI variables of process {@code pid} (reading another process's needs the rights of ptrace). */
    public static Map<String, String> of(long pid) throws IOException {
        return parse(read(Path.of("/proc/" + pid + "/environ")));
    }

    private static byte[] read(Path environ) throws IOException {
        try (InputStream in = Files.newInputStream(environ)) {
            byte[] bytes = in.readNBytes(MAX_ENVIRON_BYTES + 1);
            if (bytes.length > MAX_ENVIRON_BYTES) {
                throw new IOException(environ + " is larger than " + MAX_ENVIRON_BYTES + " bytes");
            }
            return bytes;
        }
    }

    /**
     * The {@code CNI_*} entries of an environment block ({@code NAME=VALUE} entries, each ended
     * by a NUL). The first of two entries with one name wins, as with libc's {@code getenv}.
     */
    public static Map<String, String> parse(byte[] block) {
        Map<String, String> env = new LinkedHashMap<>();
        int start = 0;
        for (int i = 0; i <= block.length; i++) {
            if (i == block.length || block[i] == 0) {
                if (i > start) {
                    String entry = new String(block, start, i - start, StandardCharsets.UTF_8);
                    int eq = entry.indexOf('=');
                    if (eq > 0 && entry.startsWith(PREFIX)) {
                        env.putIfAbsent(entry.substring(0, eq), entry.substring(eq + 1));
                    }
                }
                start = i + 1;
            }
        }
        return Collections.unmodifiableMap(env);
    }
}
