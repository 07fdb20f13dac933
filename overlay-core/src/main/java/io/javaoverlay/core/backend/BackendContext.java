package io.javaoverlay.core.backend;

import java.nio.file.Path;
import java.util.List;

import io.javaoverlay.core.lease.Lease;

/**
 * What a backend is built with.
 *
 * @param dataDir        a directory for the host's backend state that must survive restarts
 *                       (e.g. the VTEP MAC: {@link VtepMacStore}); {@code --data-dir}
 * @param leasesAtStart  every lease in the store when the agent started (this host's previous
 *                       one among them, found by its public IP): what the vxlan backend chooses
 *                       its VTEP MAC by
 */
public record BackendContext(ExternalInterface external, Path dataDir, List<Lease> leasesAtStart) {
    public BackendContext {
        if (external == null || dataDir == null) {
            throw new IllegalArgumentException("external interface and data dir are required");
        }
        leasesAtStart = leasesAtStart == null ? List.of() : List.copyOf(leasesAtStart);
    }

    /** A context with no leases known at start. */
    public BackendContext(ExternalInterface external, Path dataDir) {
        this(external, dataDir, List.of());
    }
}
