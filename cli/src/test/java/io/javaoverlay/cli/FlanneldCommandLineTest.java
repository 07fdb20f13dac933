package io.javaoverlay.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

import io.javaoverlay.core.agent.AgentOptions;
import io.javaoverlay.core.metrics.OverlayMetrics;

/**
 * Command lines as flannel's packaging and docs write them, parsed as {@code flanneld} (the
 * launcher's {@code agent}) parses them: Go's flag syntax, Go's bool words, FLANNELD_* variables.
 */
class FlanneldCommandLineTest {

    /** The agent command after Main's Go-syntax pass and picocli, with {@code env} as the environment. */
    static AgentCommand parse(Map<String, String> env, String... args) {
        CommandLine main = Main.commandLine();
        main.getSubcommands().get("agent").setDefaultValueProvider(new FlanneldEnvDefaults(env));
        List<String> argv = new ArrayList<>(List.of("agent"));
        argv.addAll(List.of(args));
        main.parseArgs(Main.toPicocli(main, argv.toArray(String[]::new)));
        return main.getSubcommands().get("agent").getCommand();
    }

    static AgentCommand parse(String... args) {
        return parse(Map.of(), args);
    }

    /** A shell's word splitting of a unit's ExecStart line, after systemd substituted its variables. */
    static String[] words(String line, Map<String, String> vars) {
        String expanded = line;
        for (var v : vars.entrySet()) {
            expanded = expanded.replace("${" + v.getKey() + "}", v.getValue()).replace("$" + v.getKey(), v.getValue());
        }
        String[] w = expanded.trim().split("\\s+");
        assertThat(w[0]).isEqualTo("flanneld");
        return Arrays.copyOfRange(w, 1, w.length);
    }

    @Test
    void theSystemdUnitOfFlannelsPackagesRunsUnchanged() {
        // ExecStart of the flanneld.service shipped by flannel's distribution packages; /etc/sysconfig/flanneld
        // sets FLANNEL_ETCD, FLANNEL_ETCD_KEY and FLANNEL_OPTIONS
        String[] argv = words("flanneld -etcd-endpoints=${FLANNEL_ETCD} -etcd-prefix=${FLANNEL_ETCD_KEY} $FLANNEL_OPTIONS",
                Map.of("FLANNEL_ETCD", "http://10.0.0.1:2379,http://10.0.0.2:2379", "FLANNEL_ETCD_KEY", "/atomic.io/network",
                        "FLANNEL_OPTIONS", "-iface=eth1 -ip-masq=true -subnet-lease-renew-margin 30"));
        AgentOptions o = parse(argv).options();
        assertThat(o.etcd()).hasValueSatisfying(e -> {
            assertThat(e.endpoints()).containsExactly("http://10.0.0.1:2379", "http://10.0.0.2:2379");
            assertThat(e.prefix()).isEqualTo("/atomic.io/network");
        });
        assertThat(o.ifaces()).containsExactly("eth1");
        assertThat(o.ipMasq()).isTrue();
        assertThat(o.renewMargin()).hasMinutes(30);
    }

    @Test
    void flannelsRunningDocLineRunsUnchanged() {
        // Documentation/running.md, "Multiple networks"
        AgentOptions o = parse(words("flanneld -subnet-file /vxlan.env -etcd-prefix=/vxlan/network", Map.of())).options();
        assertThat(o.subnetFile()).isEqualTo(Path.of("/vxlan.env"));
        assertThat(o.etcd()).hasValueSatisfying(e -> {
            assertThat(e.prefix()).isEqualTo("/vxlan/network");
            assertThat(e.endpoints()).as("flannel's default etcd").containsExactly("http://127.0.0.1:4001", "http://127.0.0.1:2379");
        });
    }

    @Test
    void kubeFlannelsContainerArgsRunTheKubernetesSubnetManager() {
        // Documentation/kube-flannel.yml, container kube-flannel: args
        AgentCommand cmd = parse("--ip-masq", "--kube-subnet-mgr", "--healthz-port=8081");
        assertThat(cmd.ipMasq).isTrue();
        assertThat(cmd.healthzPort).isEqualTo(8081);
        assertThat(cmd.kube.enabled()).isTrue();
        assertThat(cmd.options().etcd()).isEmpty();
        // without the node's name (kube-flannel.yml sets NODE_NAME, POD_NAME and POD_NAMESPACE) it cannot start, and says why
        assertThatThrownBy(() -> cmd.kube.open(cmd.store, Map.of("POD_NAME", "kube-flannel-ds-x"), new OverlayMetrics()))
                .isInstanceOfSatisfying(RefusedFlagException.class, e -> assertThat(e.flag()).isEqualTo("--kube-subnet-mgr"))
                .hasMessageContaining("NODE_NAME");
    }

    @ParameterizedTest
    @CsvSource({"1, true", "t, true", "T, true", "true, true", "TRUE, true", "True, true",
        "0, false", "f, false", "F, false", "false, false", "FALSE, false", "False, false"})
    void goBoolWordsSetOrClearABooleanInEveryForm(String word, boolean value) {
        assertThat(parse("-ip-masq=" + word).ipMasq).isEqualTo(value);
        assertThat(parse("--ip-masq=" + word).ipMasq).isEqualTo(value);
        assertThat(parse(Map.of("FLANNELD_IP_MASQ", word)).ipMasq).isEqualTo(value);
        assertThat(parse("-iptables-forward-rules=" + word).iptablesForwardRules).isEqualTo(value);
        assertThat(parse("--iptables-forward-rules=" + word).iptablesForwardRules).isEqualTo(value);
        assertThat(parse(Map.of("FLANNELD_IPTABLES_FORWARD_RULES", word)).iptablesForwardRules).isEqualTo(value);
        assertThat(parse(Map.of("FLANNELD_IP_MASQ", String.valueOf(!value)), "-ip-masq=" + word).ipMasq)
                .as("the command line wins over FLANNELD_*, as in flanneld").isEqualTo(value);
    }

    @Test
    void bareBooleansAndBothDashCountsWithSpaceOrEquals() {
        AgentCommand a = parse("-ip-masq", "-etcd-endpoints", "http://e:2379", "--etcd-prefix", "/p", "-public-ip=10.0.0.5",
                "--subnet-file=/s.env", "-iface", "eth0", "--iface", "eth1", "-iface-regex=^en", "-healthz-port", "8471");
        assertThat(a.ipMasq).isTrue();
        assertThat(a.store.etcdEndpoints).isEqualTo("http://e:2379");
        assertThat(a.store.etcdPrefix).isEqualTo("/p");
        assertThat(a.publicIp).isEqualTo("10.0.0.5");
        assertThat(a.subnetFile).isEqualTo(Path.of("/s.env"));
        assertThat(a.ifaces).containsExactly("eth0", "eth1");
        assertThat(a.ifaceRegexes).containsExactly("^en");
        assertThat(a.healthzPort).isEqualTo(8471);
    }

    @Test
    void aRepeatedFlagTakesTheLastValueAsInGo() {
        AgentCommand a = parse("-etcd-prefix=/a/network", "-healthz-port=1", "--etcd-prefix", "/b/network", "-healthz-port=2");
        assertThat(a.store.etcdPrefix).isEqualTo("/b/network");
        assertThat(a.healthzPort).isEqualTo(2);
    }

    @Test
    void aValueThatStartsWithADashIsTakenAsTheValueAsGoDoes() {
        assertThat(parse("-etcd-password", "-secret-", "-ip-masq").store.etcdPassword).isEqualTo("-secret-");
    }

    @Test
    void aWordThatIsNotGosBoolIsRefusedNamingTheFlagOrVariable() {
        assertThatThrownBy(() -> parse("-ip-masq=yes")).isInstanceOf(GoFlagSyntax.NotAGoBoolException.class)
                .hasMessageContaining("-ip-masq");
        assertThatThrownBy(() -> parse(Map.of("FLANNELD_IP_MASQ", "on"))).hasRootCauseInstanceOf(RefusedFlagException.class)
                .rootCause().hasMessageContaining("FLANNELD_IP_MASQ=\"on\"");
    }

    @Test
    void flanneldVariablesWithGoBoolsFillTheSettings() {
        AgentOptions o = parse(Map.of("FLANNELD_ETCD_ENDPOINTS", "http://10.1.1.1:2379", "FLANNELD_ETCD_PREFIX", "/x/network",
                "FLANNELD_IP_MASQ", "1", "FLANNELD_IPTABLES_FORWARD_RULES", "0", "FLANNELD_IFACE", "eth3",
                "FLANNELD_SUBNET_LEASE_RENEW_MARGIN", "15", "FLANNELD_HEALTHZ_PORT", "8472", "FLANNELD_KUBE_SUBNET_MGR", "false"))
                .options();
        assertThat(o.etcd()).hasValueSatisfying(e -> assertThat(e.prefix()).isEqualTo("/x/network"));
        assertThat(o.ipMasq()).isTrue();
        assertThat(o.iptablesForwardRules()).isFalse();
        assertThat(o.ifaces()).containsExactly("eth3");
        assertThat(o.renewMargin()).hasMinutes(15);
        assertThat(o.healthzPort()).isEqualTo(8472);
    }

    @Test
    void theEmbeddedStoreIsChosenOnlyExplicitly() {
        assertThat(parse("--lease-dir", "/tmp/l").options().etcd()).isEmpty();
        assertThat(parse(Map.of("FLANNELD_LEASE_DIR", "/tmp/l")).options().etcd()).isEmpty();
        assertThatThrownBy(() -> parse("-lease-dir=/tmp/l", "-etcd-endpoints=http://e:2379").options())
                .isInstanceOfSatisfying(RefusedFlagException.class, e -> assertThat(e.flag()).isEqualTo("--lease-dir"));
        assertThatThrownBy(() -> parse("-net-config-path=/etc/kube-flannel/net-conf.json").options())
                .isInstanceOfSatisfying(RefusedFlagException.class, e -> assertThat(e.flag()).isEqualTo("--net-config-path"));
    }

    @Test
    void ipMasqFullyRandomDisableTurnsRandomPortMappingOff() {
        assertThat(parse().options().ipMasqFullyRandom()).isTrue();
        assertThat(parse("-ip-masq-fully-random-disable").options().ipMasqFullyRandom()).isFalse();
        assertThat(parse(Map.of("FLANNELD_IP_MASQ_FULLY_RANDOM_DISABLE", "t")).options().ipMasqFullyRandom()).isFalse();
    }

    @Test
    void everyRefusedFlagIsRefusedWhenItAsksForSomethingAndAcceptedAtFlannelsDefault() {
        Map<String, String> asking = Map.of("--ip-blackhole-route", "true",
                "--vmodule", "main=2", "--log_backtrace_at", "main.go:10");
        assertThat(asking.keySet()).containsExactlyInAnyOrderElementsOf(RefusedFlanneldFlags.REASONS.keySet());
        for (var e : asking.entrySet()) {
            String goForm = "-" + e.getKey().substring(2) + "=" + e.getValue();
            assertThatThrownBy(() -> parse(goForm).options()).as(goForm).isInstanceOfSatisfying(RefusedFlagException.class,
                    r -> assertThat(r.flag()).isEqualTo(e.getKey()));
            String variable = FlanneldEnvDefaults.variableFor(e.getKey());
            assertThatThrownBy(() -> parse(Map.of(variable, e.getValue())).options()).as(variable)
                    .isInstanceOf(RefusedFlagException.class);
        }
        parse("-kube-subnet-mgr=false", "-ip-blackhole-route=0",
                "-kube-annotation-prefix=flannel.alpha.coreos.com", "-set-node-network-unavailable=true").options();
    }

    @Test
    void publicIpv6TakesBothSyntaxesAndTheVariableInRfc5952Form() {
        assertThat(parse().options().publicIpv6()).as("flannel's default: none").isEmpty();
        assertThat(parse("-public-ipv6=fd00:e2e::101").options().publicIpv6()).hasValue("fd00:e2e::101");
        assertThat(parse("-public-ipv6", "2001:db8::5").options().publicIpv6()).hasValue("2001:db8::5");
        assertThat(parse("--public-ipv6=FD00:E2E:0:0:0:0:0:0101").options().publicIpv6()).as("written as flannel writes it")
                .hasValue("fd00:e2e::101");
        assertThat(parse("--public-ipv6", "fd00:e2e::7").options().publicIpv6()).hasValue("fd00:e2e::7");
        assertThat(parse(Map.of("FLANNELD_PUBLIC_IPV6", "fd00:e2e::8")).options().publicIpv6()).hasValue("fd00:e2e::8");
        assertThat(parse(Map.of("FLANNELD_PUBLIC_IPV6", "fd00:e2e::8"), "-public-ipv6=fd00:e2e::9").options().publicIpv6())
                .as("the command line wins over FLANNELD_*").hasValue("fd00:e2e::9");
        assertThat(parse("-public-ipv6=").options().publicIpv6()).as("empty is flannel's default").isEmpty();
        AgentOptions both = parse("-public-ip=192.0.2.5", "-public-ipv6=2001:db8::5", "-iface=fd00:e2e::2").options();
        assertThat(both.publicIp()).hasValueSatisfying(ip -> assertThat(ip).hasToString("192.0.2.5"));
        assertThat(both.publicIpv6()).hasValue("2001:db8::5");
        assertThat(both.ifaces()).as("--iface takes an IPv6 address as it is").containsExactly("fd00:e2e::2");
    }

    @ParameterizedTest
    @ValueSource(strings = {"192.0.2.5", "::ffff:192.0.2.5", "fd00::1::2", "fd00::1%eth0", "fd00::/64", "eth0", "::", "::1",
            "fe80::1", "ff02::1"})
    void aPublicIpv6ThatIsNoGlobalUnicastIpv6AddressIsRefusedNamingTheFlagAndVariable(String bad) {
        assertThatThrownBy(() -> parse("-public-ipv6=" + bad).options()).as(bad)
                .isInstanceOfSatisfying(RefusedFlagException.class, e -> assertThat(e.flag()).isEqualTo("--public-ipv6"))
                .hasMessageStartingWith("--public-ipv6 (FLANNELD_PUBLIC_IPV6) is refused: ").hasMessageContaining(bad);
        assertThatThrownBy(() -> parse(Map.of("FLANNELD_PUBLIC_IPV6", bad)).options()).as(bad)
                .isInstanceOfSatisfying(RefusedFlagException.class, e -> assertThat(e.flag()).isEqualTo("--public-ipv6"));
    }

    @Test
    void aRefusedPublicIpv6SaysWhy() {
        assertThatThrownBy(() -> parse("-public-ipv6=fe80::1").options()).hasMessageContaining("link-local");
        assertThatThrownBy(() -> parse("-public-ipv6=192.0.2.5").options()).hasMessageContaining("not an IPv6 address")
                .hasMessageContaining("use --public-ip");
        assertThatThrownBy(() -> parse("-public-ipv6=ff02::1").options()).hasMessageContaining("multicast");
        assertThatThrownBy(() -> parse("-public-ipv6=::1").options()).hasMessageContaining("loopback");
    }

    @Test
    void theKubernetesSubnetManagerTakesFlannelsFlagsAndRefusesAStoreBesideIt() {
        AgentCommand a = parse("-kube-subnet-mgr", "-kube-api-url=https://k:6443", "-kubeconfig-file=/k.conf",
                "-kube-annotation-prefix=example.com/net", "-set-node-network-unavailable=false");
        assertThat(a.options().etcd()).as("no etcd in this mode").isEmpty();
        io.javaoverlay.kube.KubeOptions k = a.kube.options(a.store, Map.of("NODE_NAME", "n1"));
        assertThat(k.apiUrl()).contains("https://k:6443");
        assertThat(k.kubeconfig()).contains(java.nio.file.Path.of("/k.conf"));
        assertThat(k.annotations().publicIp()).isEqualTo("example.com/net-public-ip");
        assertThat(k.setNodeNetworkUnavailable()).isFalse();
        assertThat(k.netConfigPath()).as("flannel's default in this mode").hasToString("/etc/kube-flannel/net-conf.json");
        AgentCommand env = parse(Map.of("FLANNELD_KUBE_SUBNET_MGR", "true", "FLANNELD_NET_CONFIG_PATH", "/etc/x/net-conf.json"));
        assertThat(env.kube.options(env.store, Map.of()).netConfigPath()).hasToString("/etc/x/net-conf.json");
        assertThatThrownBy(() -> parse("-kube-subnet-mgr", "-etcd-endpoints=http://e:2379").options())
                .isInstanceOfSatisfying(RefusedFlagException.class, e -> assertThat(e.flag()).isEqualTo("--etcd-endpoints"));
        assertThatThrownBy(() -> parse("-kube-subnet-mgr", "-lease-dir=/tmp/l").options())
                .isInstanceOfSatisfying(RefusedFlagException.class, e -> assertThat(e.flag()).isEqualTo("--lease-dir"));
        assertThatThrownBy(() -> parse("-kube-api-url=https://k:6443").options()).as("ignored without --kube-subnet-mgr")
                .isInstanceOfSatisfying(RefusedFlagException.class, e -> assertThat(e.flag()).isEqualTo("--kube-api-url"));
        assertThatThrownBy(() -> parse("-kube-subnet-mgr", "-kube-annotation-prefix=a/b/c").options())
                .isInstanceOfSatisfying(RefusedFlagException.class, e -> assertThat(e.flag()).isEqualTo("--kube-annotation-prefix"));
    }

    @Test
    void everyBooleanOfTheAgentAndThePluginTakesGosBoolWords() {
        for (String name : List.of("agent", "docker-plugin")) {
            for (OptionSpec o : Main.commandLine().getSubcommands().get(name).getCommandSpec().options()) {
                if (o.typeInfo().isBoolean() && !o.usageHelp() && !o.versionHelp()) {
                    assertThat(GoFlagSyntax.isBoolean(o)).as(name + " " + o.longestName() + " needs arity 0..1").isTrue();
                }
            }
        }
    }

    @Test
    void theDockerPluginTakesTheAgentsFlagsInGoSyntax() {
        CommandLine main = Main.commandLine();
        String[] argv = Main.toPicocli(main, "--log-level", "debug", "docker-plugin", "-no-agent", "-subnet-file=/s.env",
                "-plugin-socket", "/p.sock", "-ip-masq=1");
        assertThat(argv).containsExactly("--log-level", "debug", "docker-plugin", "--no-agent=true", "--subnet-file=/s.env",
                "--plugin-socket=/p.sock", "--ip-masq=true");
        assertThat(Main.toPicocli(main, "config", "-x")).as("other commands are left alone").containsExactly("config", "-x");
    }

    @Test
    void goStopsAtTheFirstArgumentThatIsNotAFlag() {
        assertThat(Main.toPicocli(Main.commandLine(), "agent", "-ip-masq", "extra", "-iface=eth0"))
                .containsExactly("agent", "--ip-masq=true", "extra", "-iface=eth0");
    }

    @Test
    void klogVerbosityMapsToALogLevel() {
        assertThat(Logging.levelForVerbosity("0")).isEmpty();
        assertThat(Logging.levelForVerbosity("2")).contains("debug");
        assertThat(Logging.levelForVerbosity("10")).contains("trace");
        assertThat(parse("-v=3").verbosity).isEqualTo(3);
        assertThat(parse("--v", "5").verbosity).isEqualTo(5);
        assertThat(parse(Map.of("FLANNELD_V", "2")).verbosity).isEqualTo(2);
    }

    @Test
    void versionAndHelpInGoSyntax() {
        StringWriter out = new StringWriter();
        CommandLine main = Main.commandLine();
        main.setOut(new PrintWriter(out, true));
        assertThat(main.execute(Main.toPicocli(main, "agent", "-version"))).isZero();
        assertThat(out.toString()).startsWith("javaoverlay ");
        assertThat(Main.toPicocli(main, "agent", "-help")).containsExactly("agent", "--help");
    }
}
