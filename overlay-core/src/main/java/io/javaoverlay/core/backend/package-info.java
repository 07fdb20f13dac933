/**
 * The data path the agent drives: the {@link io.javaoverlay.core.backend.Backend} SPI, the
 * {@link io.javaoverlay.core.backend.BackendRegistry} from {@code Backend.Type} to factory, and
 * what flannel's backends publish ({@link io.javaoverlay.core.backend.FlannelLeaseShapes}).
 *
 * <p>Design notes. The agent registers the backend before it acquires the lease, because the
 * lease carries the backend's data (vxlan's VtepMAC) and subnet.env carries its MTU. After
 * that, peer changes reach the backend in batches from the agent's one event loop: first the
 * peers that already exist, then each watch response, and after an etcd compaction the
 * difference between what the backend was told and what is there now. A removed peer comes
 * with its last attributes so the backend can undo exactly what it programmed.
 *
 * <p>The data paths live in the subpackages {@code vxlan}, {@code udp} and {@code hostgw}; every
 * backend also gets a periodic {@link io.javaoverlay.core.backend.Backend#recheck()} to repair
 * what others changed underneath. {@link io.javaoverlay.core.backend.PeerLogBackend} serves
 * {@code --no-data-path}: the control plane runs end to end, no traffic is forwarded.
 */
package io.javaoverlay.core.backend;
