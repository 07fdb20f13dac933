package io.javaoverlay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import picocli.CommandLine;

/** {@code docker-plugin --container-dns} refuses what it cannot serve before anything starts. */
class DockerPluginNamesFlagsTest {

    @TempDir
    Path dir;

    private String refused(String... args) {
        StringWriter err = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setErr(new PrintWriter(err));
        String[] argv = new String[args.length + 4];
        argv[0] = "docker-plugin";
        argv[1] = "--no-agent";
        argv[2] = "--plugin-socket";
        argv[3] = dir.resolve("p.sock").toString();
        System.arraycopy(args, 0, argv, 4, args.length);
        assertThat(cl.execute(argv)).isNotZero();
        assertThat(Files.exists(dir.resolve("p.sock"))).as("no plugin socket").isFalse();
        return err.toString();
    }

    @Test
    void theEmbeddedStoreHasNoNamesAcrossHosts() {
        assertThat(refused("--lease-dir", dir.resolve("leases").toString(), "--container-dns"))
                .contains("--container-dns").contains("embedded store");
    }

    @Test
    void onlyDockerdsUnixSocketIsRead() {
        assertThat(refused("--etcd-endpoints", "http://127.0.0.1:1", "--container-dns", "--docker-host", "tcp://127.0.0.1:2375"))
                .contains("unix:///PATH");
    }

    @Test
    void anUpstreamMustBeAnAddress() {
        assertThat(refused("--etcd-endpoints", "http://127.0.0.1:1", "--container-dns", "--container-dns-upstream", "dns.example"))
                .contains("--container-dns");
        assertThat(refused("--etcd-endpoints", "http://127.0.0.1:1", "--container-dns", "--container-dns-upstream", "192.0.2.1:0"))
                .contains("1-65535");
    }
}
