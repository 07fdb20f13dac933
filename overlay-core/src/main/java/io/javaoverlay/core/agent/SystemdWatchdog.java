package io.javaoverlay.core.agent;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.javaoverlay.core.threads.DaemonThreads;

/**
 * systemd's watchdog ({@code WatchdogSec=} in the unit; {@code sd_watchdog_enabled(3)}): systemd
 * sets {@code WATCHDOG_USEC} (and {@code WATCHDOG_PID}) and restarts the service when no
 * {@code WATCHDOG=1} arrives for that long. A timer thread sends it every half period, as
 * sd_notify's documentation advises, but only while the agent's own loop is alive: the loop's
 * {@link Heartbeat} must be younger than {@link #staleAfter}. A timer thread alone would keep
 * pinging from a JVM whose event loop is stuck (a deadlock, a netlink call that never returns),
 * and the point of the watchdog is that systemd restarts exactly that.
 *
 * <p>{@code staleAfter} is the watchdog period, but never less than {@link #MIN_STALE_AFTER}: the
 * loop may legitimately go that long between beats (a 10 s backoff while etcd is unreachable, an
 * apply of thousands of peers). A hung loop is then restarted at most {@code staleAfter} plus the
 * watchdog period after its last beat. When the pings stop, the agent says why, as an error in
 * its log and on {@code systemctl status} (a {@code STATUS=} line); when the loop comes back in
 * time, they resume.
 */
final class SystemdWatchdog implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SystemdWatchdog.class);

    /** The longest the agent's loop may legitimately go without a beat. */
    static final Duration MIN_STALE_AFTER = Duration.ofSeconds(30);

    private final SystemdNotify systemd;
    private final Duration period;
    private final Duration staleAfter;
    private final Heartbeat heartbeat;
    private final ScheduledExecutorService timer;
    private volatile boolean stalled;

    /**
     * @param period     how often to ping: half of systemd's WATCHDOG_USEC
     * @param staleAfter how old the heartbeat may be for a ping to go out
     */
    SystemdWatchdog(SystemdNotify systemd, Duration period, Duration staleAfter, Heartbeat heartbeat) {
        this.systemd = systemd;
        this.period = period;
        this.staleAfter = staleAfter;
        this.heartbeat = heartbeat;
        this.timer = DaemonThreads.scheduler("systemd-watchdog");
    }

    /**
     * The watchdog systemd asks for in {@code env}, started; empty when it asks for none:
     * no {@code NOTIFY_SOCKET} or {@code WATCHDOG_USEC}, or {@code WATCHDOG_PID} names another
     * process (the variables were inherited from a parent that is the one being watched).
     */
    static Optional<SystemdWatchdog> start(Map<String, String> env, long pid, SystemdNotify systemd, Heartbeat heartbeat) {
        Optional<Duration> timeout = timeout(env, pid);
        if (timeout.isEmpty() || !systemd.enabled()) {
            return Optional.empty();
        }
        Duration t = timeout.get();
        Duration staleAfter = t.compareTo(MIN_STALE_AFTER) < 0 ? MIN_STALE_AFTER : t;
        SystemdWatchdog w = new SystemdWatchdog(systemd, t.dividedBy(2), staleAfter, heartbeat);
        w.start();
        LOG.info("systemd watchdog: WATCHDOG=1 every {} ms while the agent's loop beats at least every {} s (WatchdogSec={} s)",
                w.period.toMillis(), staleAfter.toSeconds(), t.toMillis() / 1000.0);
        return Optional.of(w);
    }

    /** {@code WATCHDOG_USEC} when it is meant for process {@code pid}; a bad value is reported and ignored. */
    static Optional<Duration> timeout(Map<String, String> env, long pid) {
        String usec = env.get("WATCHDOG_USEC");
        if (usec == null || usec.isBlank()) {
            return Optional.empty();
        }
        String watchedPid = env.get("WATCHDOG_PID");
        if (watchedPid != null && !watchedPid.isBlank() && !watchedPid.strip().equals(Long.toString(pid))) {
            LOG.debug("WATCHDOG_PID={} is not this process ({}): not pinging systemd's watchdog", watchedPid, pid);
            return Optional.empty();
        }
        long micros;
        try {
            micros = Long.parseLong(usec.strip());
        } catch (NumberFormatException e) {
            LOG.warn("ignoring WATCHDOG_USEC={}: not a number of microseconds", usec);
            return Optional.empty();
        }
        if (micros <= 0) {
            LOG.warn("ignoring WATCHDOG_USEC={}: not a positive number of microseconds", usec);
            return Optional.empty();
        }
        return Optional.of(Duration.ofNanos(micros * 1000));
    }

    void start() {
        tick(); // the first ping at once: the unit may have started long ago in systemd's eyes
        timer.scheduleAtFixedRate(this::tick, period.toNanos(), period.toNanos(), TimeUnit.NANOSECONDS);
    }

    Duration period() {
        return period;
    }

    private void tick() {
        try {
            Duration age = heartbeat.age();
            if (age.compareTo(staleAfter) <= 0) {
                if (stalled) {
                    stalled = false;
                    LOG.warn("the agent's loop is beating again after {} ms; pinging systemd's watchdog again", age.toMillis());
                    systemd.watchdog("running again after a stall of the event loop");
                } else {
                    systemd.watchdog(null);
                }
            } else if (!stalled) {
                stalled = true;
                String why = String.format(java.util.Locale.ROOT, "event loop stalled: no heartbeat for %.1f s; withholding the watchdog keep-alive",
                        age.toMillis() / 1000.0);
                LOG.error("{} so that systemd restarts the agent", why);
                systemd.status(why);
            }
        } catch (RuntimeException e) {
            LOG.warn("systemd watchdog: {}", e.toString()); // the timer must keep running
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
