package io.javaoverlay.cli.docker;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.javaoverlay.testkit.ExecResult;
import io.javaoverlay.testkit.Requirements;
import io.javaoverlay.testkit.TestNetwork;

/**
 * {@code docker run --rm} on a javaoverlay network next to the same on Docker's built-in bridge,
 * in one run, alternating so both see the same machine load. Not part of {@code mvn verify}
 * (the name does not end in IT); run it with
 * {@code mvn -B verify -pl cli -am -Dit.test=DockerRunBenchmark -Dtest=NONE -Dsurefire.failIfNoSpecifiedTests=false}
 * ({@code -Djavaoverlay.bench.rounds=N}, default 20). Prints a markdown table and writes it to
 * {@code cli/target/docker-run-bench.md}.
 */
@Timeout(value = 1200)
class DockerRunBenchmark {

    @RegisterExtension
    static final TestNetwork NET = TestNetwork.withHosts(1);

    @Test
    void dockerRunOnJavaoverlayNextToTheBridge() throws IOException {
        Requirements.check().root().executable("/usr/sbin/dockerd", "docker.io").orAbort();
        int rounds = Integer.getInteger("javaoverlay.bench.rounds", 20);
        try (DockerHost docker = DockerHost.start(NET.host(1), NET.workDir())) {
            docker.startPlugin(docker.noAgentPluginArgs("10.5.72.0/24"));
            docker.dockerOk("network", "create", "-d", "javaoverlay", "--ipam-driver", "javaoverlay", "ov");
            docker.dockerOk("network", "create", "-d", "bridge", "br");

            List<Double> overlay = new ArrayList<>();
            List<Double> bridge = new ArrayList<>();
            for (int i = -2; i < rounds; i++) { // two untimed warm-up rounds each
                double o = timedRun(docker, "ov");
                double b = timedRun(docker, "br");
                if (i >= 0) {
                    overlay.add(o);
                    bridge.add(b);
                }
            }
            String load = Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
            String table = String.format(Locale.ROOT, """
                    | network | median ms | p90 ms |
                    | --- | --- | --- |
                    | javaoverlay (`-d javaoverlay --ipam-driver javaoverlay`) | %.0f | %.0f |
                    | Docker's bridge (`-d bridge`) | %.0f | %.0f |
                    | ratio (median) | %.2f | |

                    %d rounds of `docker run --rm --net NET busybox true`, alternating; load average %s at the end.
                    """, median(overlay), p90(overlay), median(bridge), p90(bridge), median(overlay) / median(bridge),
                    rounds, load);
            System.out.println(table);
            Path out = Path.of("target/docker-run-bench.md");
            Files.createDirectories(out.toAbsolutePath().getParent());
            Files.writeString(out, table);
        }
    }

    private static double timedRun(DockerHost docker, String network) {
        long start = System.nanoTime();
        ExecResult r = docker.docker(Duration.ofSeconds(60), "run", "--rm", "--net", network, DockerHost.BUSYBOX, "true");
        double ms = (System.nanoTime() - start) / 1e6;
        if (!r.ok()) {
            throw new AssertionError("docker run on " + network + " failed: " + r.describe());
        }
        return ms;
    }

    private static double median(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        Collections.sort(s);
        return s.size() % 2 == 1 ? s.get(s.size() / 2) : (s.get(s.size() / 2 - 1) + s.get(s.size() / 2)) / 2;
    }

    private static double p90(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        Collections.sort(s);
        return s.get(Math.min(s.size() - 1, (int) Math.ceil(s.size() * 0.9) - 1));
    }
}
