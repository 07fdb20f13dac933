package io.javaoverlay.cli;

import java.util.Locale;
import java.util.Map;

import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * flanneld's environment fallback: an option not given on the command line is read from
 * {@code FLANNELD_<NAME>}, the long name upper-cased with dashes as underscores
 * ({@code --etcd-endpoints} from {@code FLANNELD_ETCD_ENDPOINTS}; {@code -v} from {@code FLANNELD_V}).
 * Empty values count as unset. A boolean takes Go's bool words ({@code FLANNELD_IP_MASQ=1}), as
 * flanneld parses it; another word is refused, naming the variable.
 */
final class FlanneldEnvDefaults implements IDefaultValueProvider {

    private final Map<String, String> env;

    FlanneldEnvDefaults() {
        this(System.getenv());
    }

    FlanneldEnvDefaults(Map<String, String> env) {
        this.env = env;
    }

    static String variableFor(String longName) {
        return "FLANNELD_" + longName.replaceFirst("^-+", "").replace('-', '_').toUpperCase(Locale.ROOT);
    }

    @Override
    public String defaultValue(ArgSpec argSpec) {
        // not the global --log-level (inherited from javaoverlay): JAVAOVERLAY_LOG_LEVEL sets it, before parsing
        if (argSpec instanceof OptionSpec o && o.longestName().startsWith("-") && !o.inherited()) {
            String variable = variableFor(o.longestName());
            String v = env.get(variable);
            if (v != null && !v.isEmpty()) {
                if (GoFlagSyntax.isBoolean(o)) {
                    return GoBool.parse(v).map(String::valueOf).orElseThrow(() -> new RefusedFlagException(o.longestName(),
                            variable + "=\"" + v + "\" is not a boolean: use " + GoBool.words()));
                }
                return v;
            }
        }
        return argSpec.defaultValue();
    }
}
