package io.javaoverlay.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The javaoverlay command line, run by {@code bin/javaoverlay}.
 *
 * <p>Subcommands are registered here, one class each; the CNI plugin entry point (no
 * arguments, {@code CNI_COMMAND} in the environment) is dispatched before picocli loads.
 */
@Command(
        name = "javaoverlay",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {
            "A flannel-compatible overlay network for containers.",
            "",
            "Every host runs one agent: it leases a subnet of the cluster network from etcd",
            "(or an embedded store), programs the data path to every other host's subnet and",
            "writes subnet.env. Containers get addresses through the Docker plugin or the CNI",
            "plugin."
        },
        subcommands = {CommandLine.HelpCommand.class, AgentCommand.class, LeasesCommand.class, ConfigCommand.class,
            CniCommand.class, DockerPluginCommand.class,
            io.javaoverlay.cli.demo.DemoCommand.class, io.javaoverlay.cli.status.StatusCommand.class})
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Option(names = "--log-level", paramLabel = "LEVEL", scope = CommandLine.ScopeType.INHERIT,
            defaultValue = "${env:JAVAOVERLAY_LOG_LEVEL:-info}", completionCandidates = LogLevels.class,
            description = "error, warn, info, debug or trace; one line per event on stderr (default: $JAVAOVERLAY_LOG_LEVEL, else info)")
    void logLevel(String level) {
        try {
            Logging.validate(level); // applied before parsing, in run(): see Logging.configure
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    /** The values of --log-level, for help and shell completion. */
    static final class LogLevels implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return Logging.LEVELS.iterator();
        }
    }

    public static void main(String[] args) {
        if (args.length == 0 && System.getenv("CNI_COMMAND") != null) {
            // the CNI plugin: a new JVM per pod operation, so nothing of picocli is loaded on this path
            io.javaoverlay.cni.CniMain.main(args);
            return;
        }
        System.exit(run(args));
    }

    /** Runs the command line and returns the exit code, without exiting. */
    public static int run(String... args) {
        Logging.configure(args, System.getenv());
        return commandLine().execute(args);
    }

    static CommandLine commandLine() {
        return new CommandLine(new Main());
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing required subcommand");
    }
}
