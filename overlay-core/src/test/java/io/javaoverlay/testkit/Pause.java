package io.javaoverlay.testkit;

/** The test kit's short waits between two looks at something that is not ready yet (a process's log, etcd's health). */
final class Pause {

    private Pause() {}

    /** Sleeps {@code millis}; an interrupt fails the test, saying what it was {@code doing}, and stays set. */
    static void sleep(long millis, String doing) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while " + doing, e);
        }
    }
}
