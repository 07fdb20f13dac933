package io.javaoverlay.core.firewall;

import java.util.List;

/**
 * One iptables rule: table, chain and the rule specification as iptables takes it
 * ({@code -s 10.5.0.0/16 -j ACCEPT}), one argument per element.
 */
public record Rule(String table, String chain, List<String> spec) {

    public Rule {
        if (table == null || table.isBlank() || chain == null || chain.isBlank()) {
            throw new IllegalArgumentException("a rule needs a table and a chain");
        }
        if (spec == null || spec.isEmpty()) {
            throw new IllegalArgumentException("a rule needs a specification");
        }
        spec = List.copyOf(spec);
    }

    public static Rule of(String table, String chain, String... spec) {
        return new Rule(table, chain, List.of(spec));
    }

    /**
     * The rule as {@code iptables -S} prints it: {@code -A CHAIN spec...}, arguments with
     * spaces in double quotes.
     */
    public String toSaveFormat() {
        StringBuilder sb = new StringBuilder("-A ").append(chain);
        for (String arg : spec) {
            sb.append(' ');
            if (arg.indexOf(' ') >= 0) {
                sb.append('"').append(arg).append('"');
            } else {
                sb.append(arg);
            }
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return "-t " + table + " -A " + chain + " " + String.join(" ", spec);
    }
}
