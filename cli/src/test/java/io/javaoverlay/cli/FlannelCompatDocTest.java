package io.javaoverlay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * docs/flannel-compat.md cannot drift: its table of flanneld's flags is checked against the
 * agent's picocli model and the list of refused flags, and every agent flag is in one of its tables.
 */
class FlannelCompatDocTest {

    private static final Path DOC = Path.of(System.getProperty("javaoverlay.home", "..")).resolve("docs/flannel-compat.md");

    /** Every flag flanneld v0.28 registers (flannel-io/flannel main.go: its flag set, plus klog's -v, -vmodule, -log_backtrace_at). */
    static final Set<String> FLANNELD_V028 = Set.of("--etcd-endpoints", "--etcd-prefix", "--etcd-keyfile", "--etcd-certfile",
            "--etcd-cafile", "--etcd-username", "--etcd-password", "--iface", "--iface-regex", "--iface-can-reach", "--subnet-file",
            "--public-ip", "--public-ipv6", "--subnet-lease-renew-margin", "--ip-masq", "--ip-masq-fully-random-disable",
            "--kube-subnet-mgr", "--kube-api-url", "--kube-annotation-prefix", "--kubeconfig-file", "--version", "--healthz-ip",
            "--healthz-port", "--iptables-resync", "--iptables-forward-rules", "--ip-blackhole-route", "--net-config-path",
            "--set-node-network-unavailable", "-v", "--vmodule", "--log_backtrace_at");

    /** The rows of the table under {@code heading}: first cell (the flag, without backticks) to all cells. */
    static Map<String, List<String>> table(String heading) throws IOException {
        List<String> lines = Files.readAllLines(DOC);
        int start = lines.indexOf(heading);
        assertThat(start).as("heading " + heading + " in " + DOC).isNotNegative();
        Map<String, List<String>> rows = new LinkedHashMap<>();
        boolean inTable = false;
        for (String line : lines.subList(start + 1, lines.size())) {
            if (line.startsWith("## ")) {
                break;
            }
            if (!line.startsWith("|")) {
                if (inTable) {
                    break;
                }
                continue;
            }
            inTable = true;
            List<String> cells = new ArrayList<>();
            for (String c : line.substring(1, line.lastIndexOf('|')).split("\\|", -1)) {
                cells.add(c.strip().replace("`", ""));
            }
            if (!cells.get(0).equals("flag") && !cells.get(0).startsWith("---")) {
                rows.put(cells.get(0), cells);
            }
        }
        return rows;
    }

    static Map<String, OptionSpec> agentOptions() {
        return Main.commandLine().getSubcommands().get("agent").getCommandSpec().options().stream()
                .collect(Collectors.toMap(OptionSpec::longestName, o -> o));
    }

    @Test
    void everyFlanneldFlagHasItsStatusAndVariable() throws IOException {
        Map<String, List<String>> rows = table("## flanneld v0.28 flags");
        Map<String, OptionSpec> options = agentOptions();
        assertThat(rows.keySet()).containsExactlyInAnyOrderElementsOf(FLANNELD_V028);
        for (var row : rows.entrySet()) {
            String flag = row.getKey();
            OptionSpec option = options.get(flag);
            assertThat(option).as(flag + " is an agent option").isNotNull();
            String variable = row.getValue().get(1);
            if (option.usageHelp() || option.versionHelp()) {
                assertThat(variable).as(flag).isEqualTo("—");
            } else {
                assertThat(variable).as(flag).isEqualTo(FlanneldEnvDefaults.variableFor(flag));
            }
            String status = row.getValue().get(2);
            assertThat(status).as(flag).isEqualTo(RefusedFlanneldFlags.REASONS.containsKey(flag) ? "refused" : "same");
        }
    }

    @Test
    void everyAgentFlagIsDocumented() throws IOException {
        Set<String> documented = new java.util.HashSet<>(table("## flanneld v0.28 flags").keySet());
        documented.addAll(table("## javaoverlay's own agent flags").keySet());
        assertThat(documented).containsExactlyInAnyOrderElementsOf(agentOptions().keySet());
    }
}
