package io.javaoverlay.cli;

import java.util.concurrent.Callable;

import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code javaoverlay completion}: the shell completion script, generated from the commands themselves. */
@Command(name = "completion", mixinStandardHelpOptions = true,
        description = {
            "Prints a completion script for bash (zsh: after `autoload -U bashcompinit && bashcompinit`) that "
                    + "completes subcommands, options and their values, generated from this very command line.",
            "",
            "  source <(javaoverlay completion)                            # this shell only",
            "  javaoverlay completion > /etc/bash_completion.d/javaoverlay  # every new shell"
        })
final class CompletionCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        CommandLine root = spec.root().commandLine();
        String script = AutoComplete.bash(root.getCommandName(), root);
        spec.commandLine().getOut().print(script);
        spec.commandLine().getOut().flush();
        return 0;
    }
}
