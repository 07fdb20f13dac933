package io.javaoverlay.core.lease;

/**
 * A change to another host's lease, as a backend consumes it. Events come in batches (one etcd
 * watch response, one resync diff), in order.
 */
public sealed interface LeaseEvent {

    /** The lease as it is now; for {@link Removed}, as it was last seen. */
    Lease lease();

    /** A host joined (or came back): program the path to its subnet. */
    record Added(Lease lease) implements LeaseEvent {}

    /** A known host published different attributes (a new public IP, a new VtepMAC). */
    record Changed(Lease previous, Lease lease) implements LeaseEvent {}

    /** A host's lease expired or was deleted; {@code lease} holds its last attributes, to undo its path. */
    record Removed(Lease lease) implements LeaseEvent {}
}
