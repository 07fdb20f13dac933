package io.javaoverlay.cli.demo;

import java.io.PrintWriter;

/**
 * What the demo tells the user while it works: one line per step with the time since the start,
 * dots while it waits, results indented under their step. Thread-safe (the shutdown hook prints
 * too).
 */
final class Progress {

    private final PrintWriter out;
    private final long start = System.nanoTime();
    private boolean midLine;

    Progress(PrintWriter out) {
        this.out = out;
    }

    /** A new step begins. */
    synchronized void step(String what) {
        line(String.format("[%5.1fs] %s", (System.nanoTime() - start) / 1e9, what));
    }

    /** A result of the current step, indented. */
    synchronized void note(String what) {
        line(what.isEmpty() ? "" : "         " + what);
    }

    synchronized void done(String what) {
        line(String.format("[%5.1fs] ok: %s", (System.nanoTime() - start) / 1e9, what));
    }

    synchronized void fail(String what) {
        line(String.format("[%5.1fs] FAILED: %s", (System.nanoTime() - start) / 1e9, what));
    }

    /** Something is still being waited for: a dot on the current line. */
    synchronized void tick() {
        out.print('.');
        out.flush();
        midLine = true;
    }

    /** Plain text, e.g. a table, without the time column. */
    synchronized void raw(String text) {
        line(text);
    }

    synchronized void interrupted() {
        line("");
        step("interrupted (Ctrl-C or SIGTERM)");
    }

    private void line(String s) {
        if (midLine) {
            out.println();
            midLine = false;
        }
        out.println(s);
        out.flush();
    }
}
