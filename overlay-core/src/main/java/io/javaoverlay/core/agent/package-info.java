/**
 * The agent ({@code javaoverlay agent}, a flanneld drop-in).
 *
 * <p>Order of work, as flanneld: pick the external interface; wait for a valid network config
 * (saying once why it is missing or invalid); register the backend (it decides what the lease
 * publishes and the MTU); acquire the lease (reuse by public IP, else the subnet from the old
 * subnet file, else a random free one); let the backend configure the subnet; write subnet.env;
 * report ready; then watch the peers and renew the lease until stopped.
 *
 * <p>Concurrency: the thread that calls {@link io.javaoverlay.core.agent.Agent#run()} owns all
 * state. The lease watch and signal handlers only queue events for it. There is one shutdown
 * path, in {@code run()}'s {@code finally}; the lease is kept on a clean stop so a restart gets
 * the same subnet, and a lost lease stops the agent with a non-zero exit.
 */
package io.javaoverlay.core.agent;
