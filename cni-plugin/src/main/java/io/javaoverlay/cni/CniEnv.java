package io.javaoverlay.cni;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The invocation's environment variables, validated as libcni's skeleton does: what a command
 * needs must be present, container IDs and interface names must be well-formed. Every problem
 * is an {@link ErrorCode#INVALID_ENVIRONMENT} error naming the variables.
 *
 * @param netns  {@code CNI_NETNS}; empty when absent (allowed for DEL, GC, STATUS)
 * @param args   {@code CNI_ARGS} split into {@code KEY=VALUE} pairs
 */
public record CniEnv(CniCommand command, String containerId, String netns, String ifName,
                     Map<String, String> args, String path) {

    /** Linux's IFNAMSIZ minus the terminating NUL, in bytes. */
    static final int MAX_IFNAME = 15;

    public CniEnv {
        args = Collections.unmodifiableMap(new LinkedHashMap<>(args));
    }

    /** Reads the variables for {@code command} from {@code env}. */
    public static CniEnv from(CniCommand command, Map<String, String> env) {
        String containerId = env.getOrDefault("CNI_CONTAINERID", "");
        String netns = env.getOrDefault("CNI_NETNS", "");
        String ifName = env.getOrDefault("CNI_IFNAME", "");
        List<String> missing = new ArrayList<>();
        if (command.isAttachment()) {
            if (containerId.isEmpty()) {
                missing.add("CNI_CONTAINERID");
            }
            if (command.needsNetns() && netns.isEmpty()) {
                missing.add("CNI_NETNS");
            }
            if (ifName.isEmpty()) {
                missing.add("CNI_IFNAME");
            }
        }
        if (!missing.isEmpty()) {
            throw new CniException(ErrorCode.INVALID_ENVIRONMENT, "required env variables " + missing + " missing",
                    "CNI_COMMAND=" + command + " needs " + String.join(", ", missing) + "; a container runtime sets them");
        }
        if (command.isAttachment()) {
            checkContainerId(containerId);
            checkIfName(ifName);
        }
        return new CniEnv(command, containerId, netns, ifName, parseArgs(env.getOrDefault("CNI_ARGS", "")),
                env.getOrDefault("CNI_PATH", ""));
    }

    /** The spec's rule: an alphanumeric, then alphanumerics, '_', '.', '-'. */
    static void checkContainerId(String id) {
        boolean ok = !id.isEmpty() && isAlnum(id.charAt(0));
        for (int i = 1; ok && i < id.length(); i++) {
            char c = id.charAt(i);
            ok = isAlnum(c) || c == '_' || c == '.' || c == '-';
        }
        if (!ok) {
            throw new CniException(ErrorCode.INVALID_ENVIRONMENT, "invalid characters in CNI_CONTAINERID",
                    "CNI_CONTAINERID \"" + id + "\" must start with a letter or digit followed by letters, digits, '_', '.' or '-'");
        }
    }

    /**
     * Linux's rules for interface names (net/core/dev.c dev_valid_name). The kernel counts
     * bytes: a name is stored as UTF-8 in IFNAMSIZ (16) bytes with its NUL, so 9 two-byte
     * characters are too long although they are fewer than 15 characters.
     */
    static void checkIfName(String name) {
        String problem = null;
        int bytes = name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        if (bytes > MAX_IFNAME) {
            problem = "is " + bytes + " bytes long in UTF-8; Linux allows at most " + MAX_IFNAME;
        } else if (name.equals(".") || name.equals("..")) {
            problem = "is . or ..";
        } else {
            for (int i = 0; i < name.length() && problem == null; i++) {
                char c = name.charAt(i);
                if (c == '/' || c == ':' || Character.isWhitespace(c) || c < 0x20) {
                    problem = "contains '/', ':' or whitespace";
                }
            }
        }
        if (problem != null) {
            throw new CniException(ErrorCode.INVALID_ENVIRONMENT, "invalid CNI_IFNAME",
                    "CNI_IFNAME \"" + name + "\" " + problem);
        }
    }

    private static boolean isAlnum(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    }

    /** {@code FOO=BAR;ABC=123}; empty pairs are skipped. */
    static Map<String, String> parseArgs(String text) {
        Map<String, String> args = new LinkedHashMap<>();
        if (text.isEmpty()) {
            return args;
        }
        for (String pair : text.split(";")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            if (eq <= 0) {
                throw new CniException(ErrorCode.INVALID_ENVIRONMENT, "invalid CNI_ARGS",
                        "CNI_ARGS pair \"" + pair + "\" is not KEY=VALUE (pairs are separated by ';')");
            }
            args.put(pair.substring(0, eq), pair.substring(eq + 1));
        }
        return args;
    }
}
