package io.javaoverlay.docker.server;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;

import org.eclipse.jetty.io.ManagedSelector;
import org.eclipse.jetty.io.SocketChannelEndPoint;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * dockerd's plugin client (Go's net/http over a Unix socket) sends {@code Host: } with an empty
 * value, and Jetty 12 answers every such request {@code 400 Blank Host}, with no compliance
 * setting to allow it. So the bytes are mended as they are read: {@code "\r\nHost: \r\n"}
 * becomes {@code "\r\nHost:d\r\n"}, the same length, changed in place. Go writes a request's
 * head with one flush, so the pattern arrives in one read; only that exact pattern is touched
 * (a JSON body never holds a raw CR LF).
 */
final class BlankHostEndPoint extends SocketChannelEndPoint {

    private static final byte[] BLANK_HOST = "\r\nHost: \r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    /** Where the blank is in the pattern, and what fills it. */
    private static final int BLANK_AT = 7;
    private static final byte FILLER = 'd';

    BlankHostEndPoint(SocketChannel channel, ManagedSelector selector, SelectionKey key, Scheduler scheduler) {
        super(channel, selector, key, scheduler);
    }

    @Override
    public int fill(ByteBuffer buffer) throws IOException {
        int filled = super.fill(buffer);
        if (filled > 0) {
            // The new bytes are the last `filled` before the limit (a fully consumed buffer is
            // cleared before the read, so the old limit says nothing); a pattern may begin in
            // the unconsumed bytes just before them.
            mend(buffer, Math.max(buffer.position(), buffer.limit() - filled - BLANK_HOST.length + 1));
        }
        return filled;
    }

    /** Replaces the blank of every {@code Host: } with no value between {@code from} and the limit. */
    static void mend(ByteBuffer buffer, int from) {
        int last = buffer.limit() - BLANK_HOST.length;
        for (int i = from; i <= last; i++) {
            if (matches(buffer, i)) {
                buffer.put(i + BLANK_AT, FILLER);
            }
        }
    }

    private static boolean matches(ByteBuffer buffer, int at) {
        for (int j = 0; j < BLANK_HOST.length; j++) {
            if (buffer.get(at + j) != BLANK_HOST[j]) {
                return false;
            }
        }
        return true;
    }
}
