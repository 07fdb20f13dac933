/**
 * Simulated machines made of network namespaces, for the {@code demo} command and the test kit
 * alike: {@link io.javaoverlay.core.sandbox.Namespaces} (namespaces named with a per-run prefix,
 * all deleted again) and {@link io.javaoverlay.core.sandbox.UnderlayTopology} (flannel's docs
 * topology: hosts on one LAN). The agent and the plugins never use it: nothing here runs on a real
 * host's network, only inside namespaces it made.
 */
package io.javaoverlay.core.sandbox;
