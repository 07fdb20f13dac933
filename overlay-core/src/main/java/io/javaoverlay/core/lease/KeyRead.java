package io.javaoverlay.core.lease;

import java.util.Optional;

/**
 * One lease key as the store holds it now, with where the store stands: its revision and an
 * identity of its history (etcd's cluster ID). A revision lower than one seen before, or another
 * identity, means the store is not the one the agent was talking to: rebuilt empty, or restored
 * from a snapshot.
 *
 * @param storeId empty where the store has no such identity (the embedded store)
 */
public record KeyRead(Optional<Lease> lease, long revision, String storeId) {

    public KeyRead {
        if (lease == null || storeId == null) {
            throw new IllegalArgumentException("lease and storeId must not be null (use empty ones)");
        }
    }
}
