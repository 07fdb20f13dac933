package io.javaoverlay.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.javaoverlay.core.files.FileModes;

/**
 * Puts the CNI plugin where a runtime finds it: a copy of the launcher named {@code javaoverlay}
 * in the CNI bin directory (with this checkout's path written into it, so the copy finds the
 * jars) and a conflist in the CNI config directory. Every file is written to a temporary name
 * and renamed, so a runtime never reads half of one. The copy is {@code rwxr-xr-x} and the
 * conflist {@code rw-r--r--}, as the reference plugins and their configs are installed; a
 * directory made here is {@code rwxr-xr-x} (existing ones, usually the system's, are left as
 * they are). Neither holds anything secret; what matters is that only root can change them.
 */
final class CniInstaller {

    /** The line of bin/javaoverlay that the installed copy gets the checkout's path in. */
    static final String HOME_LINE = "installed_home=";

    /**
     * The launcher's default for the agent's CNI socket, in the line
     * {@code cni_socket=${JAVAOVERLAY_CNI_SOCKET-/run/javaoverlay/cni.sock}}: {@code --cni-socket} replaces the default
     * in the installed copy, so the variable still overrides it as it overrides every default.
     */
    static final Pattern SOCKET_LINE = Pattern.compile("(?m)^(\\s*cni_socket=\\$\\{JAVAOVERLAY_CNI_SOCKET-)([^}\\n]*)(})$");

    /**
     * @param cniSocket the agent's socket the installed plugin hands calls to ({@code agent --cni-socket}); empty
     *                  keeps the launcher's default, "" (an empty path) makes the plugin always run in its own JVM
     */
    record Options(Path home, Path binDir, Path confDir, String confName, String networkName, String cniVersion,
                   Path subnetFile, Path dataDir, String bridge, boolean portmap, boolean force, Optional<String> cniSocket) {
        Options {
            cniSocket = cniSocket == null ? Optional.empty() : cniSocket;
            cniSocket.filter(sock -> !sock.isEmpty() && !sock.startsWith("/")).ifPresent(sock -> {
                // a runtime runs the plugin from a directory of its choosing
                throw new IllegalArgumentException("--cni-socket " + sock + " must be an absolute path, as the agent's --cni-socket is"
                        + " given (or '' to never hand calls to the agent)");
            });
        }
    }

    /** What changed, one line each, for the user. */
    static List<String> install(Options o) throws IOException {
        List<String> done = new ArrayList<>();
        Path launcher = o.home().resolve("bin/javaoverlay");
        String script = Files.readString(launcher, StandardCharsets.UTF_8);
        if (!script.contains("\n" + HOME_LINE + "\n")) {
            throw new IllegalStateException(launcher + " has no \"" + HOME_LINE + "\" line to write the checkout's path into");
        }
        String copy = script.replace("\n" + HOME_LINE + "\n", "\n" + HOME_LINE + shellQuote(o.home().toAbsolutePath().toString()) + "\n");
        String socketNote = "";
        if (o.cniSocket().isPresent()) {
            Matcher m = SOCKET_LINE.matcher(copy);
            if (!m.find()) {
                throw new IllegalStateException(launcher + " has no \"cni_socket=${JAVAOVERLAY_CNI_SOCKET-...}\" line to write --cni-socket into");
            }
            String sock = o.cniSocket().get();
            copy = copy.substring(0, m.start(2)) + shellQuote(sock) + copy.substring(m.end(2));
            socketNote = sock.isEmpty() ? ", never through the agent" : ", through the agent on " + sock;
        }
        Path bin = o.binDir().resolve("javaoverlay");
        done.add(write(bin, copy, true, true) ? "installed " + bin + " (runs " + o.home().toAbsolutePath() + socketNote + ")"
                : bin + " is up to date");

        Path conf = o.confDir().resolve(o.confName());
        String conflist = conflist(o);
        if (Files.exists(conf) && !Files.readString(conf, StandardCharsets.UTF_8).equals(conflist) && !o.force()) {
            throw new IllegalStateException(conf + " exists with other content; keep it, or pass --force to replace it");
        }
        done.add(write(conf, conflist, false, o.force()) ? "wrote " + conf : conf + " is up to date");
        return done;
    }

    static String conflist(Options o) throws IOException {
        Map<String, Object> ours = new LinkedHashMap<>();
        ours.put("type", "javaoverlay");
        ours.put("subnetFile", o.subnetFile().toString());
        ours.put("dataDir", o.dataDir().toString());
        ours.put("bridge", o.bridge());
        ours.put("hairpinMode", true);
        ours.put("isDefaultGateway", true);
        List<Object> plugins = new ArrayList<>();
        plugins.add(ours);
        if (o.portmap()) {
            // ordered maps throughout: Map.of iterates in a per-JVM random order, and a file that
            // changes with every run would never be "up to date"
            Map<String, Object> portmap = new LinkedHashMap<>();
            portmap.put("type", "portmap");
            portmap.put("capabilities", Map.of("portMappings", true));
            plugins.add(portmap);
        }
        Map<String, Object> list = new LinkedHashMap<>();
        list.put("cniVersion", o.cniVersion());
        list.put("name", o.networkName());
        list.put("plugins", plugins);
        DefaultPrettyPrinter pretty = new DefaultPrettyPrinter().withObjectIndenter(new DefaultIndenter("  ", "\n"));
        return new ObjectMapper().writer(pretty).writeValueAsString(list) + "\n";
    }

    /** Writes atomically; returns false when the file already had this content. */
    private static boolean write(Path file, String content, boolean executable, boolean replace) throws IOException {
        if (Files.exists(file) && Files.readString(file, StandardCharsets.UTF_8).equals(content)) {
            return false;
        }
        // rwxr-xr-x whatever the umask: the runtime (root) executes what is in the bin directory,
        // so no other user may add or replace a file there
        FileModes.sharedDirectory(file.toAbsolutePath().getParent());
        Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), "." + file.getFileName(), ".tmp");
        try {
            Files.writeString(tmp, content, StandardCharsets.UTF_8);
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString(executable ? "rwxr-xr-x" : "rw-r--r--"));
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
        return true;
    }

    static String shellQuote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }
}
