/**
 * Threads of the agent's own: {@link io.javaoverlay.core.threads.DaemonThreads}, the named daemon
 * executors its watches and timers run on. Depends on nothing else of overlay-core, so every
 * package may use it.
 */
package io.javaoverlay.core.threads;
