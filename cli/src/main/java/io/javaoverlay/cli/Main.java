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
