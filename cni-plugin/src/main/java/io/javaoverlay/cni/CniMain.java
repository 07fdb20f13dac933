package io.javaoverlay.cni;

import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;

import io.javaoverlay.core.host.IptablesBridgeFirewall;
import io.javaoverlay.core.host.NetlinkHostAttachment;
import io.javaoverlay.core.firewall.Iptables;

/**
 * The CNI executable's entry: {@code bin/javaoverlay} with no arguments and {@code CNI_COMMAND}
 * set calls {@link #main}. Wires the real kernel and iptables into the {@link Dispatcher}.
 */
public final class CniMain {

    private CniMain() {}

    /** Set by the launcher on the invocation that builds the start-up cache (class-data archive). */
    static final String TRAINING_PROPERTY = "javaoverlay.cni.training";

    public static void main(String[] args) {
        Map<String, String> env = ProcessEnvironment.ofThisProcess();
        // someone typing CNI_COMMAND=VERSION javaoverlay at a terminal: answer without waiting for stdin
        InputStream stdin = "VERSION".equals(env.get("CNI_COMMAND")) && System.console() != null
                ? InputStream.nullInputStream() : System.in;
        int status = run(env, stdin, System.out);
        System.out.flush();
        String cacheDir = System.getProperty(TRAINING_PROPERTY);
        if (cacheDir != null && !cacheDir.isEmpty()) {
            // after the result is written, so nothing here can spoil stdout
            StartupCache.prepare(java.nio.file.Path.of(cacheDir));
        }
        System.exit(status);
    }

    /** One invocation against the real kernel; returns the exit status. */
    public static int run(Map<String, String> env, InputStream stdin, OutputStream stdout) {
        return run(env, stdin, stdout, Caller.PROCESS);
    }

    /** One invocation for {@code caller} (the CNI socket's client), which ADD asks whether it is still there. */
    public static int run(Map<String, String> env, InputStream stdin, OutputStream stdout, Caller caller) {
        try (NetlinkHostAttachment datapath = new NetlinkHostAttachment()) {
            return new Dispatcher(new OverlayPlugin(datapath, new IptablesBridgeFirewall(Iptables::local), caller))
                    .run(env, stdin, stdout);
        }
    }
}
