package io.javaoverlay.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import io.javaoverlay.core.config.NetworkConfig;
import io.javaoverlay.core.config.NetworkConfigException;
import io.javaoverlay.core.lease.LeaseException;
import io.javaoverlay.core.lease.LeaseStore;

/** {@code javaoverlay config get|set}: the network config at {@code <prefix>/config} (or the embedded store's file). */
@Command(name = "config", mixinStandardHelpOptions = true,
        description = "Shows or sets the network config (what etcdctl get/put <prefix>/config does, validated).",
        subcommands = {ConfigCommand.Get.class, ConfigCommand.Set.class})
final class ConfigCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "Missing subcommand: get or set");
    }

    @Command(name = "get", mixinStandardHelpOptions = true, defaultValueProvider = FlanneldEnvDefaults.class,
            description = "Prints the network config as stored.")
    static final class Get implements Callable<Integer> {
        @Mixin
        StoreOptions store;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            try (LeaseStore s = store.open()) {
                var json = s.readNetworkConfig();
                if (json.isEmpty()) {
                    spec.commandLine().getErr().println("javaoverlay config get: no network config at " + s.networkConfigLocation()
                            + ": set one with `javaoverlay config set '{\"Network\": \"10.244.0.0/16\"}'`");
                    return 1;
                }
                spec.commandLine().getOut().println(json.get().strip());
                spec.commandLine().getOut().flush();
                return 0;
            } catch (LeaseException e) {
                spec.commandLine().getErr().println("javaoverlay config get: " + e.getMessage());
                return 1;
            }
        }
    }

    @Command(name = "set", mixinStandardHelpOptions = true, defaultValueProvider = FlanneldEnvDefaults.class,
            description = "Validates and stores a network config: the JSON text, @FILE, or - for standard input.")
    static final class Set implements Callable<Integer> {
        @Mixin
        StoreOptions store;

        @Parameters(index = "0", paramLabel = "JSON|@FILE|-", description = "the config, e.g. '{\"Network\": \"10.5.0.0/16\", \"Backend\": {\"Type\": \"vxlan\"}}'")
        String source;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            String json = read(source);
            NetworkConfig parsed;
            try {
                parsed = NetworkConfig.parse(json);
            } catch (NetworkConfigException e) {
                spec.commandLine().getErr().println("javaoverlay config set: not stored: " + e.getMessage());
                return 1;
            }
            try (LeaseStore s = store.open()) {
                s.writeNetworkConfig(json.strip());
                spec.commandLine().getOut().println("stored at " + s.networkConfigLocation() + ": " + parsed.describe());
                spec.commandLine().getOut().flush();
                return 0;
            } catch (LeaseException e) {
                spec.commandLine().getErr().println("javaoverlay config set: " + e.getMessage());
                return 1;
            }
        }

        private static String read(String source) throws IOException {
            if (source.equals("-")) {
                try (InputStream in = System.in) {
                    return new String(in.readAllBytes(), StandardCharsets.UTF_8);
                }
            }
            if (source.startsWith("@")) {
                return Files.readString(Path.of(source.substring(1)), StandardCharsets.UTF_8);
            }
            return source;
        }
    }
}
