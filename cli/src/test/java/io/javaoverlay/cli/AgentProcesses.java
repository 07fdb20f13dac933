package io.javaoverlay.cli;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.GetOption;
import io.javaoverlay.testkit.EtcdExtension;

/**
 * The agent processes of one test ({@link AgentProcess}), each in a directory of its own under a
 * temporary directory, and an etcd prefix of the test's own ({@code /jo-<test method>/network}).
 * After the test every agent is stopped and the directory deleted. Register it on an instance
 * field with {@code @RegisterExtension}.
 */
final class AgentProcesses implements BeforeEachCallback, AfterEachCallback {

    private final String dirPrefix;
    private final List<AgentProcess> agents = new ArrayList<>();
    private Path dir;
    private String prefix;

    /** @param dirPrefix the start of the temporary directory's name ({@code jo-agent-}) */
    AgentProcesses(String dirPrefix) {
        this.dirPrefix = dirPrefix;
    }

    @Override
    public void beforeEach(ExtensionContext context) throws IOException {
        dir = Files.createTempDirectory(dirPrefix);
        prefix = "/jo-" + context.getRequiredTestMethod().getName() + "/network";
    }

    @Override
    public void afterEach(ExtensionContext context) throws IOException {
        agents.forEach(AgentProcess::close);
        agents.clear();
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** The test's temporary directory. */
    Path dir() {
        return dir;
    }

    /** The test's etcd prefix, {@code /jo-<test method>/network}. */
    String prefix() {
        return prefix;
    }

    /** {@code bin/javaoverlay agent} with {@code args}, in {@code dir()/name}; stopped after the test. Not started yet. */
    AgentProcess agent(String name, Map<String, String> env, List<String> args) {
        return track(new AgentProcess(dir.resolve(name), args, env));
    }

    /** {@code command} (e.g. {@code bin/flanneld}) with {@code args}, in {@code dir()/name}; stopped after the test. Not started yet. */
    AgentProcess agent(String name, List<String> command, Map<String, String> env, List<String> args) {
        return track(new AgentProcess(dir.resolve(name), command, args, env));
    }

    private AgentProcess track(AgentProcess a) {
        agents.add(a);
        return a;
    }

    /** Puts {@code json} as the network config under the test's prefix in {@code etcd}. */
    void putConfig(EtcdExtension etcd, String json) throws Exception {
        etcd.client().getKVClient().put(bytes(prefix + "/config"), bytes(json)).get(10, TimeUnit.SECONDS);
    }

    /** The lease keys and values under the test's prefix in {@code etcd}. */
    List<KeyValue> subnetKvs(EtcdExtension etcd) throws Exception {
        return etcd.client().getKVClient().get(bytes(prefix + "/subnets/"), GetOption.builder().isPrefix(true).build())
                .get(10, TimeUnit.SECONDS).getKvs();
    }

    static ByteSequence bytes(String s) {
        return ByteSequence.from(s, UTF_8);
    }
}
