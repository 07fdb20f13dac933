package io.javaoverlay.core.backend;

import java.util.List;

import io.javaoverlay.core.config.NetworkConfig;
import io.javaoverlay.core.lease.Lease;
import io.javaoverlay.core.lease.LeaseEvent;

/**
 * A backend without a data path, for tests of what happens to leases before a backend programs
 * them ({@link PeerAdmission}, a lease store's peers): as it stands it takes every peer and
 * claims nothing ({@link Backend}'s defaults); a subclass checks and claims as the backend it
 * stands for does. Registering is not the subject of these tests and throws; the lease and the
 * batches are ignored.
 */
public class AdmissionOnlyBackend implements Backend {

    @Override
    public Registration register(NetworkConfig config) {
        throw new UnsupportedOperationException();
    }

    @Override
    public void leaseAcquired(Lease own) {}

    @Override
    public void handle(List<LeaseEvent> batch) {}

    @Override
    public void close() {}
}
