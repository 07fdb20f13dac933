package io.javaoverlay.core.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileModesTest {

    @TempDir
    Path dir;

    private static String mode(Path p) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    @Test
    void aPrivateDirectoryAndTheParentsItMakesAreOwnerOnly() throws Exception {
        Path leaf = dir.resolve("a/b/c");
        FileModes.privateDirectory(leaf);
        assertThat(mode(leaf)).isEqualTo("rwx------");
        assertThat(mode(dir.resolve("a"))).isEqualTo("rwx------");
        assertThat(mode(dir.resolve("a/b"))).isEqualTo("rwx------");
    }

    @Test
    void anExistingPrivateDirectoryOpenToOthersIsTightened() throws Exception {
        Path old = Files.createDirectory(dir.resolve("old"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        Files.setPosixFilePermissions(old, PosixFilePermissions.fromString("rwxrwxrwx"));
        FileModes.privateDirectory(old);
        assertThat(mode(old)).isEqualTo("rwx------");
    }

    @Test
    void aSharedScratchDirectoryLikeTmpIsRefusedAndLeftAsItIs() throws Exception {
        Path scratch = Files.createDirectory(dir.resolve("tmp"));
        Files.setAttribute(scratch, "unix:mode", 01777);
        assertThatThrownBy(() -> FileModes.privateDirectory(scratch))
                .isInstanceOf(FileModes.SharedDirectoryException.class)
                .hasMessageContaining(scratch.resolve("javaoverlay").toString());
        assertThat((Integer) Files.getAttribute(scratch, "unix:mode") & 07777).isEqualTo(01777);
    }

    @Test
    void aSharedDirectoryIsTraversableWhateverTheUmaskWouldAdd() throws Exception {
        Path shared = dir.resolve("run/flannel");
        FileModes.sharedDirectory(shared);
        assertThat(mode(shared)).isEqualTo("rwxr-xr-x");
        assertThat(mode(dir.resolve("run"))).isEqualTo("rwxr-xr-x");
    }

    @Test
    void anExistingSharedDirectoryIsLeftAsItIs() throws Exception {
        Path system = Files.createDirectory(dir.resolve("sys"));
        Files.setPosixFilePermissions(system, PosixFilePermissions.fromString("rwxr-x---"));
        FileModes.sharedDirectory(system);
        assertThat(mode(system)).isEqualTo("rwxr-x---");
    }

    @Test
    void missingPrivateDirectoriesAreMadeOwnerOnlyAndAnExistingOneIsLeftAlone() throws Exception {
        Path made = dir.resolve("run/docker/plugins");
        FileModes.missingPrivateDirectories(made);
        assertThat(mode(made)).isEqualTo("rwx------");
        Path docker = Files.createDirectory(dir.resolve("docker-owned"));
        Files.setPosixFilePermissions(docker, PosixFilePermissions.fromString("rwxr-xr-x"));
        FileModes.missingPrivateDirectories(docker);
        assertThat(mode(docker)).isEqualTo("rwxr-xr-x");
    }

    @Test
    void aLooseFileIsTightened() throws Exception {
        Path f = Files.writeString(dir.resolve("lock"), "");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
        FileModes.tightenFile(f);
        assertThat(mode(f)).isEqualTo("rw-------");
    }

    @Test
    void atomicFilesAreOwnerOnlyUnlessAskedOtherwise() throws Exception {
        Path state = dir.resolve("state.json");
        Path shared = dir.resolve("subnet.env");
        AtomicFiles.writeString(state, "{}");
        AtomicFiles.writeString(shared, "X=1\n", FileModes.SHARED_FILE);
        assertThat(mode(state)).isEqualTo("rw-------");
        assertThat(mode(shared)).isEqualTo("rw-r--r--");
        // a file replaced by a private write loses the looser mode it had
        AtomicFiles.writeString(shared, "X=2\n");
        assertThat(mode(shared)).isEqualTo("rw-------");
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("state.json", "subnet.env");
        }
    }
}
