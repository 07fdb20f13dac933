package io.javaoverlay.core.backend.wireguard;

import java.nio.file.Path;
import java.util.Optional;

import io.javaoverlay.core.backend.BackendException;

/** Where WireGuard runs: in the kernel (rtnetlink link kind {@code wireguard}) or in {@code wireguard-go}. */
enum Implementation {
    KERNEL("kernel WireGuard"),
    WIREGUARD_GO("wireguard-go");

    private final String description;

    Implementation(String description) {
        this.description = description;
    }

    @Override
    public String toString() {
        return description;
    }

    /** The {@code wg} tool, needed with either implementation: it is how the backend configures the device. */
    static Path requireWg(Optional<Path> wg) {
        return wg.orElseThrow(() -> new BackendException("the wireguard backend needs the wg tool to configure its device, and it "
                + "is not on PATH: install wireguard-tools (apt-get install wireguard-tools)"));
    }

    /**
     * The kernel's WireGuard when it has one (it is faster and needs no process), else
     * wireguard-go when installed, else an error naming both and how to get either.
     *
     * @param kernelHasWireguard whether creating a link of kind {@code wireguard} worked
     * @param wireguardGo        the {@code wireguard-go} executable, if installed
     */
    static Implementation choose(boolean kernelHasWireguard, Optional<Path> wireguardGo) {
        if (kernelHasWireguard) {
            return KERNEL;
        }
        if (wireguardGo.isPresent()) {
            return WIREGUARD_GO;
        }
        throw new BackendException("the wireguard backend has nothing to run WireGuard with: this kernel has no WireGuard "
                + "(link kind \"wireguard\" is unknown: modprobe wireguard, or use Linux 5.6 or later) and wireguard-go is not on "
                + "PATH (apt-get install wireguard-go)");
    }
}
