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
            CniCommand.class, DockerPluginCommand.class, DockerPortsCommand.class,
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
        CommandLine line = commandLine();
        String[] picocliArgs;
        try {
            picocliArgs = toPicocli(line, args);
        } catch (CommandLine.ParameterException e) {
            line.getErr().println("javaoverlay " + e.getCommandLine().getCommandName() + ": " + e.getMessage());
            return line.getCommandSpec().exitCodeOnInvalidInput();
        }
        return line.execute(picocliArgs);
    }

    /** The commands that take flanneld's flags, and so Go's flag syntax. */
    private static final java.util.Set<String> FLANNELD_COMMANDS = java.util.Set.of("agent", "docker-plugin");

    /**
     * The command line with the arguments of {@code agent} and {@code docker-plugin} turned
     * from Go's flag syntax into picocli's ({@link GoFlagSyntax}); everything else unchanged.
     */
    static String[] toPicocli(CommandLine line, String... args) {
        for (int i = 0; i < args.length; i++) {
            if (FLANNELD_COMMANDS.contains(args[i])) {
                java.util.List<String> out = new java.util.ArrayList<>(java.util.List.of(args).subList(0, i + 1));
                out.addAll(GoFlagSyntax.toPicocli(line.getSubcommands().get(args[i]),
                        java.util.List.of(args).subList(i + 1, args.length)));
                return out.toArray(String[]::new);
            }
            if (!args[i].startsWith("-")) {
                break; // another command
            }
            if (args[i].equals("--log-level")) {
                i++; // its value
            }
        }
        return args;
    }

    static CommandLine commandLine() {
        // help as wide as the terminal, with long option names kept on their line. No picocli
        // argument files: `config set @FILE` means the file's JSON, which picocli would otherwise
        // split into words as arguments before the command saw it.
        CommandLine line = new CommandLine(new Main()).setUsageHelpAutoWidth(true).setUsageHelpLongOptionsMaxWidth(34)
                .setExpandAtFiles(false).setExecutionExceptionHandler(Main::refusalOrThrow);
        for (String name : FLANNELD_COMMANDS) {
            // Go's flag package lets a later flag override an earlier one (a unit's defaults, then $FLANNEL_OPTIONS)
            line.getSubcommands().get(name).setOverwrittenOptionsAllowed(true);
        }
        CommandLine.IParameterExceptionHandler usage = line.getParameterExceptionHandler();
        // a refused FLANNELD_* variable surfaces while picocli applies defaults, wrapped: say just why
        line.setParameterExceptionHandler((e, args) -> e.getCause() instanceof RefusedFlagException r
                ? refusal(r, e.getCommandLine())
                : usage.handleParseException(e, args));
        return line;
    }

    private static int refusal(RefusedFlagException r, CommandLine line) {
        line.getErr().println("javaoverlay " + line.getCommandName() + ": " + r.getMessage());
        return line.getCommandSpec().exitCodeOnInvalidInput();
    }

    /** A refused flag is a usage error: its message, no stack trace, picocli's exit code for bad input. */
    private static int refusalOrThrow(Exception e, CommandLine line, CommandLine.ParseResult parsed) throws Exception {
        if (e instanceof RefusedFlagException r) {
            return refusal(r, line);
        }
        throw e;
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing required subcommand");
    }
}
