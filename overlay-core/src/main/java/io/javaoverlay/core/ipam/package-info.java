/**
 * Container addresses from this host's subnet, shared by the CNI and Docker faces.
 *
 * <p>Split as host-local does: {@link io.javaoverlay.core.ipam.Allocator} is the pure policy
 * (which address comes next) and {@link io.javaoverlay.core.ipam.Store} the state it reads and
 * changes, always under the store's lock. {@link io.javaoverlay.core.ipam.DiskStore} keeps that
 * state in a directory so that every process on the host (one CNI invocation per pod, the
 * long-running Docker plugin) sees the same reservations.
 *
 * <p>Policy, in flannel's layout where the host subnet's first address is the bridge:
 * <ul>
 *   <li>never handed out: the network address, the gateway ({@code FLANNEL_SUBNET}'s address,
 *       normally {@code .1}) and the broadcast address;</li>
 *   <li>round-robin: the search starts after the address reserved last, so an address freed by
 *       one container is not given to the next one at once (a peer's ARP cache or a
 *       connection still aimed at the old container would reach the new one);</li>
 *   <li>a specific address asked for is given when it is in the subnet and free;</li>
 *   <li>every reservation names its {@link io.javaoverlay.core.ipam.Owner}: which face holds
 *       it (so the CNI plugin's garbage collection never frees the Docker plugin's addresses)
 *       plus the container and interface.</li>
 * </ul>
 */
package io.javaoverlay.core.ipam;
