package io.javaoverlay.core.ipam;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;

/**
 * 100 allocations racing on one directory get 100 distinct addresses, and the directory then
 * holds exactly those 100 records: once from 100 threads (each with its own store object, as
 * separate plugin instances would have) and once from 10 separate JVM processes, where only the
 * file lock stands between them.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ConcurrentAllocationTest {

    @TempDir
    Path dir;

    @Test
    void hundredThreadsGetHundredDistinctAddresses() throws Exception {
        Path data = dir.resolve("ipam");
        int n = 100;
        ExecutorService pool = Executors.newFixedThreadPool(n);
        CountDownLatch go = new CountDownLatch(1);
        try {
            List<Future<Ip4>> results = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                String id = "t" + i;
                results.add(pool.submit(() -> {
                    go.await();
                    Allocator a = new Allocator(Ip4Net.parse("10.5.72.0/24"), Ip4.parse("10.5.72.1"), DiskStore.open(data));
                    return a.allocate(Owner.cni("podnet", id, "eth0")).ip();
                }));
            }
            go.countDown();
            List<Ip4> got = new ArrayList<>();
            for (Future<Ip4> f : results) {
                got.add(f.get(60, TimeUnit.SECONDS));
            }
            assertDistinctAndRecorded(data, got, n);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void tenProcessesAllocatingTenEachGetHundredDistinctAddresses() throws Exception {
        Path data = dir.resolve("ipam");
        Path start = dir.resolve("go");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<Process> children = new ArrayList<>();
        try {
            for (int i = 0; i < 10; i++) {
                children.add(new ProcessBuilder(java, "-XX:TieredStopAtLevel=1", "-Xshare:auto",
                        "-cp", System.getProperty("java.class.path"), AllocateMain.class.getName(),
                        data.toString(), start.toString(), "proc" + i, "10")
                        .redirectError(ProcessBuilder.Redirect.INHERIT)
                        .start());
            }
            Files.writeString(start, "go");
            List<Ip4> got = new ArrayList<>();
            for (Process p : children) {
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
                assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
                assertThat(p.exitValue()).as("child exit status").isZero();
                out.lines().map(Ip4::parse).forEach(got::add);
            }
            assertDistinctAndRecorded(data, got, 100);
        } finally {
            children.forEach(Process::destroyForcibly);
        }
    }

    private static void assertDistinctAndRecorded(Path data, List<Ip4> got, int n) {
        assertThat(got).hasSize(n).doesNotHaveDuplicates();
        Allocator view = new Allocator(Ip4Net.parse("10.5.72.0/24"), Ip4.parse("10.5.72.1"), DiskStore.open(data));
        assertThat(view.reservations().all().keySet()).containsExactlyInAnyOrderElementsOf(got);
        assertThat(got).noneMatch(ip -> ip.equals(Ip4.parse("10.5.72.1")));
    }
}
