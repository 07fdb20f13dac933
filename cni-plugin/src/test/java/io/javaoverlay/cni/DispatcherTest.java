package io.javaoverlay.cni;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.javaoverlay.cni.model.Dns;
import io.javaoverlay.cni.model.Interface;
import io.javaoverlay.cni.model.IpConfig;
import io.javaoverlay.cni.model.NetConf;
import io.javaoverlay.cni.model.Result;
import io.javaoverlay.cni.model.Route;
import io.javaoverlay.cni.testing.CniJson;

/** The process protocol, driven in-process with a plugin that records what it was given. */
class DispatcherTest {

    private final List<String> calls = new ArrayList<>();
    private NetConf lastConf;
    private RuntimeException toThrow;

    private final CniPlugin recorder = new CniPlugin() {
        @Override
        public Result add(CniEnv env, NetConf conf) {
            record("ADD", conf);
            return new Result(
                    List.of(Interface.host("cni0", "0a:58:0a:05:48:01", 1450),
                            Interface.host("veth1234abcd", "0a:58:0a:05:48:02", 1450),
                            Interface.sandboxed(env.ifName(), "0a:58:0a:05:48:03", 1450, env.netns())),
                    List.of(new IpConfig("10.5.72.2/24", Optional.of("10.5.72.1"), OptionalInt.of(2))),
                    List.of(Route.via("10.5.0.0/16", "10.5.72.1"), Route.via("0.0.0.0/0", "10.5.72.1")),
                    conf.dns());
        }

        @Override
        public void del(CniEnv env, NetConf conf) {
            record("DEL", conf);
        }

        @Override
        public void check(CniEnv env, NetConf conf) {
            record("CHECK", conf);
        }

        @Override
        public void status(CniEnv env, NetConf conf) {
            record("STATUS", conf);
        }

        @Override
        public void gc(CniEnv env, NetConf conf) {
            record("GC", conf);
        }

        private void record(String what, NetConf conf) {
            calls.add(what);
            lastConf = conf;
            if (toThrow != null) {
                throw toThrow;
            }
        }
    };

    private record Run(int status, String stdout) {}

    private Run run(Map<String, String> env, String stdin) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int status = new Dispatcher(recorder).run(env, new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)), out);
        return new Run(status, out.toString(StandardCharsets.UTF_8));
    }

    private static Map<String, String> env(String command) {
        Map<String, String> env = new HashMap<>();
        env.put("CNI_COMMAND", command);
        env.put("CNI_CONTAINERID", "c0ffee-1");
        env.put("CNI_NETNS", "/var/run/netns/pod");
        env.put("CNI_IFNAME", "eth0");
        env.put("CNI_PATH", "/opt/cni/bin");
        return env;
    }

    private static String conf(String version) {
        return "{\"cniVersion\":\"" + version + "\",\"name\":\"podnet\",\"type\":\"javaoverlay\"}";
    }

    @ParameterizedTest
    @ValueSource(strings = {"0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"})
    void addPrintsTheResultInTheRequestedVersion(String version) {
        Run r = run(env("ADD"), conf(version));
        assertThat(r.status).isZero();
        Map<String, Object> result = CniJson.assertAddResult(r.stdout, version);
        @SuppressWarnings("unchecked")
        Map<String, Object> ip = (Map<String, Object>) ((List<Object>) result.get("ips")).get(0);
        assertThat(ip.containsKey("version")).isEqualTo(version.startsWith("0."));
        @SuppressWarnings("unchecked")
        Map<String, Object> itf = (Map<String, Object>) ((List<Object>) result.get("interfaces")).get(2);
        assertThat(itf.containsKey("mtu")).as("interface mtu only from 1.1.0").isEqualTo(version.equals("1.1.0"));
        assertThat(itf.get("sandbox")).isEqualTo("/var/run/netns/pod");
    }

    /** flannel's plugin speaks 0.1.0 and 0.2.0 too (libcni's types020): one address of each family, its routes beneath it. */
    @ParameterizedTest
    @ValueSource(strings = {"0.1.0", "0.2.0"})
    void addPrintsALegacyResultForTheOldestVersions(String version) {
        Run r = run(env("ADD"), conf(version));
        assertThat(r.status).isZero();
        Map<String, Object> result = CniJson.assertAddResult(r.stdout, version);
        assertThat(result).containsOnlyKeys("cniVersion", "ip4", "dns").containsEntry("ip4", Map.of("ip", "10.5.72.2/24",
                "gateway", "10.5.72.1", "routes", List.of(Map.of("dst", "10.5.0.0/16", "gw", "10.5.72.1"),
                        Map.of("dst", "0.0.0.0/0", "gw", "10.5.72.1"))));
        assertThat(calls).containsExactly("ADD");
    }

    @Test
    void aConfigWithoutCniVersionIsReadAs010AsLibcniReadsIt() {
        Run r = run(env("ADD"), "{\"name\":\"podnet\",\"type\":\"javaoverlay\"}");
        assertThat(r.status).isZero();
        CniJson.assertAddResult(r.stdout, "0.1.0");
    }

    @Test
    void versionListsEverySupportedVersionAndEchoesTheRequestedOne() {
        Map<String, String> env = Map.of("CNI_COMMAND", "VERSION");
        Run latest = run(env, "");
        assertThat(latest.status).isZero();
        assertThat(CniJson.parseObject(latest.stdout)).containsEntry("cniVersion", "1.1.0")
                .containsEntry("supportedVersions", List.of("0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"));
        assertThat(CniJson.parseObject(run(env, "{\"cniVersion\":\"0.4.0\"}").stdout)).containsEntry("cniVersion", "0.4.0");
    }

    @Test
    void delCheckStatusGcPrintNothingOnSuccess() {
        for (String c : List.of("DEL", "CHECK", "STATUS", "GC")) {
            Run r = run(env(c), conf("1.1.0"));
            assertThat(r.status).as(c).isZero();
            assertThat(r.stdout).as(c).isEmpty();
        }
        assertThat(calls).containsExactly("DEL", "CHECK", "STATUS", "GC");
    }

    @Test
    void delNeedsNoNetnsButAddAndCheckDo() {
        Map<String, String> env = env("DEL");
        env.remove("CNI_NETNS");
        assertThat(run(env, conf("1.0.0")).status).isZero();
        for (String c : List.of("ADD", "CHECK")) {
            Map<String, String> e = env(c);
            e.put("CNI_NETNS", "");
            Run r = run(e, conf("1.0.0"));
            assertThat(r.status).isEqualTo(1);
            assertThat(CniJson.assertError(r.stdout, 4).get("msg").toString()).contains("CNI_NETNS");
        }
    }

    @Test
    void missingEnvironmentIsCode4NamingTheVariables() {
        Map<String, String> env = env("ADD");
        env.remove("CNI_CONTAINERID");
        env.remove("CNI_IFNAME");
        Run r = run(env, conf("1.0.0"));
        assertThat(r.status).isEqualTo(1);
        assertThat(CniJson.assertError(r.stdout, 4).get("msg").toString()).contains("CNI_CONTAINERID", "CNI_IFNAME");
        assertThat(CniJson.assertError(run(Map.of(), conf("1.0.0")).stdout, 4).get("msg").toString()).contains("CNI_COMMAND");
        assertThat(CniJson.assertError(run(Map.of("CNI_COMMAND", "FROB"), conf("1.0.0")).stdout, 4).get("msg").toString())
                .contains("FROB");
        assertThat(calls).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"-leading-dash", "has space", "semi;colon", "slash/y", "ünicode"})
    void badContainerIdIsCode4(String id) {
        Map<String, String> env = env("ADD");
        env.put("CNI_CONTAINERID", id);
        CniJson.assertError(run(env, conf("1.0.0")).stdout, 4);
        assertThat(calls).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"this-is-too-long0", "a/b", "a:b", "a b", ".", "..",
        // 9 characters but 18 bytes: the kernel's limit (IFNAMSIZ - 1 = 15) is in bytes
        "\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9"})
    void badInterfaceNameIsCode4(String ifName) {
        Map<String, String> env = env("ADD");
        env.put("CNI_IFNAME", ifName);
        CniJson.assertError(run(env, conf("1.0.0")).stdout, 4);
    }

    @Test
    void aNonAsciiInterfaceNameOfFifteenBytesIsAccepted() {
        Map<String, String> env = env("ADD");
        String name = "eth-\u00e9\u00e9\u00e9\u00e9\u00e9x"; // 4 + 10 + 1 bytes
        env.put("CNI_IFNAME", name);
        Run r = run(env, conf("1.0.0"));
        assertThat(r.status).as(r.stdout).isZero();
        assertThat(r.stdout).contains("\"name\":\"" + name + "\"");
    }

    @ParameterizedTest
    @ValueSource(strings = {"CNI_ARGS", "CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME", "CNI_PATH", "CNI_COMMAND"})
    void aControlCharacterOrNonUtf8InAnyCniVariableIsCode4NamingIt(String name) {
        for (String bad : List.of("IgnoreUnknown=1\nCNI-Netns: /proc/1/ns/net", "a\rb", "a\u0000b", "a\u007fb",
                "bad\ufffdbytes")) {
            Map<String, String> env = env("ADD");
            env.put(name, bad);
            Run r = run(env, conf("1.0.0"));
            assertThat(r.status).isEqualTo(1);
            assertThat(CniJson.assertError(r.stdout, 4).get("msg")).isEqualTo("invalid " + name);
        }
        assertThat(calls).isEmpty();
    }

    @Test
    void stdinOverOneMebibyteIsCode7AndIsNotReadToTheEnd() {
        long[] served = new long[1];
        // 200 MB would not fit the test's heap if it were read whole
        java.io.InputStream endless = new java.io.InputStream() {
            @Override
            public int read() {
                served[0]++;
                return ' ';
            }

            @Override
            public int read(byte[] b, int off, int len) {
                java.util.Arrays.fill(b, off, off + len, (byte) ' ');
                served[0] += len;
                return len;
            }
        };
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String command : List.of("ADD", "DEL")) {
            int status = new Dispatcher(recorder).run(env(command), endless, out);
            assertThat(status).isEqualTo(1);
            assertThat(CniJson.assertError(out.toString(StandardCharsets.UTF_8), 7).get("msg").toString()).contains("too large");
            out.reset();
        }
        assertThat(served[0]).isLessThanOrEqualTo(2L * (Dispatcher.MAX_CONFIG_BYTES + 1));
        assertThat(calls).isEmpty();
        // exactly the limit is still read (and here is whitespace only: not a JSON object)
        String atLimit = conf("1.0.0") + " ".repeat(Dispatcher.MAX_CONFIG_BYTES - conf("1.0.0").length());
        assertThat(run(env("ADD"), atLimit).status).isZero();
    }

    @Test
    void malformedJsonIsCode6() {
        for (String bad : List.of("", "{", "{\"cniVersion\":\"1.0.0\",}", "[1,2]", "\"str\"", "{} {}")) {
            Run r = run(env("ADD"), bad);
            assertThat(r.status).as(bad).isEqualTo(1);
            CniJson.assertError(r.stdout, 6);
        }
        assertThat(calls).isEmpty();
    }

    @Test
    void unsupportedVersionIsCode1() {
        for (String bad : List.of(conf("0.5.0"), conf("0.0.1"), conf("2.0.0"), conf("1.2.0"))) {
            Map<String, Object> e = CniJson.assertError(run(env("ADD"), bad).stdout, 1);
            assertThat(e.get("details").toString()).contains("1.1.0");
        }
        assertThat(calls).isEmpty();
    }

    @Test
    void commandsNewerThanTheConfigsVersionAreCode1() {
        CniJson.assertError(run(env("CHECK"), conf("0.3.1")).stdout, 1);
        CniJson.assertError(run(env("CHECK"), conf("0.2.0")).stdout, 1);
        CniJson.assertError(run(env("STATUS"), conf("1.0.0")).stdout, 1);
        CniJson.assertError(run(env("GC"), conf("0.4.0")).stdout, 1);
        assertThat(calls).isEmpty();
        assertThat(run(env("CHECK"), conf("0.4.0")).status).isZero();
    }

    @Test
    void invalidConfigValuesAreCode7NamingTheKey() {
        Map<String, String> cases = Map.of(
                "{\"cniVersion\":\"1.0.0\",\"type\":\"javaoverlay\"}", "name",
                "{\"cniVersion\":\"1.0.0\",\"name\":\"bad name\"}", "name",
                "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"mtu\":\"big\"}", "mtu",
                "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"mtu\":20}", "mtu",
                "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"ipMasq\":\"yes\"}", "ipMasq",
                "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"bridge\":\"this-bridge-name-is-long\"}", "bridge",
                "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"bridge\":\"br\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\"}", "bridge",
                "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"dns\":{\"nameservers\":\"1.1.1.1\"}}", "nameservers",
                "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"subnetFile\":\"\"}", "subnetFile",
                "{\"cniVersion\":\"1.0.0\",\"name\":\"" + "n".repeat(1001) + "\"}", "name");
        cases.forEach((json, key) -> {
            Map<String, Object> e = CniJson.assertError(run(env("ADD"), json).stdout, 7);
            assertThat(e.get("msg") + " " + e.get("details")).as(json).contains(key);
        });
        assertThat(calls).isEmpty();
    }

    @Test
    void unknownKeysAreToleratedAndKnownOnesDecoded() {
        String json = "{\"cniVersion\":\"1.1.0\",\"name\":\"podnet\",\"type\":\"javaoverlay\",\"someFutureKey\":{\"x\":[1,2.5,null]},"
                + "\"subnetFile\":\"/tmp/s.env\",\"dataDir\":\"/tmp/ipam\",\"bridge\":\"jo0\",\"mtu\":1400,\"ipMasq\":false,"
                + "\"hairpinMode\":false,\"isDefaultGateway\":false,\"dns\":{\"nameservers\":[\"10.96.0.10\"],\"search\":[\"svc\"]},"
                + "\"runtimeConfig\":{\"ips\":[\"10.5.72.9/24\"]},\"capabilities\":{\"ips\":true}}";
        Run r = run(env("ADD"), json);
        assertThat(r.status).isZero();
        assertThat(lastConf.bridge()).isEqualTo("jo0");
        assertThat(lastConf.mtu()).hasValue(1400);
        assertThat(lastConf.ipMasq()).contains(false);
        assertThat(lastConf.hairpinMode()).isFalse();
        assertThat(lastConf.isDefaultGateway()).isFalse();
        assertThat(lastConf.requestedIps()).containsExactly("10.5.72.9/24");
        assertThat(lastConf.dns()).isEqualTo(new Dns(List.of("10.96.0.10"), Optional.empty(), List.of("svc"), List.of()));
        assertThat(CniJson.parseObject(r.stdout).get("dns")).isEqualTo(Map.of("nameservers", List.of("10.96.0.10"), "search", List.of("svc")));
    }

    @Test
    void defaultsFollowFlannelsShippedConfig() {
        run(env("ADD"), conf("1.0.0"));
        assertThat(lastConf.subnetFile()).hasToString("/run/flannel/subnet.env");
        assertThat(lastConf.dataDir()).hasToString("/var/lib/javaoverlay/ipam");
        assertThat(lastConf.bridge()).isEqualTo("cni0");
        assertThat(lastConf.mtu()).isEmpty();
        assertThat(lastConf.ipMasq()).isEmpty();
        assertThat(lastConf.hairpinMode()).isTrue();
        assertThat(lastConf.isDefaultGateway()).isTrue();
    }

    @Test
    void prevResultInAnyVersionIsDecoded() {
        String prev = "{\"cniVersion\":\"0.3.1\",\"interfaces\":[{\"name\":\"eth0\",\"sandbox\":\"/x\"}],"
                + "\"ips\":[{\"version\":\"4\",\"address\":\"10.5.72.2/24\",\"gateway\":\"10.5.72.1\",\"interface\":0}],"
                + "\"routes\":[{\"dst\":\"0.0.0.0/0\"}],\"dns\":{}}";
        run(env("CHECK"), "{\"cniVersion\":\"0.4.0\",\"name\":\"podnet\",\"prevResult\":" + prev + "}");
        assertThat(lastConf.prevResult()).isPresent();
        Result r = lastConf.prevResult().get();
        assertThat(r.interfaces()).extracting(Interface::name).containsExactly("eth0");
        assertThat(r.ips().get(0).interfaceIndex()).hasValue(0);
        assertThat(r.routes().get(0).gw()).isEmpty();

        String broken = "{\"cniVersion\":\"0.4.0\",\"name\":\"podnet\",\"prevResult\":{\"ips\":[{\"address\":\"10.5.72.2/24\",\"interface\":3}]}}";
        CniJson.assertError(run(env("CHECK"), broken).stdout, 6);
    }

    @Test
    void gcDecodesValidAttachments() {
        run(env("GC"), "{\"cniVersion\":\"1.1.0\",\"name\":\"podnet\",\"cni.dev/valid-attachments\":"
                + "[{\"containerID\":\"a\",\"ifname\":\"eth0\"},{\"containerID\":\"b\",\"ifname\":\"net1\"}]}");
        assertThat(lastConf.validAttachments()).isPresent();
        assertThat(lastConf.validAttachments().get()).hasSize(2);
    }

    @Test
    void pluginErrorsArePrintedWithTheirCodeInTheRequestsVersion() {
        toThrow = new CniException(ErrorCode.TRY_AGAIN_LATER, "agent not ready", "start it");
        Run r = run(env("ADD"), conf("0.4.0"));
        assertThat(r.status).isEqualTo(1);
        Map<String, Object> e = CniJson.assertError(r.stdout, 11);
        assertThat(e).containsEntry("cniVersion", "0.4.0").containsEntry("msg", "agent not ready").containsEntry("details", "start it");
    }

    @Test
    void anUnexpectedFailureIsAnInternalErrorWithoutAStackTraceOnStdout() {
        toThrow = new IllegalStateException("boom");
        Run r = run(env("ADD"), conf("1.0.0"));
        assertThat(r.status).isEqualTo(1);
        assertThat(CniJson.assertError(r.stdout, 100).get("msg").toString()).contains("boom");
        assertThat(r.stdout).doesNotContain("\tat ", "Exception in thread").hasLineCount(1);
    }

    @Test
    void aBusyIpamLockFromAnyCommandIsTryAgainNotABug() {
        toThrow = new io.javaoverlay.core.ipam.IpamException(io.javaoverlay.core.ipam.IpamException.Kind.BUSY,
                "the lock file /var/lib/javaoverlay/ipam/lock is held by another process");
        Run r = run(env("STATUS"), conf("1.1.0"));
        assertThat(r.status).isEqualTo(1);
        Map<String, Object> e = CniJson.assertError(r.stdout, 11);
        assertThat(e.get("msg").toString()).contains("locked by another process");
        assertThat(e.get("details").toString()).contains("/var/lib/javaoverlay/ipam/lock");
    }
}
