package io.javaoverlay.cli;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The log settings of every command: SLF4J's simple backend writing one line per event to
 * stderr (see simplelogger.properties), at the level of the global {@code --log-level}.
 *
 * <p>Why slf4j-simple and not a configurable backend: the lines it writes are what a daemon under
 * systemd or in a container needs (timestamp, level, logger, message; stderr; no colours, no
 * files, no buffering), it needs no configuration file on the host, and it starts fast, which
 * matters for the CNI plugin that starts a JVM per pod operation. A stack trace follows its line
 * only where a failure is a bug.
 *
 * <p>Under systemd ({@code JOURNAL_STREAM} set: stderr is the journal) the timestamp is left
 * out, since journald stamps every line itself.
 */
final class Logging {

    static final List<String> LEVELS = List.of("error", "warn", "info", "debug", "trace", "off");

    private Logging() {}

    /**
     * Applies the level of {@code --log-level} (anywhere on the command line, as the option is
     * global), else of flanneld's {@code -v} or of {@code JAVAOVERLAY_LOG_LEVEL}, before picocli builds the commands: a command
     * class with a static logger makes SLF4J read its settings as soon as it is loaded, and they
     * cannot change after that. An unknown level is left to the option's own check, which says so.
     */
    static void configure(String[] args, Map<String, String> env) {
        String level = env.getOrDefault("JAVAOVERLAY_LOG_LEVEL", "");
        String verbosity = env.getOrDefault("FLANNELD_V", "");
        boolean explicit = false;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--")) {
                break;
            }
            if (args[i].equals("--log-level") && i + 1 < args.length) {
                level = args[i + 1];
                explicit = true;
            } else if (args[i].startsWith("--log-level=")) {
                level = args[i].substring("--log-level=".length());
                explicit = true;
            } else if (args[i].startsWith("-v=") || args[i].startsWith("--v=")) {
                verbosity = args[i].substring(args[i].indexOf('=') + 1); // flanneld's -v, in Go's syntax
            } else if ((args[i].equals("-v") || args[i].equals("--v")) && i + 1 < args.length) {
                verbosity = args[i + 1];
            }
        }
        if (!explicit) {
            level = levelForVerbosity(verbosity).orElse(level);
        }
        String l = level.strip().toLowerCase(Locale.ROOT);
        if (LEVELS.contains(l)) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", l);
        }
        if (env.containsKey("JOURNAL_STREAM")) {
            System.setProperty("org.slf4j.simpleLogger.showDateTime", "false");
        }
    }

    /**
     * flanneld's {@code -v} (klog verbosity) as a level: flannel logs its lifecycle at 0, its
     * detail at 1 to 4 and the most at 5 and more. Empty for 0 or a value that is not a number
     * (the option's own parsing reports that).
     */
    static java.util.Optional<String> levelForVerbosity(String v) {
        int n;
        try {
            n = Integer.parseInt(v.strip());
        } catch (NumberFormatException e) {
            return java.util.Optional.empty();
        }
        return n <= 0 ? java.util.Optional.empty() : java.util.Optional.of(n >= 5 ? "trace" : "debug");
    }

    /** Checks a --log-level value; throws with the accepted values when it is not one. */
    static void validate(String level) {
        if (!LEVELS.contains(level.strip().toLowerCase(Locale.ROOT))) {
            throw new IllegalArgumentException("unknown log level \"" + level + "\": use one of " + String.join(", ", LEVELS));
        }
    }
}
