/**
 * Subnet leases, flannel-compatible: {@link io.javaoverlay.core.lease.SubnetManager} (acquire,
 * renew, watch) over a small {@link io.javaoverlay.core.lease.LeaseStore} registry, with an
 * etcd implementation ({@link io.javaoverlay.core.lease.EtcdLeaseStore}, jetcd) and an embedded
 * one on local disk ({@link io.javaoverlay.core.lease.DiskLeaseStore}).
 *
 * <p>Design notes.
 * <ul>
 *   <li>Layout and bytes are flannel's: {@code <prefix>/subnets/10.5.1.0-24} holding
 *       {@code {"PublicIP":...,"PublicIPv6":null,"BackendType":...,"BackendData":{...}}}, bound to
 *       an etcd lease. A flanneld and a javaoverlay agent on one etcd see each other.</li>
 *   <li>Creation is a transaction on the key being absent; losing it is
 *       {@link io.javaoverlay.core.lease.LeaseException.SubnetTakenException} and the manager
 *       re-lists and picks again.</li>
 *   <li>Listing is one range read. flannel asks etcd for every lease's TTL while listing; here
 *       the etcd lease ID on each key is enough to tell a lease from a reservation (ID 0), so
 *       5,000 peers cost one round trip.</li>
 *   <li>Renewal keeps the key's etcd lease alive instead of re-writing the key, so renewals are
 *       not events for every peer. flannel peers do re-write; the
 *       {@link io.javaoverlay.core.lease.LeaseWatcher} drops re-writes with unchanged
 *       attributes.</li>
 *   <li>The watch resumes from the next revision after a disconnection, with backoff; when etcd
 *       has compacted that revision it re-lists and reports the difference, removed peers with
 *       their last attributes.</li>
 * </ul>
 */
package io.javaoverlay.core.lease;
