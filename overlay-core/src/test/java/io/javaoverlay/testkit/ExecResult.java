package io.javaoverlay.testkit;

import java.util.List;

/** What a finished command printed and returned. */
public record ExecResult(List<String> command, int exitCode, String stdout, String stderr) {

    public boolean ok() {
        return exitCode == 0;
    }

    /** This result when the command succeeded; an AssertionError naming the command and its stderr otherwise. */
    public ExecResult orThrow() {
        if (exitCode != 0) {
            throw new AssertionError(describe());
        }
        return this;
    }

    public String describe() {
        return "command " + String.join(" ", command) + " exited " + exitCode
                + (stderr.isBlank() ? "" : "; stderr: " + stderr.strip())
                + (stdout.isBlank() ? "" : "; stdout: " + abbreviate(stdout.strip()));
    }

    private static String abbreviate(String s) {
        return s.length() > 2000 ? s.substring(0, 2000) + "..." : s;
    }
}
