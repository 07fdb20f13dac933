package io.javaoverlay.cni;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The config's "subnetFile" comes from the runtime's config: what is not a small regular file is refused before it is read. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class HostSubnetTest {

    @TempDir
    Path dir;

    private static void assertInvalid(Path subnetFile, String why) {
        assertThatThrownBy(() -> HostSubnet.read(subnetFile)).isInstanceOfSatisfying(CniException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.SUBNET_ENV_INVALID);
            assertThat(e.details()).contains(why);
        });
    }

    @Test
    void aFifoADeviceOrADirectoryIsRefusedWithoutReadingIt() throws Exception {
        Path fifo = dir.resolve("fifo");
        assertThat(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor()).isZero();
        // a FIFO would block the read until a writer comes; /dev/zero would never end
        assertInvalid(fifo, "not a regular file");
        assertInvalid(Path.of("/dev/zero"), "not a regular file");
        assertInvalid(dir, "not a regular file");
    }

    @Test
    void aHugeFileIsRefusedAndAMissingOneIsTryAgain() throws Exception {
        Path big = Files.writeString(dir.resolve("big"), "#".repeat((int) io.javaoverlay.core.config.SubnetEnv.MAX_BYTES + 1));
        assertInvalid(big, "larger than");
        assertThatThrownBy(() -> HostSubnet.read(dir.resolve("absent")))
                .isInstanceOfSatisfying(CniException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.TRY_AGAIN_LATER));
    }
}
