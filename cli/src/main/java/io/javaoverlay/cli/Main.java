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
            "plugin.",
            ""
        },
        commandListHeading = "%nCommands:%n",
        footerHeading = "%n",
        footer = {
            "Getting started (as root; nothing outside network namespaces is changed):",
            "  javaoverlay demo        3 hosts in namespaces, a real agent each, containers",
            "                          attached by the CNI plugin, pings across hosts;",
            "                          everything is removed again on exit",
            "",
            "On every host of a real network (an etcd all hosts reach):",
            "  javaoverlay config set --etcd-endpoints=http://ETCD:2379 \\",
            "      '{\"Network\": \"10.5.0.0/16\", \"Backend\": {\"Type\": \"vxlan\"}}'",
            "  javaoverlay agent --etcd-endpoints=http://ETCD:2379 --healthz-port=8471",
            "  javaoverlay status      this host's lease and peers, and whether they answer",
            "",
            "Files:",
            "  /run/flannel/subnet.env   written by the agent: FLANNEL_NETWORK,",
            "                            FLANNEL_SUBNET, FLANNEL_MTU, FLANNEL_IPMASQ",
            "  /etc/default/javaoverlay  settings of javaoverlay.service (dist/systemd)",
            "",
            "Environment:",
            "  FLANNELD_<FLAG>           any agent flag, e.g. FLANNELD_ETCD_ENDPOINTS",
            "  JAVAOVERLAY_LOG_LEVEL     default of --log-level",
            "  JAVA_HOME                 the Java runtime (17+) bin/javaoverlay runs on",
            "  JAVAOVERLAY_JAVA_OPTS     extra JVM options",
            "  CNI_COMMAND               with no arguments: act as the CNI plugin",
            "",
            "Shell completion: source <(javaoverlay completion)"
        },
        subcommands = {CommandLine.HelpCommand.class, AgentCommand.class, LeasesCommand.class, ConfigCommand.class,
            CniCommand.class, DockerPluginCommand.class,
            io.javaoverlay.cli.demo.DemoCommand.class, io.javaoverlay.cli.status.StatusCommand.class, CompletionCommand.class})
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
        // help as wide as the terminal, with long option names kept on their line. No picocli
        // argument files: `config set @FILE` means the file's JSON, which picocli would otherwise
        // split into words as arguments before the command saw it.
        return new CommandLine(new Main()).setUsageHelpAutoWidth(true).setUsageHelpLongOptionsMaxWidth(34)
                .setExpandAtFiles(false);
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing required subcommand");
    }
}
