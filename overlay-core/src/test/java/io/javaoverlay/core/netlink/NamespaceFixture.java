package io.javaoverlay.core.netlink;

import io.javaoverlay.testkit.TestNamespace;
import io.javaoverlay.testkit.TestNetwork;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One namespace of the test class's own, made before its first test and deleted after its last,
 * with a netlink socket and a namespace handle on it made on first use: the set-up the netlink
 * ITs and the backends' single-namespace ITs share. Register it on a static field with {@code @RegisterExtension}.
 */
public final class NamespaceFixture implements BeforeAllCallback, AfterAllCallback {

    private final TestNetwork net = TestNetwork.namespacesOnly();
    private final String suffix;
    private TestNamespace ns;
    private NetlinkSocket nl;
    private NetNs handle;

    /** @param suffix the namespace's name after the run's random prefix */
    public NamespaceFixture(String suffix) {
        this.suffix = suffix;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        net.beforeAll(context);
        ns = net.createNamespace(suffix);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        try {
            if (handle != null) {
                handle.close();
            }
        } finally {
            // closes the netlink socket, then deletes the namespace
            net.afterAll(context);
        }
    }

    /** The network the namespace is in, for a second namespace or its prefix. */
    public TestNetwork network() {
        return net;
    }

    public TestNamespace ns() {
        return ns;
    }

    /** A netlink socket on the namespace, closed at teardown. */
    public synchronized NetlinkSocket nl() {
        if (nl == null) {
            nl = ns.openNetlink();
        }
        return nl;
    }

    /** A handle on the namespace (for work inside it), closed at teardown. */
    public synchronized NetNs handle() {
        if (handle == null) {
            handle = ns.open();
        }
        return handle;
    }
}
