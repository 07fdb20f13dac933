package io.javaoverlay.core.agent;

import java.util.List;

import io.javaoverlay.core.lease.LeaseEvent;

/** What reaches the agent's event loop from other threads. */
sealed interface AgentEvent {

    /** A batch of peer changes from the lease watch. */
    record PeerBatch(List<LeaseEvent> events) implements AgentEvent {}

    /** This host's own lease key disappeared from the store. */
    record OwnLeaseRemoved(io.javaoverlay.core.lease.LeaseId id) implements AgentEvent {}

    /** The kernel changed something the backend programs ({@link io.javaoverlay.core.netlink.KernelChanges}). */
    record KernelChanged() implements AgentEvent {}

    /** SIGTERM, SIGINT or a caller asked the agent to stop. */
    record Stop(String why) implements AgentEvent {}
}
