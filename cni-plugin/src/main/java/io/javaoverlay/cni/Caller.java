package io.javaoverlay.cni;

/**
 * Who asked for the call, as far as the plugin needs to know: whether it is still waiting for
 * the result. A plugin process's caller is the runtime, which ends the process when it gives
 * up; a call served on the agent's CNI socket outlives its caller unless it asks.
 */
public interface Caller {

    /** Whether the caller has gone away, so that an ADD carried out now would reach nobody and leak. */
    boolean hasGone();

    /** The caller of a plugin process: gone means the process is gone too. */
    Caller PROCESS = new Caller() {
        @Override
        public boolean hasGone() {
            return false;
        }
    };
}
