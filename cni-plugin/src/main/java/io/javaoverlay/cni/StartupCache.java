package io.javaoverlay.cni;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.Enumeration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

import io.javaoverlay.cni.model.Dns;
import io.javaoverlay.cni.model.Interface;
import io.javaoverlay.cni.model.IpConfig;
import io.javaoverlay.cni.model.Result;
import io.javaoverlay.cni.model.Route;
import io.javaoverlay.cni.wire.JsonTree;
import io.javaoverlay.cni.wire.ResultCodec;
import io.javaoverlay.core.config.SubnetEnv;
import io.javaoverlay.core.ipam.Allocation;
import io.javaoverlay.core.ipam.Allocator;
import io.javaoverlay.core.ipam.DiskStore;
import io.javaoverlay.core.ipam.Owner;
import io.javaoverlay.core.host.IptablesBridgeFirewall;
import io.javaoverlay.core.host.NetlinkHostAttachment;
import io.javaoverlay.core.firewall.Iptables;

/**
 * Prepares what makes later CNI invocations start quickly; run at the end of a training
 * invocation that {@code bin/javaoverlay} starts with {@code -XX:ArchiveClassesAtExit}.
 *
 * <ul>
 *   <li>Class-data sharing: the JVM archives every class loaded when it exits. The invocation
 *       itself loaded the classes of one command; this loads (without initialising) every
 *       class of the jars the CNI path uses, so the archive serves every command.</li>
 *   <li>JNA's native library: JNA otherwise copies it out of its jar into a temporary file on
 *       every start. It is copied once into the cache directory, which the launcher passes as
 *       {@code jna.boot.library.path}.</li>
 * </ul>
 */
final class StartupCache {

    /** Jars the CNI path runs from, by file name prefix; the rest of the CLI's classpath stays out. */
    private static final List<String> JARS = List.of("cni-plugin-", "overlay-core-", "jackson-core-", "slf4j-", "jna-");

    /** overlay-core packages the CNI path does not touch (they need jars not on its classpath). */
    private static final List<String> SKIPPED_PACKAGES = List.of(
            "io/javaoverlay/core/agent/", "io/javaoverlay/core/lease/", "io/javaoverlay/core/backend/");

    private StartupCache() {}

    static void prepare(Path cacheDir) {
        try {
            Files.createDirectories(cacheDir);
            copyJnaLibrary(cacheDir);
        } catch (IOException | RuntimeException e) {
            PluginLog.warn("cannot copy JNA's native library into " + cacheDir + " (later starts will be slower)", e);
        }
        try {
            exercise();
        } catch (IOException | RuntimeException e) {
            PluginLog.warn("cannot exercise the plugin for the start-up cache (later starts will be slower)", e);
        }
        ClassLoader loader = StartupCache.class.getClassLoader();
        for (String entry : System.getProperty("java.class.path", "").split(java.io.File.pathSeparator)) {
            String name = Path.of(entry).getFileName().toString();
            if (JARS.stream().anyMatch(name::startsWith) && name.endsWith(".jar")) {
                preload(Path.of(entry), loader);
            }
        }
    }

    /**
     * Runs commands that touch nothing outside a temporary directory (DEL without a namespace,
     * STATUS, GC) and a read-only netlink query, so that the JDK classes and lambda forms they
     * need are archived too, whatever command this invocation was.
     */
    private static void exercise() throws IOException {
        Path dir = Files.createTempDirectory("javaoverlay-cni-cache");
        try (NetlinkHostAttachment datapath = new NetlinkHostAttachment()) {
            Path subnetFile = dir.resolve("subnet.env");
            Files.writeString(subnetFile, "FLANNEL_NETWORK=10.5.0.0/16\nFLANNEL_SUBNET=10.5.1.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n");
            String conf = "{\"cniVersion\":\"1.1.0\",\"name\":\"cache\",\"type\":\"javaoverlay\",\"subnetFile\":\""
                    + subnetFile + "\",\"dataDir\":\"" + dir.resolve("ipam") + "\",\"cni.dev/valid-attachments\":[]}";
            Dispatcher dispatcher = new Dispatcher(new OverlayPlugin(datapath, new IptablesBridgeFirewall(Iptables::local)));
            for (Map<String, String> env : List.of(
                    Map.of("CNI_COMMAND", "DEL", "CNI_CONTAINERID", "cache", "CNI_IFNAME", "eth0"),
                    Map.of("CNI_COMMAND", "STATUS"),
                    Map.of("CNI_COMMAND", "GC"))) {
                dispatcher.run(env, new ByteArrayInputStream(conf.getBytes(StandardCharsets.UTF_8)), OutputStream.nullOutputStream());
            }
            // read-only: entering a namespace by path and reading links, addresses and routes
            Path self = Path.of("/proc/self/ns/net");
            // pure Java parts of ADD: an allocation in the temporary store, a result in every version
            Allocation a = Allocator.forHost(SubnetEnv.read(subnetFile), DiskStore.open(dir.resolve("ipam")))
                    .allocate(Owner.cni("cache", "cache", "eth0"), Optional.empty());
            Result result = new Result(List.of(Interface.host("cni0", "0a:58:0a:05:01:01", 1450),
                    Interface.sandboxed("eth0", "0a:58:0a:05:01:02", 1450, "/proc/self/ns/net")),
                    List.of(new IpConfig(a.address().toString(), Optional.of(a.gateway().toString()), OptionalInt.of(1))),
                    List.of(Route.via("0.0.0.0/0", a.gateway().toString())), Dns.EMPTY);
            for (CniVersion v : CniVersion.values()) {
                JsonTree.format(ResultCodec.encode(result, v));
            }
            OverlayPlugin.hex8(a.ip().value());
            datapath.hostLink("lo");
            datapath.podInterfaceExists(self, "lo");
            datapath.inspectPod(self, "lo");
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static void preload(Path jar, ClassLoader loader) {
        try (JarFile file = new JarFile(jar.toFile())) {
            Enumeration<JarEntry> entries = file.entries();
            while (entries.hasMoreElements()) {
                String e = entries.nextElement().getName();
                if (!e.endsWith(".class") || e.startsWith("META-INF/") || e.endsWith("module-info.class")
                        || SKIPPED_PACKAGES.stream().anyMatch(e::startsWith)) {
                    continue;
                }
                try {
                    Class.forName(e.substring(0, e.length() - ".class".length()).replace('/', '.'), false, loader);
                } catch (ClassNotFoundException | LinkageError ignored) {
                    // a class needing something off the CNI classpath: the CNI path never loads it either
                }
            }
        } catch (IOException e) {
            PluginLog.warn("cannot read " + jar + " to preload its classes", e);
        }
    }

    /** JNA's resource directory for this machine (JNA's own naming; only Linux runs the plugin). */
    static String jnaResource() {
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        String dir = switch (arch) {
            case "amd64", "x86_64" -> "linux-x86-64";
            case "aarch64", "arm64" -> "linux-aarch64";
            default -> "linux-" + arch;
        };
        return "com/sun/jna/" + dir + "/libjnidispatch.so";
    }

    private static void copyJnaLibrary(Path cacheDir) throws IOException {
        try (InputStream in = StartupCache.class.getClassLoader().getResourceAsStream(jnaResource())) {
            if (in == null) {
                return; // JNA has no library for this machine; it will report that itself
            }
            Path tmp = Files.createTempFile(cacheDir, ".libjnidispatch", ".tmp");
            try {
                Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                Files.move(tmp, cacheDir.resolve("libjnidispatch.so"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(tmp);
            }
        }
    }
}
