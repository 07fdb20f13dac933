package io.javaoverlay.cli;

import java.util.function.Consumer;

/**
 * SIGTERM and SIGINT as a stop request, not a JVM shutdown: the agent's own shutdown path runs
 * on its thread and the process exits 0, as flanneld does. A JVM shutdown hook could only race
 * that path and, with the default handler, exit 143. sun.misc.Signal is the JDK's supported
 * (jdk.unsupported) way to do this.
 */
final class Signals {

    private Signals() {}

    static void onTermination(Consumer<String> stop) {
        for (String name : new String[] {"TERM", "INT"}) {
            sun.misc.Signal.handle(new sun.misc.Signal(name), s -> stop.accept("SIG" + s.getName()));
        }
    }
}
