package io.javaoverlay.core.agent;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import io.javaoverlay.core.netlink.UnixDatagram;

/** The watchdog against a real notification socket, with the agent's loop played by a thread that beats or stops. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SystemdWatchdogTest {

    @TempDir
    Path dir;

    @Test
    void watchdogUsecIsReadOnlyWhenItIsMeantForThisProcess() {
        assertThat(SystemdWatchdog.timeout(Map.of("WATCHDOG_USEC", "30000000"), 42)).hasValue(Duration.ofSeconds(30));
        assertThat(SystemdWatchdog.timeout(Map.of("WATCHDOG_USEC", "30000000", "WATCHDOG_PID", "42"), 42)).hasValue(Duration.ofSeconds(30));
        assertThat(SystemdWatchdog.timeout(Map.of("WATCHDOG_USEC", "30000000", "WATCHDOG_PID", "7"), 42))
                .as("inherited from the watched parent").isEmpty();
        assertThat(SystemdWatchdog.timeout(Map.of(), 42)).isEmpty();
        assertThat(SystemdWatchdog.timeout(Map.of("WATCHDOG_USEC", "soon"), 42)).isEmpty();
        assertThat(SystemdWatchdog.timeout(Map.of("WATCHDOG_USEC", "0"), 42)).isEmpty();
        // without a socket to tell, there is no watchdog to run
        assertThat(SystemdWatchdog.start(Map.of("WATCHDOG_USEC", "2000000"), 42, SystemdNotify.fromEnvironment(Map.of()),
                new Heartbeat())).isEmpty();
    }

    @Test
    void pingsEveryHalfPeriodWhileTheLoopBeatsStopWhenItStallsAndResumeWhenItBeatsAgain() throws Exception {
        Path socket = dir.resolve("notify.sock");
        Heartbeat heartbeat = new Heartbeat();
        AtomicBoolean beating = new AtomicBoolean(true);
        ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor();
        loop.scheduleAtFixedRate(() -> {
            if (beating.get()) {
                heartbeat.beat();
            }
        }, 0, 50, TimeUnit.MILLISECONDS);
        try (UnixDatagram systemd = UnixDatagram.bind(socket)) {
            SystemdNotify notify = SystemdNotify.fromEnvironment(Map.of("NOTIFY_SOCKET", socket.toString()));
            // WATCHDOG_USEC of 0.2 s: a ping every 100 ms; the loop counts as stalled after 400 ms without a beat
            try (SystemdWatchdog w = new SystemdWatchdog(notify, Duration.ofMillis(100), Duration.ofMillis(400), heartbeat)) {
                w.start();
                List<Long> at = new ArrayList<>();
                for (int i = 0; i < 10; i++) {
                    assertThat(receive(systemd, Duration.ofSeconds(2))).hasValue("WATCHDOG=1\n");
                    at.add(System.nanoTime());
                }
                long spanMs = (at.get(9) - at.get(0)) / 1_000_000;
                assertThat(spanMs).as("9 periods of 100 ms").isBetween(700L, 1400L);

                beating.set(false);
                long stoppedAt = System.nanoTime();
                String last;
                do {
                    last = receive(systemd, Duration.ofSeconds(2)).orElseThrow(() -> new AssertionError("no stall report"));
                } while (last.equals("WATCHDOG=1\n"));
                long reportMs = (System.nanoTime() - stoppedAt) / 1_000_000;
                assertThat(last).startsWith("STATUS=event loop stalled: no heartbeat for").doesNotContain("WATCHDOG=1");
                assertThat(reportMs).as("stall noticed after 400 ms plus at most a period").isBetween(350L, 1000L);
                assertThat(receive(systemd, Duration.ofMillis(800))).as("no keep-alive while stalled").isEmpty();

                beating.set(true);
                assertThat(receive(systemd, Duration.ofSeconds(2)))
                        .hasValue("WATCHDOG=1\nSTATUS=running again after a stall of the event loop\n");
                assertThat(receive(systemd, Duration.ofSeconds(2))).hasValue("WATCHDOG=1\n");
            }
        } finally {
            loop.shutdownNow();
        }
    }

    private static Optional<String> receive(UnixDatagram socket, Duration timeout) {
        return socket.receive(timeout).map(b -> new String(b, UTF_8));
    }
}
