package io.javaoverlay.docker;

import java.nio.file.Path;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * A test class whose every test talks to its own {@link InProcessPlugin}, started on this host's
 * lease in a fresh directory before the test (a subclass's own {@code @BeforeEach} runs after)
 * and closed after it.
 */
abstract class InProcessPluginTest {

    @TempDir
    Path dir;

    InProcessPlugin p;

    @BeforeEach
    final void startPlugin() {
        p = InProcessPlugin.start(dir);
    }

    @AfterEach
    final void stopPlugin() {
        p.close();
    }
}
