package io.javaoverlay.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;

import picocli.CommandLine;

class CommandLineTest {

    @Test
    void flannelsFlagsParseAndFlanneldEnvironmentFillsTheRest() {
        AgentCommand cmd = new AgentCommand();
        CommandLine cl = new CommandLine(cmd).setDefaultValueProvider(new FlanneldEnvDefaults(Map.of(
                "FLANNELD_ETCD_ENDPOINTS", "http://10.0.0.1:2379,http://10.0.0.2:2379",
                "FLANNELD_SUBNET_LEASE_RENEW_MARGIN", "30",
                "FLANNELD_IP_MASQ", "true",
                "FLANNELD_IFACE", "eth9",
                "FLANNELD_HEALTHZ_PORT", "")));
        cl.parseArgs("--iface", "eth0", "--iface", "10.0.0.7", "--iface-regex", "^en", "--public-ip", "10.0.0.7",
                "--subnet-file", "/tmp/x.env", "--etcd-prefix", "/my/net");

        assertThat(cmd.ifaces).containsExactly("eth0", "10.0.0.7");
        assertThat(cmd.ifaceRegexes).containsExactly("^en");
        assertThat(cmd.renewMargin).isEqualTo(Duration.ofMinutes(30));
        assertThat(cmd.ipMasq).isTrue();
        assertThat(cmd.healthzPort).as("an empty variable counts as unset").isZero();
        assertThat(cmd.subnetFile).isEqualTo(Path.of("/tmp/x.env"));
        assertThat(cmd.leaseTtl).isEqualTo(Duration.ofHours(24));
        assertThat(cmd.store.etcd()).hasValueSatisfying(e -> {
            assertThat(e.endpoints()).containsExactly("http://10.0.0.1:2379", "http://10.0.0.2:2379");
            assertThat(e.prefix()).isEqualTo("/my/net");
        });
    }

    @Test
    void withoutEtcdEndpointsFlannelsDefaultEtcdIsUsed() {
        AgentCommand cmd = new AgentCommand();
        new CommandLine(cmd).setDefaultValueProvider(new FlanneldEnvDefaults(Map.of())).parseArgs();
        assertThat(cmd.store.etcd()).hasValueSatisfying(e ->
                assertThat(e.endpoints()).containsExactly("http://127.0.0.1:4001", "http://127.0.0.1:2379"));
        assertThat(cmd.subnetFile).isEqualTo(Path.of("/run/flannel/subnet.env"));
    }

    @Test
    void variableNamesFollowFlanneld() {
        assertThat(FlanneldEnvDefaults.variableFor("--etcd-endpoints")).isEqualTo("FLANNELD_ETCD_ENDPOINTS");
        assertThat(FlanneldEnvDefaults.variableFor("--subnet-lease-renew-margin")).isEqualTo("FLANNELD_SUBNET_LEASE_RENEW_MARGIN");
    }

    @Test
    void durationsAcceptFlannelsMinutesAndUnits() {
        DurationConverter.Minutes minutes = new DurationConverter.Minutes();
        assertThat(minutes.convert("60")).isEqualTo(Duration.ofMinutes(60));
        assertThat(minutes.convert("5s")).isEqualTo(Duration.ofSeconds(5));
        DurationConverter seconds = new DurationConverter();
        assertThat(seconds.convert("24h")).isEqualTo(Duration.ofHours(24));
        assertThat(seconds.convert("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(seconds.convert("PT2M")).isEqualTo(Duration.ofMinutes(2));
        assertThatThrownBy(() -> seconds.convert("soon")).hasMessageContaining("'soon' is not a duration");
    }

    @Test
    void configSetRefusesAnInvalidConfigBeforeTouchingAnyStore() {
        StringWriter err = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setErr(new PrintWriter(err));
        int rc = cl.execute("config", "set", "--etcd-endpoints", "http://127.0.0.1:1", "{\"Network\":\"10.0.0.0/16\",\"SubnetLen\":31}");
        assertThat(rc).isEqualTo(1);
        assertThat(err.toString()).contains("not stored: SubnetLen 31 is too long");
    }

    @Test
    void subcommandsAreRegistered() {
        assertThat(Main.commandLine().getSubcommands()).containsKeys("agent", "leases", "config");
    }

    @Test
    void configAndLeasesWorkOnTheEmbeddedStore(@org.junit.jupiter.api.io.TempDir Path dir) throws java.io.IOException {
        StringWriter out = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out));
        String leaseDir = dir.resolve("leases").toString();

        assertThat(cl.execute("config", "get", "--lease-dir", leaseDir)).isZero();
        assertThat(out.toString()).as("the built-in default").contains("\"Network\": \"10.244.0.0/16\"");

        assertThat(cl.execute("config", "set", "--lease-dir", leaseDir, "{\"Network\":\"10.99.0.0/16\"}")).isZero();
        assertThat(dir.resolve("leases/net-conf.json")).hasContent("{\"Network\":\"10.99.0.0/16\"}");
        assertThat(cl.execute("config", "get", "--lease-dir", leaseDir)).isZero();
        assertThat(out.toString()).contains("{\"Network\":\"10.99.0.0/16\"}");

        // @FILE: the file's JSON as it is (the Kubernetes manifest's net-config does this)
        Path file = dir.resolve("net-conf.json");
        java.nio.file.Files.writeString(file, "{\n  \"Network\": \"10.98.0.0/16\",\n  \"Backend\": {\"Type\": \"vxlan\"}\n}\n");
        assertThat(cl.execute("config", "set", "--lease-dir", leaseDir, "@" + file)).isZero();
        assertThat(cl.execute("config", "get", "--lease-dir", leaseDir)).isZero();
        assertThat(out.toString()).contains("10.98.0.0/16");

        assertThat(cl.execute("leases", "--lease-dir", leaseDir)).isZero();
        assertThat(out.toString()).contains("SUBNET             PUBLIC-IP       BACKEND  EXPIRES");
    }
}
