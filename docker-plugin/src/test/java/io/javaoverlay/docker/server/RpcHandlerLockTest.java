package io.javaoverlay.docker.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import io.javaoverlay.core.metrics.OverlayMetrics;
import io.javaoverlay.docker.HostLease;
import io.javaoverlay.docker.PluginClient;
import io.javaoverlay.docker.api.PluginMessages;

/** One stuck request holds the plugin's request lock: the others get a busy error within the bound, not a hang. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RpcHandlerLockTest {

    @TempDir
    Path dir;

    @Test
    void aRequestWaitingBehindAStuckOneIsAnsweredBusyAtTheBoundAndServedOnceItIsFree() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        List<Route<?>> routes = List.of(
                Route.noBody("NetworkDriver.Stuck", Route.Family.DRIVER, () -> {
                    entered.countDown();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return new PluginMessages.Empty();
                }),
                Route.noBody("NetworkDriver.Quick", Route.Family.DRIVER, PluginMessages.Empty::new),
                Route.noBody("IpamDriver.Quick", Route.Family.IPAM, PluginMessages.Empty::new));
        var json = Json.mapper();
        try (PluginServer server = PluginServer.start(dir.resolve("p.sock"), new RpcHandler(json, routes, HostLease.fromFile(dir.resolve("subnet.env")), Duration.ofSeconds(1), Duration.ofMillis(400), new OverlayMetrics()), json)) {
            PluginClient client = new PluginClient(server.socket());
            CompletableFuture<PluginClient.Reply> stuck = CompletableFuture.supplyAsync(() -> client.post("NetworkDriver.Stuck", null));
            assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();

            long start = System.nanoTime();
            PluginClient.Reply driver = client.post("NetworkDriver.Quick", null);
            PluginClient.Reply ipam = client.post("IpamDriver.Quick", null);
            long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertThat(driver.status()).isEqualTo(200);
            assertThat(driver.json().get("Err").asText()).contains("busy with an earlier request", "try again");
            assertThat(ipam.json().get("Error").asText()).contains("busy with an earlier request");
            assertThat(tookMs).as("two waits of the 400 ms bound").isBetween(700L, 5_000L);

            release.countDown();
            assertThat(stuck.get(10, TimeUnit.SECONDS).json().has("Err")).isFalse();
            assertThat(client.post("NetworkDriver.Quick", null).json().has("Err")).as("served once free").isFalse();
        }
    }
}
