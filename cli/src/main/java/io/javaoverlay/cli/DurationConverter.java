package io.javaoverlay.cli;

import java.time.Duration;
import java.util.Locale;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Durations as people write them: {@code 500ms}, {@code 30s}, {@code 5m}, {@code 24h}, {@code 1d},
 * or ISO-8601 ({@code PT30S}). A bare number is in the option's unit (minutes for flannel's
 * {@code --subnet-lease-renew-margin}).
 */
class DurationConverter implements ITypeConverter<Duration> {

    private final String bareUnit;

    DurationConverter() {
        this("s");
    }

    DurationConverter(String bareUnit) {
        this.bareUnit = bareUnit;
    }

    /** A bare number means minutes, as flanneld's --subnet-lease-renew-margin. */
    static final class Minutes extends DurationConverter {
        Minutes() {
            super("m");
        }
    }

    @Override
    public Duration convert(String value) {
        String v = value.strip().toLowerCase(Locale.ROOT);
        try {
            if (v.startsWith("p")) {
                return Duration.parse(v.toUpperCase(Locale.ROOT));
            }
            if (v.chars().allMatch(Character::isDigit)) {
                v = v + bareUnit;
            }
            int i = 0;
            while (i < v.length() && Character.isDigit(v.charAt(i))) {
                i++;
            }
            long n = Long.parseLong(v.substring(0, i));
            return switch (v.substring(i)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                case "d" -> Duration.ofDays(n);
                default -> throw new TypeConversionException("");
            };
        } catch (RuntimeException e) {
            throw new TypeConversionException("'" + value + "' is not a duration: use e.g. 30s, 5m, 24h (a bare number means "
                    + ("m".equals(bareUnit) ? "minutes" : "seconds") + ")");
        }
    }
}
