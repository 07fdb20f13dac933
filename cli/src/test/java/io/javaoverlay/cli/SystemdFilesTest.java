package io.javaoverlay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

import picocli.CommandLine;

/**
 * The files in dist/systemd: the unit has what systemd needs for a notify service ordered between
 * etcd and docker, and every variable of the environment file is a real agent flag that parses
 * into what its comment promises.
 */
class SystemdFilesTest {

    private static final Path DIST = Path.of(System.getProperty("javaoverlay.home", "..")).resolve("dist/systemd");

    /** A systemd unit as section -> key -> values (keys may repeat). */
    private static Map<String, Map<String, List<String>>> unit(Path file) throws IOException {
        Map<String, Map<String, List<String>>> sections = new LinkedHashMap<>();
        String section = null;
        for (String raw : Files.readAllLines(file)) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#") || line.startsWith(";")) {
                continue;
            }
            if (line.startsWith("[") && line.endsWith("]")) {
                section = line.substring(1, line.length() - 1);
                sections.putIfAbsent(section, new LinkedHashMap<>());
                continue;
            }
            assertThat(section).as("key outside a section in " + file + ": " + line).isNotNull();
            int eq = line.indexOf('=');
            assertThat(eq).as("not key=value in " + file + ": " + line).isPositive();
            sections.get(section).computeIfAbsent(line.substring(0, eq).strip(), k -> new ArrayList<>()).add(line.substring(eq + 1).strip());
        }
        return sections;
    }

    private static List<String> words(List<String> values) {
        return values.stream().flatMap(v -> List.of(v.split("\\s+")).stream()).toList();
    }

    /** KEY=VALUE lines of an environment file (comments and blanks skipped). */
    private static Map<String, String> envFile(Path file) throws IOException {
        Map<String, String> env = new LinkedHashMap<>();
        for (String line : Files.readAllLines(file)) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int eq = line.indexOf('=');
            env.put(line.substring(0, eq), line.substring(eq + 1));
        }
        return env;
    }

    @Test
    void agentUnitIsANotifyServiceBetweenEtcdAndDocker() throws IOException {
        var u = unit(DIST.resolve("javaoverlay.service"));
        var service = u.get("Service");
        assertThat(service.get("Type")).containsExactly("notify");
        assertThat(service.get("NotifyAccess")).containsExactly("main");
        assertThat(service.get("Restart")).containsExactly("on-failure");
        assertThat(service.get("EnvironmentFile")).containsExactly("-/etc/default/javaoverlay");
        assertThat(service.get("ExecStart")).singleElement().satisfies(e -> assertThat(e).endsWith("/bin/javaoverlay agent"));
        assertThat(words(u.get("Unit").get("After"))).contains("etcd.service", "network-online.target");
        assertThat(words(u.get("Unit").get("Before"))).contains("docker.service", "kubelet.service");
        assertThat(u.get("Install").get("WantedBy")).containsExactly("multi-user.target");
        // the launcher keeps the agent's class-data archive where systemd keeps the unit's cache
        assertThat(service.get("CacheDirectory")).containsExactly("javaoverlay");
        assertThat(service.get("Environment")).contains("JAVAOVERLAY_AGENT_CACHE=/var/cache/javaoverlay");
    }

    @Test
    void dockerDropInStartsDockerOnTheLeasedSubnet() throws IOException {
        var u = unit(DIST.resolve("docker-javaoverlay.conf"));
        assertThat(u.get("Unit").get("After")).contains("javaoverlay.service");
        assertThat(u.get("Service").get("EnvironmentFile")).containsExactly("/run/flannel/subnet.env");
        // an empty ExecStart= first clears docker's own, as systemd requires for an override
        assertThat(u.get("Service").get("ExecStart")).hasSize(2).first().isEqualTo("");
        assertThat(u.get("Service").get("ExecStart").get(1)).contains("--bip=${FLANNEL_SUBNET}").contains("--mtu=${FLANNEL_MTU}");
    }

    @Test
    void everyFlanneldVariableOfTheEnvironmentFileIsAnAgentFlag() throws IOException {
        Map<String, String> env = envFile(DIST.resolve("javaoverlay.default"));
        Set<String> flags = new CommandLine(new AgentCommand()).getCommandSpec().options().stream()
                .map(o -> FlanneldEnvDefaults.variableFor(o.longestName())).collect(Collectors.toSet());
        // the commented-out examples too: they must work when a user uncomments them
        List<String> all = new ArrayList<>(env.keySet());
        for (String line : Files.readAllLines(DIST.resolve("javaoverlay.default"))) {
            if (line.startsWith("#FLANNELD_")) {
                all.add(line.substring(1, line.indexOf('=')));
            }
        }
        assertThat(all).filteredOn(k -> k.startsWith("FLANNELD_")).isNotEmpty().allSatisfy(k -> assertThat(flags).contains(k));
    }

    @Test
    void theEnvironmentFileParsesIntoTheAgentsSettings() throws IOException {
        Map<String, String> env = envFile(DIST.resolve("javaoverlay.default"));
        AgentCommand cmd = new AgentCommand();
        new CommandLine(cmd).setDefaultValueProvider(new FlanneldEnvDefaults(env)).parseArgs();
        assertThat(cmd.store.etcd()).hasValueSatisfying(e -> {
            assertThat(e.endpoints()).containsExactly("http://127.0.0.1:2379");
            assertThat(e.prefix()).isEqualTo("/coreos.com/network");
        });
        assertThat(cmd.ipMasq).isTrue();
        assertThat(cmd.healthzIp).isEqualTo("127.0.0.1");
        assertThat(cmd.healthzPort).isEqualTo(io.javaoverlay.cli.status.StatusCommand.DEFAULT_PORT);
        assertThat(cmd.subnetFile).isEqualTo(Path.of("/run/flannel/subnet.env"));
        assertThat(cmd.renewMargin).isEqualTo(Duration.ofMinutes(60));
    }
}
