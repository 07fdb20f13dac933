package io.javaoverlay.core.ipam;

import java.nio.file.Files;
import java.nio.file.Path;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;

/**
 * A child process for {@link ConcurrentAllocationTest}: waits for the start file, then
 * allocates {@code count} addresses and prints them, one a line.
 * Arguments: data dir, start file, owner id prefix, count.
 */
public final class AllocateMain {

    private AllocateMain() {}

    public static void main(String[] args) throws Exception {
        Path data = Path.of(args[0]);
        Path start = Path.of(args[1]);
        String prefix = args[2];
        int count = Integer.parseInt(args[3]);
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (!Files.exists(start)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("start file " + start + " never appeared");
            }
            Thread.onSpinWait();
        }
        Allocator allocator = new Allocator(Ip4Net.parse("10.5.72.0/24"), Ip4.parse("10.5.72.1"), DiskStore.open(data));
        for (int i = 0; i < count; i++) {
            System.out.println(allocator.allocate(Owner.cni("podnet", prefix + "-" + i, "eth0")).ip());
        }
    }
}
