package io.javaoverlay.core.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.javaoverlay.testkit.Requirements;

/** The namespaces the demo and the test kit make, and what their deletion does with processes still inside. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NamespacesIT {

    private Namespaces namespaces;
    private Process sleeper;

    @AfterEach
    void cleanUp() throws InterruptedException {
        if (sleeper != null && sleeper.isAlive()) {
            sleeper.destroyForcibly().waitFor();
        }
        if (namespaces != null) {
            namespaces.deleteAll(Namespaces.Inside.KILL);
        }
    }

    private Process sleepIn(String ns) throws Exception {
        Process p = new ProcessBuilder("ip", "netns", "exec", ns, "sleep", "300").start();
        Path target = Path.of("/run/netns", ns);
        Object ino = Files.getAttribute(target, "unix:ino");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!ino.equals(Files.getAttribute(Path.of("/proc", Long.toString(p.pid()), "ns", "net"), "unix:ino"))) {
            assertThat(System.nanoTime()).as("sleep entered " + ns).isLessThan(deadline);
            Thread.sleep(5);
        }
        return p;
    }

    @Test
    void anUnderlayOfThreeHostsIsMadeAndEverythingGoesAgain() {
        Requirements.check().root().command("ip", "iproute2").command("ping", "iputils-ping").orAbort();
        namespaces = new Namespaces(Namespaces.randomPrefix("jo"));
        UnderlayTopology t = UnderlayTopology.create(namespaces, UnderlayTopology.randomSubnet(), 3);
        assertThat(namespaces.created()).containsExactly(namespaces.name("ul"), namespaces.name("h1"), namespaces.name("h2"),
                namespaces.name("h3"));
        assertThat(ping(t.host(3).namespace(), t.host(1).address().toString())).as("host 3 reaches host 1 on the underlay").isTrue();
        assertThat(ping(t.host(2).namespace(), t.gateway().toString())).isTrue();

        assertThat(namespaces.deleteAll(Namespaces.Inside.REPORT)).isEmpty();
        for (String ns : List.of("ul", "h1", "h2", "h3")) {
            assertThat(Path.of("/run/netns", namespaces.name(ns))).doesNotExist();
        }
        assertThatThrownBy(() -> namespaces.create("late")).isInstanceOf(SandboxException.class).hasMessageContaining("being deleted");
        assertThat(Path.of("/run/netns", namespaces.name("late"))).doesNotExist();
    }

    @Test
    void aProcessLeftInsideIsReportedByTheDemoAndKilledByTheTestKit() throws Exception {
        Requirements.check().root().command("ip", "iproute2").orAbort();
        namespaces = new Namespaces(Namespaces.randomPrefix("jo"));
        String ns = namespaces.create("a");
        sleeper = sleepIn(ns);
        List<String> problems = namespaces.deleteAll(Namespaces.Inside.REPORT);
        assertThat(problems).singleElement().asString().contains(Long.toString(sleeper.pid())).contains(ns);
        assertThat(sleeper.isAlive()).as("the demo does not kill what it did not start").isTrue();
        sleeper.destroyForcibly().waitFor();

        namespaces = new Namespaces(Namespaces.randomPrefix("jo"));
        String other = namespaces.create("b");
        sleeper = sleepIn(other);
        assertThat(namespaces.deleteAll(Namespaces.Inside.KILL)).isEmpty();
        assertThat(sleeper.waitFor(5, TimeUnit.SECONDS)).as("killed by the test kit's teardown").isTrue();
        assertThat(Path.of("/run/netns", other)).doesNotExist();
    }

    @Test
    void aFailedCommandSaysWhichAndWhy() {
        Requirements.check().root().command("ip", "iproute2").orAbort();
        namespaces = new Namespaces(Namespaces.randomPrefix("jo"));
        String ns = namespaces.create("c");
        assertThatThrownBy(() -> namespaces.ip(ns, "link add x type no-such-kind"))
                .isInstanceOf(SandboxException.class).hasMessageContaining("ip -n " + ns).hasMessageContaining("no-such-kind");
        assertThatThrownBy(() -> namespaces.create("c")).isInstanceOf(SandboxException.class).hasMessageContaining("exists already");

        // a namespace of the same name that another run made is neither adopted nor deleted
        Namespaces other = new Namespaces(namespaces.prefix());
        assertThatThrownBy(() -> other.create("c")).isInstanceOf(SandboxException.class).hasMessageContaining("exists already");
        assertThat(other.deleteAll(Namespaces.Inside.KILL)).isEmpty();
        assertThat(Path.of("/run/netns", ns)).exists();
        assertThat(namespaces.deleteAll(Namespaces.Inside.KILL)).isEmpty();
        assertThat(Path.of("/run/netns", ns)).doesNotExist();
    }

    private static boolean ping(String ns, String address) {
        try {
            return new ProcessBuilder("ip", "netns", "exec", ns, "ping", "-c", "1", "-W", "2", address).redirectErrorStream(true)
                    .start().waitFor() == 0;
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
