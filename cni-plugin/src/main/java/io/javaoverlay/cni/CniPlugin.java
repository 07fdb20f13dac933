package io.javaoverlay.cni;

import io.javaoverlay.cni.model.NetConf;
import io.javaoverlay.cni.model.Result;

/**
 * The command functions. Each takes parsed values (the {@link Dispatcher} owns the environment,
 * stdin and stdout) and returns a result or throws a {@link CniException} with a spec code.
 */
public interface CniPlugin {

    /** Attaches the container; returns the result to print. */
    Result add(CniEnv env, NetConf conf);

    /** Detaches the container, best-effort and idempotent. */
    void del(CniEnv env, NetConf conf);

    /** Verifies the attachment against {@code conf.prevResult()}. */
    void check(CniEnv env, NetConf conf);

    /** Returns when the plugin can serve ADD; throws NOT_AVAILABLE or LIMITED_CONNECTIVITY otherwise. */
    void status(CniEnv env, NetConf conf);

    /** Releases what belongs to attachments not in {@code conf.validAttachments()}. */
    void gc(CniEnv env, NetConf conf);
}
