package io.javaoverlay.core.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class FileModesTest {

    @TempDir
    Path dir;

    private static String mode(Path p) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    /** What FileModes is asked to do with a path. */
    interface ModeStep {
        void apply(Path p) throws Exception;
    }

    /** name, the call, a missing directory below the test's own, and the mode it and each parent the call makes must have. */
    static Stream<Arguments> missingDirectories() {
        return Stream.of(
                Arguments.of("a private directory and the parents it makes are owner-only", (ModeStep) FileModes::privateDirectory,
                        "a/b/c", "rwx------"),
                Arguments.of("a shared directory is traversable whatever the umask would add", (ModeStep) FileModes::sharedDirectory,
                        "run/flannel", "rwxr-xr-x"),
                Arguments.of("missing private directories are made owner-only", (ModeStep) FileModes::missingPrivateDirectories,
                        "run/docker/plugins", "rwx------"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("missingDirectories")
    void aMissingDirectoryAndItsParentsAreMadeWithTheMode(String name, ModeStep step, String missing, String mode) throws Exception {
        Path leaf = dir.resolve(missing);
        step.apply(leaf);
        for (Path p = leaf; !p.equals(dir); p = p.getParent()) {
            assertThat(mode(p)).as(p.toString()).isEqualTo(mode);
        }
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

    /** name, whether the path is a directory, its mode beforehand, the call, and the mode it must have afterwards. */
    static Stream<Arguments> existingPaths() {
        return Stream.of(
                Arguments.of("an existing private directory open to others is tightened", true, "rwxrwxrwx",
                        (ModeStep) FileModes::privateDirectory, "rwx------"),
                Arguments.of("an existing shared directory is left as it is", true, "rwxr-x---",
                        (ModeStep) FileModes::sharedDirectory, "rwxr-x---"),
                Arguments.of("an existing directory (Docker's) is left alone by missingPrivateDirectories", true, "rwxr-xr-x",
                        (ModeStep) FileModes::missingPrivateDirectories, "rwxr-xr-x"),
                Arguments.of("a loose file is tightened", false, "rw-r--r--", (ModeStep) FileModes::tightenFile, "rw-------"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("existingPaths")
    void anExistingPathEndsWithTheModeItShould(String name, boolean directory, String before, ModeStep step, String after)
            throws Exception {
        Path p = directory ? Files.createDirectory(dir.resolve("existing")) : Files.writeString(dir.resolve("existing"), "");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(before));
        step.apply(p);
        assertThat(mode(p)).isEqualTo(after);
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
