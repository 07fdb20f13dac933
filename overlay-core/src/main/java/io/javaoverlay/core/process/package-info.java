/**
 * Running short external commands and stopping processes: {@link io.javaoverlay.core.process.Commands}
 * (to the end, with a timeout, output captured) and {@link io.javaoverlay.core.process.ProcessTrees}
 * (by PID, with descendants). The agent's tools ({@code iptables}, {@code nft}, {@code wg}, through
 * {@link io.javaoverlay.core.firewall.ToolProcess}), the {@code demo} command and the test harness
 * all run commands this one way.
 */
package io.javaoverlay.core.process;
