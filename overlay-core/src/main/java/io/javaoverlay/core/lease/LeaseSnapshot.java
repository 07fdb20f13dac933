package io.javaoverlay.core.lease;

import java.util.List;

/** Every lease of the network at one store revision: where a watch starts. */
public record LeaseSnapshot(List<Lease> leases, long revision) {
    public LeaseSnapshot {
        leases = List.copyOf(leases);
    }
}
