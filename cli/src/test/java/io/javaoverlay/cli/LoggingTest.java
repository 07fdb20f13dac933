package io.javaoverlay.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** --log-level and the journal: what slf4j-simple is told before any logger exists. */
class LoggingTest {

    private static final String LEVEL = "org.slf4j.simpleLogger.defaultLogLevel";
    private static final String DATE = "org.slf4j.simpleLogger.showDateTime";

    @AfterEach
    void reset() {
        System.clearProperty(LEVEL);
        System.clearProperty(DATE);
    }

    @Test
    void theLevelIsFoundBeforeOrAfterTheSubcommandAndTheLastOneWins() {
        Logging.configure(new String[] {"agent", "--log-level", "DEBUG", "--iface", "eth0"}, Map.of());
        assertThat(System.getProperty(LEVEL)).isEqualTo("debug");
        Logging.configure(new String[] {"--log-level=warn", "status", "--log-level=error"}, Map.of());
        assertThat(System.getProperty(LEVEL)).isEqualTo("error");
        assertThat(System.getProperty(DATE)).as("timestamps stay on outside systemd").isNull();
    }

    @Test
    void theEnvironmentGivesTheDefaultAndTheFlagOverridesIt() {
        Logging.configure(new String[] {"agent"}, Map.of("JAVAOVERLAY_LOG_LEVEL", "trace"));
        assertThat(System.getProperty(LEVEL)).isEqualTo("trace");
        Logging.configure(new String[] {"agent", "--log-level", "warn"}, Map.of("JAVAOVERLAY_LOG_LEVEL", "trace"));
        assertThat(System.getProperty(LEVEL)).isEqualTo("warn");
    }

    @Test
    void underJournaldTheTimestampIsLeftToTheJournal() {
        Logging.configure(new String[] {"agent"}, Map.of("JOURNAL_STREAM", "8:12345"));
        assertThat(System.getProperty(DATE)).isEqualTo("false");
    }

    @Test
    void unknownLevelsAreRejectedByTheOptionWithTheAcceptedOnes() {
        Logging.configure(new String[] {"--log-level", "loud"}, Map.of());
        assertThat(System.getProperty(LEVEL)).isNull();
        assertThatThrownBy(() -> Logging.validate("loud")).hasMessage("unknown log level \"loud\": use one of error, warn, info, debug, trace, off");
        assertThat(Main.commandLine().execute("--log-level", "loud", "help")).isEqualTo(2);
    }
}
