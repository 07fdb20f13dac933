/**
 * flanneld's Kubernetes subnet manager ({@code --kube-subnet-mgr}): the lease store is the API
 * server's Node objects.
 *
 * <p>Design notes:
 * <ul>
 *   <li>The seam is {@link io.javaoverlay.core.lease.LeaseStore}: {@link io.javaoverlay.kube.KubeLeaseStore}
 *       is one more store under the same {@code SubnetManager}, whose only hook for it is
 *       {@code LeaseStore.assignedSubnet()} (the podCIDR: nothing is picked) and, for the agent,
 *       {@code LeaseStore.hostReady} (the NetworkUnavailable condition). Everything after that,
 *       peer admission, the own-lease guard, the backends, runs as with etcd.</li>
 *   <li>The wire format is flannel's annotations, read and written in one place
 *       ({@link io.javaoverlay.kube.NodeLeases}), checked against flannel's pkg/subnet/kube.</li>
 *   <li>Peers come from a fabric8 informer ({@link io.javaoverlay.kube.NodeWatch}): reconnection,
 *       relisting after 410 Gone and the diff of a relisting are the informer's; the watch turns
 *       node changes into key events by node name, so a node whose podCIDR changed is one subnet
 *       deleted and another put.</li>
 *   <li>A module of its own: the client and its model (about 30 jars, Jackson 3) stay out of
 *       overlay-core and off the CNI plugin's class path.</li>
 *   <li>Requests fail fast; the agent's loops retry them. Nothing here deletes a node or another
 *       node's annotations.</li>
 * </ul>
 */
package io.javaoverlay.kube;
