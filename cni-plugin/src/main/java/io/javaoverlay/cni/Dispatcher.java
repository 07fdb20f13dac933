package io.javaoverlay.cni;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.javaoverlay.cni.model.NetConf;
import io.javaoverlay.cni.model.Result;
import io.javaoverlay.cni.wire.JsonTree;
import io.javaoverlay.cni.wire.NetConfDecoder;
import io.javaoverlay.cni.wire.ResultCodec;
import io.javaoverlay.core.ipam.IpamException;

/**
 * Owns the CNI process protocol: reads the environment and stdin, checks the command against
 * the requested version, calls one {@link CniPlugin} function, and prints its result or error
 * JSON on stdout. Nothing else is ever written to stdout: logs go through SLF4J (stderr), and an
 * unexpected exception becomes an error result whose stack trace goes to the log only.
 *
 * <p>The environment and streams are parameters, so tests drive a whole invocation in-process.
 */
public final class Dispatcher {

    /**
     * The largest network config read from stdin. Real configs are a few kB (a long prevResult
     * included); a runtime never sends more, and reading without a bound would let a mistake
     * (or 200 MB) exhaust the heap. bin/javaoverlay spells the same number (plus one) for socat.
     */
    public static final int MAX_CONFIG_BYTES = 1024 * 1024;

    /** The variables the spec defines: what this plugin reads, and checks before it reads them. */
    private static final String[] CNI_VARIABLES = {
        "CNI_COMMAND", "CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME", "CNI_ARGS", "CNI_PATH"};

    private final CniPlugin plugin;

    public Dispatcher(CniPlugin plugin) {
        this.plugin = plugin;
    }

    /** Logging is set up only when something is logged: the happy path stays lean. */
    private static final class Log {
        static final Logger LOG = LoggerFactory.getLogger(Dispatcher.class);
    }

    /** Runs one invocation; returns the process exit status (0 success, 1 error). */
    public int run(Map<String, String> env, InputStream stdin, OutputStream stdout) {
        CniVersion outputVersion = CniVersion.LATEST;
        try {
            checkText(env);
            String commandText = env.getOrDefault("CNI_COMMAND", "");
            if (commandText.isEmpty()) {
                throw new CniException(ErrorCode.INVALID_ENVIRONMENT, "required env variables [CNI_COMMAND] missing",
                        "CNI_COMMAND must be one of ADD, DEL, CHECK, STATUS, GC, VERSION");
            }
            CniCommand command = CniCommand.parse(commandText).orElseThrow(() -> new CniException(
                    ErrorCode.INVALID_ENVIRONMENT, "unknown CNI_COMMAND: " + commandText,
                    "CNI_COMMAND must be one of ADD, DEL, CHECK, STATUS, GC, VERSION"));
            if (command == CniCommand.VERSION) {
                write(stdout, ResultCodec.encodeVersions(versionForVersionCommand(stdin)));
                return 0;
            }
            CniEnv cniEnv = CniEnv.from(command, env);
            Map<String, Object> tree = readConfig(stdin);
            outputVersion = versionOf(tree);
            CniVersion version = NetConfDecoder.version(tree);
            checkCommandAllowed(command, version);
            NetConf conf = NetConfDecoder.decode(tree);
            switch (command) {
                case ADD -> {
                    Result result = plugin.add(cniEnv, conf);
                    write(stdout, ResultCodec.encode(result, version));
                }
                case DEL -> plugin.del(cniEnv, conf);
                case CHECK -> plugin.check(cniEnv, conf);
                case STATUS -> plugin.status(cniEnv, conf);
                case GC -> plugin.gc(cniEnv, conf);
                default -> throw new AssertionError(command);
            }
            return 0;
        } catch (CniException e) {
            Log.LOG.warn("{}{}", e, e.getCause() == null ? "" : " caused by " + e.getCause());
            return fail(stdout, outputVersion, e);
        } catch (IpamException e) {
            // any command that reads or changes reservations (STATUS, CHECK, ...): a busy lock is
            // "try again", a broken store an I/O failure, never "a bug"
            CniException mapped = HostSubnet.ipam(e);
            Log.LOG.warn("{}", mapped);
            return fail(stdout, outputVersion, mapped);
        } catch (RuntimeException | Error e) {
            Log.LOG.error("unexpected failure", e);
            return fail(stdout, outputVersion, new CniException(ErrorCode.INTERNAL, "internal error: " + e,
                    "this is a bug in javaoverlay; the stack trace is on stderr"));
        }
    }

    private static int fail(OutputStream stdout, CniVersion version, CniException e) {
        try {
            write(stdout, ResultCodec.encodeError(version, e));
        } catch (UncheckedIOException io) {
            Log.LOG.error("cannot write the error result to stdout", io);
        }
        return 1;
    }

    /**
     * No CNI variable has a reason to hold a control character (a newline in CNI_ARGS once
     * smuggled a header into the CNI socket's old protocol) or bytes that are not UTF-8
     * ({@link ProcessEnvironment} decodes those to U+FFFD): refused before anything reads them.
     */
    private static void checkText(Map<String, String> env) {
        for (String name : CNI_VARIABLES) {
            String value = env.get(name);
            if (value == null) {
                continue;
            }
            for (int i = 0; i < value.length(); i++) {
                char c = value.charAt(i);
                if (c < 0x20 || c == 0x7f) {
                    throw new CniException(ErrorCode.INVALID_ENVIRONMENT, "invalid " + name,
                            name + " contains a control character (code " + (int) c + " at index " + i
                                    + "); CNI variables are single lines of text");
                }
                if (c == '\uFFFD') {
                    throw new CniException(ErrorCode.INVALID_ENVIRONMENT, "invalid " + name,
                            name + " is not valid UTF-8 text (or contains U+FFFD at index " + i + ")");
                }
            }
        }
    }

    /** Stdin up to {@link #MAX_CONFIG_BYTES}; what is beyond is never read (nor buffered). */
    private static byte[] readBounded(InputStream stdin) throws IOException {
        byte[] bytes = stdin.readNBytes(MAX_CONFIG_BYTES + 1);
        if (bytes.length > MAX_CONFIG_BYTES) {
            throw new CniException(ErrorCode.INVALID_CONFIG, "the network config on stdin is too large",
                    "stdin holds more than " + MAX_CONFIG_BYTES + " bytes; a CNI network config is a few kB."
                            + " Check what the runtime passes on stdin");
        }
        return bytes;
    }

    /** The version to print errors in: the request's when it is one we speak, else the latest. */
    private static CniVersion versionOf(Map<String, Object> tree) {
        return tree.get("cniVersion") instanceof String s ? CniVersion.parse(s).orElse(CniVersion.LATEST) : CniVersion.LATEST;
    }

    /** VERSION echoes the request's version when it is one we speak; stdin may be empty. */
    private static CniVersion versionForVersionCommand(InputStream stdin) {
        try {
            byte[] bytes = readBounded(stdin);
            if (bytes.length == 0) {
                return CniVersion.LATEST;
            }
            return JsonTree.parse(bytes) instanceof Map<?, ?> m && m.get("cniVersion") instanceof String s
                    ? CniVersion.parse(s).orElse(CniVersion.LATEST) : CniVersion.LATEST;
        } catch (IOException | JsonTree.MalformedException | CniException e) {
            return CniVersion.LATEST;
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> readConfig(InputStream stdin) {
        byte[] bytes;
        try {
            bytes = readBounded(stdin);
        } catch (IOException e) {
            throw new CniException(ErrorCode.IO_FAILURE, "error reading the network config from stdin", e.toString(), e);
        }
        Object tree;
        try {
            tree = JsonTree.parse(bytes);
        } catch (JsonTree.MalformedException e) {
            throw new CniException(ErrorCode.DECODING_FAILURE, "error decoding the network config from stdin", e.getMessage(), e);
        }
        if (!(tree instanceof Map)) {
            throw new CniException(ErrorCode.DECODING_FAILURE, "error decoding the network config from stdin",
                    "the config must be a JSON object");
        }
        return (Map<String, Object>) tree;
    }

    private static void checkCommandAllowed(CniCommand command, CniVersion version) {
        if (command == CniCommand.CHECK && !version.hasCheck()) {
            throw new CniException(ErrorCode.INCOMPATIBLE_VERSION, "config version does not allow CHECK",
                    "CHECK came with CNI 0.4.0; the config is " + version);
        }
        if ((command == CniCommand.STATUS || command == CniCommand.GC) && !version.hasStatusAndGc()) {
            throw new CniException(ErrorCode.INCOMPATIBLE_VERSION, "config version does not allow " + command,
                    command + " came with CNI 1.1.0; the config is " + version);
        }
    }

    private static void write(OutputStream stdout, Map<String, Object> tree) {
        try {
            stdout.write(JsonTree.format(tree));
            stdout.write('\n');
            stdout.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the result to stdout", e);
        }
    }
}
