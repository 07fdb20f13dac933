package io.javaoverlay.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

import picocli.CommandLine.IVersionProvider;

/** Reads the build's version from a resource Maven filters at build time. */
final class VersionProvider implements IVersionProvider {

    static String version() {
        Properties props = new Properties();
        try (InputStream in = VersionProvider.class.getResourceAsStream("/javaoverlay-version.properties")) {
            if (in != null) {
                props.load(in);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the build's version resource", e);
        }
        return props.getProperty("version", "unknown");
    }

    @Override
    public String[] getVersion() {
        return new String[] {
            "javaoverlay " + version(),
            "JVM: ${java.version} (${java.vendor} ${java.vm.name})",
            "OS: ${os.name} ${os.version} ${os.arch}"
        };
    }
}
