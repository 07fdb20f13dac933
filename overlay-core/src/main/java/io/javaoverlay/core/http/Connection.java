package io.javaoverlay.core.http;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;

/**
 * One client connection of {@link SmallHttpServer}, touched only by its selector thread (the
 * worker hands replies back through the selector's task queue).
 */
final class Connection {

    /** Where the connection is in its request/reply cycle, and which deadline applies. */
    enum State {
        /** Receiving a request head; the head timeout runs from the connection's opening or first byte. */
        READING,
        /** Kept alive between requests; the idle timeout runs. */
        IDLE,
        /** A handler is making the reply; nothing is read meanwhile. */
        HANDLING,
        /** Sending a reply; the write timeout runs. */
        WRITING,
        /** Reply sent, output shut down, reading what the client still sends until it closes. */
        DRAINING
    }

    private static final int FIRST_BUFFER = 1024;

    final SocketChannel channel;
    final SelectionKey key;
    State state;
    /** {@link System#nanoTime()} after which the connection is closed. */
    long deadline;
    /** When the current wait began: the oldest waiting connection is the first to go when full. */
    long since;
    byte[] in = new byte[FIRST_BUFFER];
    int inLength;
    /** Bytes of {@link #in} already searched for the end of the head. */
    int searched;
    ByteBuffer out;
    boolean closeAfterWrite;
    boolean open = true;

    Connection(SocketChannel channel, SelectionKey key) {
        this.channel = channel;
        this.key = key;
    }

    void await(State next, long now, long timeoutNanos, int interest) {
        state = next;
        since = now;
        deadline = now + timeoutNanos;
        key.interestOps(interest);
    }

    boolean waitingForRequest() {
        return state == State.READING || state == State.IDLE;
    }

    /** Reads what is there into {@link #in}, up to {@code max} bytes held; -1 at end of stream. */
    int read(int max) throws IOException {
        if (inLength == in.length && in.length < max) {
            byte[] bigger = new byte[Math.min(max, in.length * 2)];
            System.arraycopy(in, 0, bigger, 0, inLength);
            in = bigger;
        }
        if (inLength == in.length) {
            return 0;
        }
        int n = channel.read(ByteBuffer.wrap(in, inLength, in.length - inLength));
        if (n > 0) {
            inLength += n;
        }
        return n;
    }

    /** Drops the first {@code n} bytes of {@link #in} (a head that was handled); a pipelined request stays. */
    void consume(int n) {
        System.arraycopy(in, n, in, 0, inLength - n);
        inLength -= n;
        searched = 0;
    }

    void close() {
        if (!open) {
            return;
        }
        open = false;
        key.cancel();
        try {
            channel.close();
        } catch (IOException e) {
            // closing: nothing left to do with it
        }
    }
}
