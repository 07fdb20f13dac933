package io.javaoverlay.core.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.javaoverlay.core.net.WireguardKey;

/** flannel's key file: WIREGUARD_KEY_FILE or /run/flannel/wgkey, the bare base64 key, root's alone. */
class WireguardKeyStoreTest {

    @TempDir
    Path dir;

    @Test
    void theFileIsFlannelsVariableElseItsDefault() {
        assertThat(WireguardKeyStore.fromEnvironment(Map.of()).file()).isEqualTo(Path.of("/run/flannel/wgkey"));
        assertThat(WireguardKeyStore.fromEnvironment(Map.of("WIREGUARD_KEY_FILE", "/etc/flannel/key")).file()).isEqualTo(Path.of("/etc/flannel/key"));
    }

    @Test
    void aKeyIsMadeOnceReadOnlyForRootAndReadBackAtTheNextStart() throws IOException {
        Path f = dir.resolve("sub/wgkey");
        WireguardKey k = new WireguardKeyStore(f).privateKey();
        String text = Files.readString(f);
        assertThat(text).as("the bare key, as flannel writes and parses it").isEqualTo(k.toString()).hasSize(44);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f))).isEqualTo("r--------");
        assertThat(new WireguardKeyStore(f).privateKey()).isEqualTo(k);
        try (var s = Files.list(f.getParent())) {
            assertThat(s.toList()).as("no temporary file left").containsExactly(f);
        }
    }

    @Test
    void aKeyWrittenByWgGenkeyWithItsNewlineIsRead() throws IOException {
        Path f = dir.resolve("wgkey");
        Files.writeString(f, "YAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=\n");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
        assertThat(new WireguardKeyStore(f).privateKey()).isEqualTo(WireguardKey.parse("YAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk="));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f))).as("tightened").isEqualTo("rw-------");
    }

    @Test
    void aFileWithoutAKeyIsAnErrorThatSaysWhatToDo() throws IOException {
        Path f = dir.resolve("wgkey");
        Files.writeString(f, "not a key");
        assertThatThrownBy(() -> new WireguardKeyStore(f).privateKey()).isInstanceOf(BackendException.class)
                .hasMessageContaining("does not hold a key").hasMessageContaining("remove it to make a new one");
    }
}
