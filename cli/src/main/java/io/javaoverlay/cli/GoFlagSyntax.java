package io.javaoverlay.cli;

import java.util.ArrayList;
import java.util.List;

import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Turns a command line written in Go's flag syntax (flanneld's) into picocli's, knowing the
 * options from the command's picocli model, so that flannel's unit files and manifests run
 * unchanged and picocli stays the only parser.
 *
 * <p>Go's {@code flag} package accepts one or two dashes alike ({@code -etcd-endpoints=URL},
 * {@code --etcd-endpoints URL}); a boolean takes its value only after {@code =}, in Go's bool
 * words ({@code -ip-masq=1}), and never the next argument; parsing stops at the first argument
 * that is not a flag, or after {@code --}. Each known flag is rewritten to
 * {@code --name=value} (a boolean to {@code --name=true|false}), so a value that starts with a
 * dash stays a value. Anything else is passed on untouched for picocli to judge.
 */
final class GoFlagSyntax {

    private GoFlagSyntax() {
    }

    /** Thrown for {@code -flag=word} on a boolean flag when the word is not one of Go's. */
    static final class NotAGoBoolException extends CommandLine.ParameterException {
        private static final long serialVersionUID = 1L;

        NotAGoBoolException(CommandLine line, String flag, String value) {
            super(line, "invalid boolean value \"" + value + "\" for " + flag + ": use " + GoBool.words());
        }
    }

    /**
     * The arguments of {@code command} (those after its name) in picocli's syntax.
     *
     * @param command the subcommand the arguments belong to (its options decide what is boolean)
     */
    static List<String> toPicocli(CommandLine command, List<String> args) {
        CommandSpec spec = command.getCommandSpec();
        List<String> out = new ArrayList<>(args.size());
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (arg.equals("--") || !arg.startsWith("-") || arg.equals("-")) {
                out.addAll(args.subList(i, args.size())); // Go stops at the first non-flag
                return out;
            }
            String body = arg.startsWith("--") ? arg.substring(2) : arg.substring(1);
            int eq = body.indexOf('=');
            String name = eq < 0 ? body : body.substring(0, eq);
            OptionSpec option = find(spec, name);
            if (option == null || name.isEmpty()) {
                out.add(arg);
                continue;
            }
            String flag = option.longestName();
            if (isBoolean(option)) {
                if (eq < 0) {
                    out.add(flag + "=true");
                } else {
                    String value = body.substring(eq + 1);
                    boolean b = GoBool.parse(value).orElseThrow(() -> new NotAGoBoolException(command, "-" + name, value));
                    out.add(flag + "=" + b);
                }
            } else if (option.arity().max() == 0) {
                out.add(flag); // --help, --version
            } else if (eq >= 0) {
                out.add(flag + "=" + body.substring(eq + 1));
            } else if (i + 1 < args.size()) {
                out.add(flag + "=" + args.get(++i)); // Go takes the next argument whatever it looks like
            } else {
                out.add(flag); // picocli says the value is missing
            }
        }
        return out;
    }

    private static OptionSpec find(CommandSpec spec, String name) {
        OptionSpec o = spec.optionsMap().get("--" + name);
        return o != null ? o : spec.optionsMap().get("-" + name);
    }

    /** A flag that takes Go's bool words: a boolean option that accepts an optional value. */
    static boolean isBoolean(OptionSpec option) {
        return option.typeInfo().isBoolean() && option.arity().max() == 1;
    }
}
