package io.javaoverlay.core.firewall;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExecutablesTest {

    @Test
    void findsOnlyExecutableFilesOnThePath(@TempDir Path a, @TempDir Path b) throws Exception {
        Files.writeString(a.resolve("iptables"), "not executable");
        Path exe = b.resolve("iptables");
        Files.writeString(exe, "#!/bin/sh\n");
        Files.setPosixFilePermissions(exe, PosixFilePermissions.fromString("rwx------"));
        assertThat(Executables.onPath("iptables", a + ":" + b)).contains(exe);
        assertThat(Executables.onPath("iptables", a.toString())).isEmpty();
        assertThat(Executables.onPath("iptables", "")).isEmpty();
        assertThat(Executables.onPath("iptables", null)).isEmpty();
    }
}
