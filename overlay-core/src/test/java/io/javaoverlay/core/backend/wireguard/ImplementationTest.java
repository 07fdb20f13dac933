package io.javaoverlay.core.backend.wireguard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import io.javaoverlay.core.backend.BackendException;

/** Kernel WireGuard when the kernel has it, else wireguard-go, else an error naming both. */
class ImplementationTest {

    static final Optional<Path> WG_GO = Optional.of(Path.of("/usr/bin/wireguard-go"));

    @Test
    void theKernelsWhenItHasWireguardEvenWithWireguardGoInstalled() {
        assertThat(Implementation.choose(true, WG_GO)).isEqualTo(Implementation.KERNEL);
        assertThat(Implementation.choose(true, Optional.empty())).isEqualTo(Implementation.KERNEL);
    }

    @Test
    void wireguardGoWhenTheKernelHasNone() {
        assertThat(Implementation.choose(false, WG_GO)).isEqualTo(Implementation.WIREGUARD_GO);
    }

    @Test
    void neitherIsAnErrorThatNamesBothAndHowToGetThem() {
        assertThatThrownBy(() -> Implementation.choose(false, Optional.empty())).isInstanceOf(BackendException.class)
                .hasMessageContaining("this kernel has no WireGuard").hasMessageContaining("modprobe wireguard")
                .hasMessageContaining("wireguard-go is not on PATH (apt-get install wireguard-go)");
    }

    @Test
    void wgIsNeededEitherWay() {
        assertThat(Implementation.requireWg(Optional.of(Path.of("/usr/bin/wg")))).isEqualTo(Path.of("/usr/bin/wg"));
        assertThatThrownBy(() -> Implementation.requireWg(Optional.empty())).isInstanceOf(BackendException.class)
                .hasMessageContaining("apt-get install wireguard-tools");
    }
}
