package io.javaoverlay.core.agent;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;

import io.javaoverlay.core.backend.Backend;
import io.javaoverlay.core.backend.BackendContext;
import io.javaoverlay.core.backend.BackendException;
import io.javaoverlay.core.backend.BackendRegistry;
import io.javaoverlay.core.backend.ExternalInterface;
import io.javaoverlay.core.backend.HostView;
import io.javaoverlay.core.backend.PeerAdmission;
import io.javaoverlay.core.backend.PeerRejection;
import io.javaoverlay.core.backend.Registration;
import io.javaoverlay.core.config.NetworkConfig;
import io.javaoverlay.core.config.NetworkConfigException;
import io.javaoverlay.core.config.SubnetEnv;
import io.javaoverlay.core.firewall.FirewallException;
import io.javaoverlay.core.firewall.RuleScope;
import io.javaoverlay.core.firewall.TrafficManager;
import io.javaoverlay.core.lease.Lease;
import io.javaoverlay.core.lease.LeaseAttrs;
import io.javaoverlay.core.lease.LeaseEvent;
import io.javaoverlay.core.lease.LeaseException;
import io.javaoverlay.core.lease.LeaseId;
import io.javaoverlay.core.lease.LeaseSnapshot;
import io.javaoverlay.core.lease.LeaseStore;
import io.javaoverlay.core.lease.SubnetManager;
import io.javaoverlay.core.metrics.OverlayMetrics;
import io.javaoverlay.core.metrics.RuntimeMetrics;
import io.javaoverlay.core.netlink.Errno;
import io.javaoverlay.core.netlink.NetlinkException;
import io.javaoverlay.core.netlink.Route;
import io.javaoverlay.core.net.Ip4Net;

/**
 * The daemon: network config -> backend registration -> lease -> subnet.env -> ready ->
 * watch and renew, until stopped.
 *
 * <p>One thread (the caller of {@link #run()}) owns all state: it waits for the config, acquires
 * the lease, and then drains {@link AgentEvent}s (peer batches from the lease watch, the loss of
 * its own lease, a stop request) and renews the lease when due. Other threads only put events on
 * its queue. Whatever way {@code run()} ends, the same {@code finally} closes the watch, the
 * backend, the store and the health server, in that order; the lease is never deleted, so a
 * restarted agent gets the same subnet back.
 */
public final class Agent {

    private static final Logger LOG = LoggerFactory.getLogger(Agent.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Exit codes of {@link #run()}. */
    public static final int EXIT_OK = 0;
    public static final int EXIT_FAILED = 1;

    /**
     * How often this host's lease is checked in the store, and the backend compares the kernel's
     * state with the leases and repairs it when the kernel does not report changes to it
     * (flannel: 10 s for host-gw's routes).
     */
    static final Duration BACKEND_RECHECK = Duration.ofSeconds(5);
    /**
     * How often the backend rechecks everything when the kernel reports changes to it: a
     * backstop for what it does not report (a sysctl, a host address outside the Network).
     */
    static final Duration BACKEND_BACKSTOP = Duration.ofSeconds(30);
    /** At most one recheck a second caused by the kernel's reports: a burst of changes is one. */
    static final Duration KERNEL_CHANGE_SPACING = Duration.ofSeconds(1);

    private final AgentOptions options;
    private final BackendRegistry backends;
    private final BlockingQueue<AgentEvent> queue = new LinkedBlockingQueue<>();
    /** The peers programmed or pending, by what names their leases (an IPv6-only one by its IPv6 subnet). */
    private final Map<LeaseId, Lease> peers = new ConcurrentHashMap<>();
    /** The watch of the other hosts' leases; started again when the store's history changes. */
    private PeerWatch peerWatch;
    /** The kernel's reports of changes to what the backend programs; null when the host gives none. */
    private AutoCloseable kernelWatch;
    /** Set by the kernel watch's thread, cleared by the event loop: one queued event per burst. */
    private final AtomicBoolean kernelChangeQueued = new AtomicBoolean();
    /** What the agent did about the store lately, for /status. */
    private final StoreEvents storeEvents = new StoreEvents();
    /** Keeps this host's lease in the store; set once the lease is held. */
    private OwnLeaseGuard guard;
    /** Checks every other host's lease before the backend sees it; set once the lease is held. */
    private volatile PeerAdmission admission;
    /** What this host publishes as its public IP ({@code --public-ip} or the interface's). */
    private io.javaoverlay.core.net.Ip4 publicIp;
    /** When a VTEP MAC collision was last repaired. */
    private Instant lastCollisionRepair;
    static final Duration COLLISION_REPAIR_INTERVAL = Duration.ofSeconds(30);
    /** The machine: store, interfaces, kernel view, firewall, environment. */
    private final AgentHost host;
    /** Where the agent, its backend, its store and its health server report: the host's. */
    private final OverlayMetrics metrics;
    private HostView lastHostView;
    private volatile boolean stopping;
    private volatile String notReady = "starting";
    private volatile int healthPort = -1;
    /** What {@code /status} shows of this host; set once the lease is held. */
    private volatile AgentStatus.Own own;
    private volatile String backendName = "none";
    private final SystemdNotify systemd;
    /** Beaten by the one thread on every turn of its loops; the systemd watchdog pings only while it is fresh. */
    private final Heartbeat heartbeat = new Heartbeat();
    /** The peer count last told to systemd ({@code STATUS=}), -1 before ready. */
    private int statusPeers = -1;
    private String statusPrefix = "";

    /** The agent of this machine: {@link LocalAgentHost} with the process's environment, reporting into {@code metrics}. */
    public Agent(AgentOptions options, BackendRegistry backends, OverlayMetrics metrics) {
        this(options, backends, new LocalAgentHost(options, System.getenv(), metrics));
    }

    /** An agent on {@code host}; {@link #run()} closes it when it returns. */
    public Agent(AgentOptions options, BackendRegistry backends, AgentHost host) {
        this.options = options;
        this.backends = backends;
        this.host = host;
        this.metrics = host.metrics();
        this.systemd = SystemdNotify.fromEnvironment(host.environment());
    }

    /** Asks the agent to stop; safe from any thread (a signal handler). {@link #run()} then returns 0. */
    public void requestStop(String why) {
        stopping = true;
        queue.offer(new AgentEvent.Stop(why));
    }

    /** The peers the agent knows now. */
    public Map<LeaseId, Lease> peers() {
        return Map.copyOf(peers);
    }

    /** The health server's port once it listens (for tests using port 0), else -1. */
    public int healthPort() {
        return healthPort;
    }

    /** Runs until stopped or failed; returns the process exit code. */
    public int run() {
        HealthServer health = null;
        LeaseStore store = null;
        Backend backend = null;
        Optional<SystemdWatchdog> watchdog = Optional.empty();
        try {
            watchdog = SystemdWatchdog.start(host.environment(), ProcessHandle.current().pid(), systemd, heartbeat);
            if (options.healthzPort() > 0) {
                health = new HealthServer(options.healthzIp(), options.healthzPort(), () -> notReady, this::peersJson,
                        () -> AgentStatus.json(notReady, own, peers.size(), admission == null ? List.of() : admission.rejected(),
                                storeEvents.recent()), metrics);
                healthPort = health.port();
            }
            store = host.openStore();
            SubnetManager sm = new SubnetManager(store, options.leaseTtl());
            LOG.info("using {}", store.describe());

            Optional<NetworkConfig> maybeConfig = awaitConfig(sm);
            if (maybeConfig.isEmpty()) {
                return EXIT_OK;
            }
            NetworkConfig config = maybeConfig.get();
            if (!host.startupChecksPass(config)) {  // flanneld's: br_netfilter loaded
                return EXIT_FAILED;
            }
            ExternalInterface ext = host.externalInterface(config); // after the config, as flanneld: EnableIPv6 counts
            // IPv6 (docs/ipv6.md): before the backend changes anything
            Optional<String> publicIpv6 = DualStack.publicIpv6(config, ext, options.publicIpv6());

            if (config.enableIPv4() && config.network().contains(ext.ifaceAddr())) {
                LOG.warn("Network {} contains this host's own address {} on {}: its subnets there will not be leased or routed,"
                        + " but an overlay that holds the underlay is fragile; pick a Network apart from it", config.network(),
                        ext.ifaceAddr(), ext.name());
            }

            backendName = config.backendType().flannelName();
            backend = backends.create(config.backendType(),
                    new BackendContext(ext, options.dataDir(), leasesAtStart(sm), publicIpv6, metrics));
            Registration reg = backend.register(config);
            // with PublicIPv6 and BackendV6Data when dual-stack; IPv6-only, those alone (flannel's PublicIP is its zero address)
            LeaseAttrs attrs = ext.isIpv6Only() ? reg.ipv6OnlyAttrs(publicIpv6.orElseThrow()) : reg.attrs(ext.publicIp(), publicIpv6);
            publicIp = ext.isIpv6Only() ? LeaseAttrs.NO_PUBLIC_IP : ext.publicIp();
            Backend owner = backend;
            List<Ip4Net> hostRoutes = !config.enableIPv4() ? List.of() : hostView().foreignRoutesIn(config.network(), owner::ownsRoute)
                    .stream().map(Route::ip4Destination).toList();

            notReady = "acquiring a subnet lease";
            Optional<Lease> acquired = acquire(sm, config, attrs, hostRoutes);
            if (acquired.isEmpty()) {
                return EXIT_OK;
            }
            Lease lease = acquired.get();
            if (lease.isIpv6Only() != ext.isIpv6Only()) {
                throw new NetworkConfigException("the store gave this host the lease " + lease + ", not " + (ext.isIpv6Only()
                        ? "an IPv6-only one (EnableIPv4 is false)" : "one with an IPv4 subnet (EnableIPv4 is true)"));
            }
            String holder = ext.isIpv6Only() ? publicIpv6.orElseThrow() : ext.publicIp().toString();
            LOG.info("lease acquired: {} for {} (expires {})", lease.id(), holder, lease.expiration()
                    .map(Instant::toString).orElse(lease.reservation() ? "never: a reservation" : "never: assigned by " + store.describe()));
            metrics.leaseAcquired(lease.id().toString(), holder, backendName, lease.expiration());
            metrics.leaseIpv6(lease.ipv6Subnet().map(Object::toString), publicIpv6);
            own = new AgentStatus.Own(lease.ipv4Subnet(), ext.ipv4PublicIp(), backendName, lease.expiration(), reg.mtu(),
                    lease.ipv6Subnet(), publicIpv6);

            // the backend configures what depends on the subnet before anyone is told about it
            backend.leaseAcquired(lease);
            kernelWatch = backend.kernelInterest().flatMap(i -> host.watchKernel(i, () -> {
                if (kernelChangeQueued.compareAndSet(false, true)) {
                    queue.offer(new AgentEvent.KernelChanged());
                }
            })).orElse(null);
            admission = lease.isIpv6Only()
                    ? PeerAdmission.ipv6Only(config, lease.ipv6Subnet().get(), publicIpv6.orElseThrow(), backend, options.dataPath(), metrics)
                    : new PeerAdmission(config, lease.subnet(), ext.publicIp(), lease.ipv6Subnet(), publicIpv6, backend,
                            options.dataPath(), metrics);

            // the peers that exist now are programmed before anything slower (iptables) and before
            // subnet.env says the host is ready: a new host reaches the others as soon as it can
            LeaseSnapshot snapshot = sm.leases();
            guard = new OwnLeaseGuard(sm, lease, attrs, snapshot.revision(), storeEvents, metrics);
            peerWatch = new PeerWatch(sm, lease.id(), publicIp, storeEvents, watchListener(), metrics);
            peerWatch.start(snapshot);
            while (queue.peek() instanceof AgentEvent.PeerBatch) {
                apply(backend, ((AgentEvent.PeerBatch) queue.poll()).events());
            }

            TrafficManager firewall = host.trafficManager(config);
            if (!installRules(firewall, DualStack.ruleScope(config, lease))) {
                return EXIT_FAILED;
            }
            SubnetEnv env = lease.isIpv6Only()
                    ? SubnetEnv.ipv6Only(config.ipv6().orElseThrow().network(), lease.ipv6Subnet().get(), reg.mtu(), options.ipMasq())
                    : SubnetEnv.of(config.network(), lease.subnet(), config.ipv6().map(v6 -> v6.network()), lease.ipv6Subnet(),
                            reg.mtu(), options.ipMasq());
            env.write(options.subnetFile());
            if (lease.isIpv6Only()) {
                LOG.info("wrote {}: FLANNEL_IPV6_SUBNET={} FLANNEL_MTU={} (IPv6 only)", options.subnetFile(), env.ipv6Subnet().orElse("?"),
                        env.mtu());
            } else {
                LOG.info("wrote {}: FLANNEL_SUBNET={} FLANNEL_MTU={}", options.subnetFile(), env.gateway(), env.mtu());
            }
            notReady = null;
            metrics.ready(true);
            LOG.info("javaoverlay is ready");
            store.hostReady(lease);
            systemd.ready("lease " + lease.id() + " (" + backendName + "), subnet.env written to " + options.subnetFile());
            // only now: set up beside the start, they made it 0.3-0.5 s slower on 2 busy cores (docs/benchmarks.md)
            RuntimeMetrics.registerInBackground(metrics);
            statusPrefix = "lease " + lease.id() + " (" + backendName + ")";
            statusPeers = peers.size();
            return loop(sm, backend, lease, firewall, config);
        } catch (ExternalInterfaces.NoInterfaceException | BackendException | NetworkConfigException e) {
            LOG.error("cannot start: {}", e.getMessage());
            return EXIT_FAILED;
        } catch (LeaseException.SubnetsExhaustedException e) {
            LOG.error("cannot get a subnet: {}", e.getMessage());
            return EXIT_FAILED;
        } catch (IOException e) {
            LOG.error("cannot start: {}", e.toString());
            return EXIT_FAILED;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return EXIT_OK;
        } catch (RuntimeException e) {
            LOG.error("the agent failed: {}", e.toString(), e);
            return EXIT_FAILED;
        } finally {
            notReady = "stopping";
            metrics.ready(false);
            watchdog.ifPresent(SystemdWatchdog::close);
            systemd.stopping();
            closeQuietly("lease watch", peerWatch);
            closeQuietly("kernel watch", kernelWatch);
            closeQuietly("backend", backend);
            closeQuietly("lease store", store);
            closeQuietly("health server", health);
            closeQuietly("host side", host);
            LOG.info("stopped");
        }
    }

    /** The leases in the store now, for the backend's choice of identity; none when the store cannot say. */
    private static List<Lease> leasesAtStart(SubnetManager sm) {
        try {
            return sm.leases().leases();
        } catch (LeaseException.StoreUnavailableException e) {
            LOG.warn("cannot list the leases before registering the backend ({}); it chooses without them", e.getMessage());
            return List.of();
        }
    }

    /** What the lease watch reports goes to the queue. */
    private SubnetManager.WatchListener watchListener() {
        return new SubnetManager.WatchListener() {
            @Override
            public void onPeerEvents(List<LeaseEvent> batch) {
                queue.offer(new AgentEvent.PeerBatch(batch));
            }

            @Override
            public void onOwnLeaseRemoved(Ip4Net own) {
                onOwnLeaseRemoved(LeaseId.of(own));
            }

            @Override
            public void onOwnLeaseRemoved(LeaseId own) {
                queue.offer(new AgentEvent.OwnLeaseRemoved(own));
            }
        };
    }

    /**
     * Waits for a usable network config: says once why it is missing or invalid (and again only
     * when the reason changes), then looks again every poll interval, without exiting.
     */
    private Optional<NetworkConfig> awaitConfig(SubnetManager sm) throws InterruptedException {
        String lastProblem = null;
        while (!stopping) {
            heartbeat.beat();
            String problem;
            try {
                NetworkConfig c = sm.networkConfig();
                DualStack.refuseUnsupported(c, options, sm.store().holdsIpv6OnlyLeases());
                LOG.info("network config: {}", c.describe());
                return Optional.of(c);
            } catch (SubnetManager.MissingConfigException | NetworkConfigException e) {
                problem = e.getMessage();
            } catch (LeaseException.StoreUnavailableException e) {
                problem = "cannot read the network config: " + e.getMessage();
            }
            notReady = problem;
            if (!problem.equals(lastProblem)) {
                LOG.warn("{}; waiting for a valid network config", problem);
                systemd.status("waiting for a valid network config: " + problem);
                lastProblem = problem;
            }
            if (awaitStop(options.configPollInterval())) {
                break;
            }
        }
        return Optional.empty();
    }

    /** Acquires the lease, retrying with backoff while the store is unreachable. */
    private Optional<Lease> acquire(SubnetManager sm, NetworkConfig config, LeaseAttrs attrs, List<Ip4Net> hostRoutes)
            throws InterruptedException {
        Optional<Ip4Net> previous = previousSubnet();
        Duration backoff = Duration.ofMillis(200);
        String lastProblem = null;
        while (!stopping) {
            heartbeat.beat();
            try {
                return Optional.of(sm.acquire(config, attrs, previous, DualStack.previousIpv6(options.subnetFile()), hostRoutes));
            } catch (LeaseException.StoreUnavailableException e) {
                if (!e.getMessage().equals(lastProblem)) {
                    LOG.warn("cannot acquire a lease yet: {}; retrying", e.getMessage());
                    lastProblem = e.getMessage();
                }
                notReady = "cannot reach the lease store: " + e.getMessage();
                if (awaitStop(backoff)) {
                    break;
                }
                backoff = backoff.multipliedBy(2).compareTo(Duration.ofSeconds(10)) > 0 ? Duration.ofSeconds(10) : backoff.multipliedBy(2);
            }
        }
        return Optional.empty();
    }

    /** flannel reuses the subnet of an existing subnet file (FLANNEL_SUBNET's network). */
    private Optional<Ip4Net> previousSubnet() {
        try {
            Optional<Ip4Net> sn = SubnetEnv.read(options.subnetFile()).ipv4Lease(); // empty: an IPv6-only file flanneld left
            sn.ifPresent(s -> LOG.info("found subnet {} in {}; will try to get it again", s, options.subnetFile()));
            return sn;
        } catch (SubnetEnv.MissingException e) {
            return Optional.empty();
        } catch (IOException | IllegalArgumentException e) {
            LOG.warn("ignoring the existing {}: {}", options.subnetFile(), e.getMessage());
            return Optional.empty();
        }
    }

    /**
     * Installs the iptables rules at start. With --ip-masq a failure stops the agent (traffic
     * would leave unmasqueraded); the forward rules only matter where FORWARD drops by default,
     * so their failure is reported and retried at every resync.
     */
    private boolean installRules(TrafficManager firewall, RuleScope scope) {
        if (!firewall.isEnabled()) {
            return true;
        }
        try {
            firewall.ensure(scope);
            LOG.info("{}: {} for {}", firewall.tool(), firewall, scope);
            return true;
        } catch (FirewallException | java.io.UncheckedIOException e) {
            if (options.ipMasq()) {
                LOG.error("cannot install the --ip-masq rules: {} (drop --ip-masq, or make {} work)", e.getMessage(), firewall.tool());
                return false;
            }
            LOG.error("cannot install the forward rules: {}; retrying every {}", e.getMessage(), options.iptablesResync());
            return true;
        }
    }

    private int loop(SubnetManager sm, Backend backend, Lease lease, TrafficManager firewall, NetworkConfig config)
            throws InterruptedException {
        Duration margin = effectiveMargin();
        Instant renewAt = renewTime(lease, margin);
        Instant guardAt = Instant.now().plus(BACKEND_RECHECK);
        Instant recheckAt = Instant.now().plus(recheckPeriod(backend));
        Instant lastRecheck = Instant.now();
        Instant resyncAt = Instant.now().plus(options.iptablesResync());
        while (true) {
            heartbeat.beat(); // at least every BACKEND_RECHECK: the guard is always due by then
            Instant next = earliest(earliest(earliest(renewAt, guardAt), recheckAt), resyncAt);
            Duration wait = Duration.between(Instant.now(), next);
            AgentEvent ev = wait.isNegative() || wait.isZero() ? null : queue.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
            if (ev == null) {
                Instant now = Instant.now();
                if (!now.isBefore(guardAt)) {
                    Optional<Lease> guarded = guardOwnLease(backend, lease);
                    if (guarded.isEmpty()) {
                        return EXIT_FAILED;
                    }
                    if (!guarded.get().equals(lease)) {
                        lease = guarded.get();
                        renewAt = renewTime(lease, margin);
                    }
                    guardAt = Instant.now().plus(BACKEND_RECHECK);
                }
                if (!now.isBefore(recheckAt)) {
                    recheck(backend);
                    lastRecheck = Instant.now();
                    recheckAt = lastRecheck.plus(recheckPeriod(backend));
                }
                if (!now.isBefore(resyncAt)) {
                    if (firewall.isEnabled()) {
                        firewall.recheck(DualStack.ruleScope(config, lease));
                    }
                    backend.resyncRules();
                    resyncAt = Instant.now().plus(options.iptablesResync());
                }
                if (renewAt == null || now.isBefore(renewAt)) {
                    continue;
                }
                try {
                    lease = sm.renew(lease);
                    metrics.leaseRenewed(lease.expiration());
                    own = own == null ? null : own.withExpiration(lease.expiration());
                    LOG.info("lease {} renewed, now expires {}", lease.id(), lease.expiration().map(Instant::toString).orElse("never"));
                    renewAt = renewTime(lease, margin);
                    guard.renewed(lease);
                } catch (LeaseException.LeaseLostException e) {
                    LOG.warn("renewing lease {} failed: {}; checking who holds it", lease.id(), e.getMessage());
                    guardAt = Instant.now(); // the guard runs at once: puts it back, or gives it up to its new holder
                    renewAt = Instant.now().plus(renewRetry());
                } catch (LeaseException e) {
                    metrics.leaseRenewFailed();
                    Duration retry = renewRetry();
                    LOG.warn("renewing lease {} failed: {}; retrying in {}", lease.id(), e.getMessage(), retry);
                    renewAt = Instant.now().plus(retry);
                }
                continue;
            }
            if (ev instanceof AgentEvent.Stop s) {
                LOG.info("stopping ({}); the lease on {} is kept", s.why(), lease.id());
                return EXIT_OK;
            }
            if (ev instanceof AgentEvent.OwnLeaseRemoved r) {
                LOG.warn("lease {} was deleted from {}; putting it back", r.id(), sm.store().describe());
                guard.deletionSeen();
                guardAt = Instant.now();
            }
            if (ev instanceof AgentEvent.PeerBatch b) {
                apply(backend, b.events());
                Instant retryAt = lastRecheck.plus(BACKEND_RECHECK);
                if (backend.retryPending() && retryAt.isBefore(recheckAt)) {
                    recheckAt = retryAt; // a peer that failed is retried within BACKEND_RECHECK, as before
                }
            }
            if (ev instanceof AgentEvent.KernelChanged) {
                kernelChangeQueued.set(false);
                Instant soonest = lastRecheck.plus(KERNEL_CHANGE_SPACING);
                Instant at = soonest.isAfter(Instant.now()) ? soonest : Instant.now();
                if (at.isBefore(recheckAt)) {
                    recheckAt = at;
                }
            }
        }
    }

    /**
     * Every {@link #BACKEND_BACKSTOP} when the kernel reports changes to what the backend
     * programs and nothing waits to be retried; else every {@link #BACKEND_RECHECK}.
     */
    private Duration recheckPeriod(Backend backend) {
        return kernelWatch != null && !backend.retryPending() ? BACKEND_BACKSTOP : BACKEND_RECHECK;
    }

    private static Instant earliest(Instant a, Instant b) {
        if (a == null) {
            return b;
        }
        return b == null || a.isBefore(b) ? a : b;
    }

    private void recheck(Backend backend) {
        // first the leases against the host as it is now (a route added since, a claim released)
        List<LeaseEvent> changed = admission.reconsider(hostView());
        if (!changed.isEmpty()) {
            handle(backend, changed);
        }
        try {
            backend.recheck();
        } catch (RuntimeException e) {
            backendFailed(e);
            LOG.error("the backend's periodic check failed: {}", e.toString(), e);
        }
    }

    /** Counts a failure the backend let through to the agent (it handles the usual ones itself). */
    private void backendFailed(RuntimeException e) {
        metrics.backendFailure(backendName);
        if (e instanceof NetlinkException n && n.errno() != 0) {
            metrics.netlinkError(backendName, Errno.name(n.errno()));
        }
    }

    /** Passes a batch from the store through {@link PeerAdmission} to the backend. */
    private void apply(Backend backend, List<LeaseEvent> batch) {
        handle(backend, admission.admit(batch, hostView()));
    }

    private void handle(Backend backend, List<LeaseEvent> batch) {
        handleOnly(backend, batch);
        if (admission.rejected().stream().anyMatch(r -> r.why().reason() == PeerRejection.Reason.VTEP_MAC_COLLISION)) {
            repairCollision(backend);
        }
    }

    /**
     * Another host publishes this host's VTEP MAC: the backend takes a new one, this host's lease
     * publishes it, and the colliding lease is checked again (now it is a peer like any other).
     * At most once per {@link #COLLISION_REPAIR_INTERVAL}: a lease that copies every new MAC is
     * rejected, not chased.
     */
    private void repairCollision(Backend backend) {
        Instant now = Instant.now();
        if (lastCollisionRepair != null && now.isBefore(lastCollisionRepair.plus(COLLISION_REPAIR_INTERVAL))) {
            return;
        }
        lastCollisionRepair = now;
        Optional<Registration> next;
        try {
            next = backend.resolveCollision();
        } catch (RuntimeException e) {
            backendFailed(e);
            LOG.error("cannot resolve the VTEP MAC collision: {}", e.toString());
            return;
        }
        if (next.isEmpty()) {
            return;
        }
        metrics.vtepMacCollision();
        storeEvents.add("VTEP MAC collision: another host published this host's MAC; now publishing "
                + next.get().backendData().map(Object::toString).orElse("a new one"));
        try {
            Optional<String> publicIpv6 = own == null ? Optional.empty() : own.publicIpv6();
            guard.republish(own != null && own.subnet().isEmpty() ? next.get().ipv6OnlyAttrs(publicIpv6.orElseThrow())
                    : next.get().attrs(publicIp, publicIpv6));
        } catch (LeaseException e) {
            LOG.warn("cannot publish the new VTEP MAC yet ({}); the lease guard writes it within seconds", e.getMessage());
        }
        handleOnly(backend, admission.reconsider(hostView()));
    }

    private void handleOnly(Backend backend, List<LeaseEvent> batch) {
        for (LeaseEvent e : batch) {
            if (e instanceof LeaseEvent.Removed) {
                peers.remove(e.lease().id());
            } else {
                peers.put(e.lease().id(), e.lease());
            }
        }
        metrics.peers(peers.size());
        try {
            backend.handle(batch);
        } catch (RuntimeException e) {
            backendFailed(e);
            LOG.error("the backend failed to apply {} peer events: {}", batch.size(), e.toString(), e);
        }
        if (statusPeers >= 0 && statusPeers != peers.size()) {
            statusPeers = peers.size();
            systemd.status(statusPrefix + ", " + statusPeers + (statusPeers == 1 ? " peer" : " peers"));
        }
    }

    /**
     * The host's addresses and routes now; the last reading when this one fails (the checks
     * never run on nothing), and nothing at all for an agent that programs no data path.
     */
    private HostView hostView() {
        try {
            lastHostView = host.hostView();
        } catch (NetlinkException e) {
            if (lastHostView == null) {
                throw new BackendException("cannot read this host's addresses and routes: " + e.getMessage(), e);
            }
            LOG.warn("cannot read this host's addresses and routes ({}); checking leases against the last reading", e.getMessage());
        }
        return lastHostView;
    }

    /**
     * Runs the {@link OwnLeaseGuard}: this host's lease as it is now, or empty when another host
     * holds its subnet (the agent then exits; see {@link #leaseTaken}). A store that cannot be
     * reached is no news: the lease stays as it was.
     */
    private Optional<Lease> guardOwnLease(Backend backend, Lease current) {
        OwnLeaseGuard.Result r;
        try {
            r = guard.check();
        } catch (LeaseException.StoreUnavailableException e) {
            LOG.debug("cannot check this host's lease now: {}", e.getMessage());
            return Optional.of(current);
        }
        List<LeaseEvent> gone = peerWatch.afterGuard(r.historyChanged().isPresent(), admission::known);
        if (!gone.isEmpty()) {
            apply(backend, gone);
        }
        if (r.takenBy().isPresent()) {
            leaseTaken(r.lease().id(), r.takenBy().get());
            return Optional.empty();
        }
        if (!r.lease().equals(current)) {
            own = own == null ? null : own.withExpiration(r.lease().expiration());
        }
        return Optional.of(r.lease());
    }

    /**
     * Another host holds this host's subnet now. It is never overwritten (two hosts would route
     * one subnet); the agent exits non-zero, as flanneld does when it loses its lease, and its
     * supervisor (systemd's Restart=on-failure, the DaemonSet) starts it again: the old subnet,
     * taken, is not reused, and the host gets a free one. Containers on the old subnet must be
     * started again, as with flannel.
     */
    private void leaseTaken(LeaseId subnet, Lease holder) {
        metrics.leaseLost();
        String who = holder.isIpv6Only() ? "PublicIPv6 " + holder.attrs().publicIpv6().orElse("none") : "PublicIP " + holder.attrs().publicIp();
        storeEvents.add("lease " + subnet + " is held by another host (" + who + "): giving it up");
        LOG.error("lease {} is held by another host now ({}): this host was cut off from the store longer than its lease"
                + " lasted, or the store was restored to a time before it joined; never overwriting another host's lease, exiting"
                + " so that the agent starts again on a free subnet", subnet, who);
    }

    private Instant renewTime(Lease lease, Duration margin) {
        return lease.expiration().map(e -> e.minus(margin)).orElse(null);
    }

    /** The renew margin, or half the TTL when the margin would renew before the lease even starts. */
    private Duration effectiveMargin() {
        Duration margin = options.renewMargin();
        if (margin.compareTo(options.leaseTtl()) >= 0) {
            Duration half = options.leaseTtl().dividedBy(2);
            LOG.warn("--subnet-lease-renew-margin {} is not shorter than the lease TTL {}: renewing {} before expiry instead",
                    margin, options.leaseTtl(), half);
            return half;
        }
        return margin;
    }

    /** flannel retries a failed renewal after a minute; with short test TTLs, sooner. */
    private Duration renewRetry() {
        Duration d = options.leaseTtl().dividedBy(10);
        if (d.compareTo(Duration.ofMinutes(1)) > 0) {
            return Duration.ofMinutes(1);
        }
        return d.compareTo(Duration.ofMillis(200)) < 0 ? Duration.ofMillis(200) : d;
    }

    /** Sleeps for {@code d} unless a stop arrives first; returns true when stopping. */
    private boolean awaitStop(Duration d) throws InterruptedException {
        AgentEvent ev = queue.poll(d.toMillis(), TimeUnit.MILLISECONDS);
        if (ev instanceof AgentEvent.Stop s) {
            LOG.info("stopping ({})", s.why());
            return true;
        }
        return stopping;
    }

    private String peersJson() {
        ArrayNode arr = JSON.createArrayNode();
        peers.values().stream().sorted((a, b) -> a.id().compareTo(b.id())).forEach(l -> {
            var n = arr.addObject();
            l.ipv4Subnet().ifPresent(v4 -> n.put("Subnet", v4.toString())); // none for an IPv6-only lease
            l.ipv6Subnet().ifPresent(v6 -> n.put("IPv6Subnet", v6.toString()));
            try {
                n.set("Lease", JSON.readTree(l.attrs().toJson()));
            } catch (IOException e) {
                n.put("Lease", l.attrs().toJson());
            }
        });
        return arr.toString();
    }

    private static void closeQuietly(String what, AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception e) {
            LOG.warn("closing the {} failed: {}", what, e.toString());
        }
    }
}
