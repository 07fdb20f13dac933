package io.javaoverlay.core.netlink;

import java.util.Map;

/**
 * errno names and glibc's descriptions for the codes netlink, TUN and setns return. A table
 * rather than strerror(3): messages stay the same on every libc and need no native call.
 */
public final class Errno {

    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int ESRCH = 3;
    public static final int EBUSY = 16;
    public static final int EEXIST = 17;
    public static final int ENODEV = 19;
    public static final int EINVAL = 22;
    public static final int EOPNOTSUPP = 95;
    public static final int EADDRNOTAVAIL = 99;

    private record Entry(String name, String description) {}

    private static final Map<Integer, Entry> TABLE = Map.ofEntries(
            e(1, "EPERM", "Operation not permitted"),
            e(2, "ENOENT", "No such file or directory"),
            e(3, "ESRCH", "No such process"),
            e(4, "EINTR", "Interrupted system call"),
            e(5, "EIO", "Input/output error"),
            e(6, "ENXIO", "No such device or address"),
            e(7, "E2BIG", "Argument list too long"),
            e(9, "EBADF", "Bad file descriptor"),
            e(11, "EAGAIN", "Resource temporarily unavailable"),
            e(12, "ENOMEM", "Cannot allocate memory"),
            e(13, "EACCES", "Permission denied"),
            e(14, "EFAULT", "Bad address"),
            e(16, "EBUSY", "Device or resource busy"),
            e(17, "EEXIST", "File exists"),
            e(18, "EXDEV", "Invalid cross-device link"),
            e(19, "ENODEV", "No such device"),
            e(20, "ENOTDIR", "Not a directory"),
            e(22, "EINVAL", "Invalid argument"),
            e(23, "ENFILE", "Too many open files in system"),
            e(24, "EMFILE", "Too many open files"),
            e(25, "ENOTTY", "Inappropriate ioctl for device"),
            e(28, "ENOSPC", "No space left on device"),
            e(30, "EROFS", "Read-only file system"),
            e(31, "EMLINK", "Too many links"),
            e(34, "ERANGE", "Numerical result out of range"),
            e(36, "ENAMETOOLONG", "File name too long"),
            e(38, "ENOSYS", "Function not implemented"),
            e(39, "ENOTEMPTY", "Directory not empty"),
            e(61, "ENODATA", "No data available"),
            e(67, "ENOLINK", "Link has been severed"),
            e(71, "EPROTO", "Protocol error"),
            e(90, "EMSGSIZE", "Message too long"),
            e(93, "EPROTONOSUPPORT", "Protocol not supported"),
            e(95, "EOPNOTSUPP", "Operation not supported"),
            e(97, "EAFNOSUPPORT", "Address family not supported by protocol"),
            e(98, "EADDRINUSE", "Address already in use"),
            e(99, "EADDRNOTAVAIL", "Cannot assign requested address"),
            e(100, "ENETDOWN", "Network is down"),
            e(101, "ENETUNREACH", "Network is unreachable"),
            e(105, "ENOBUFS", "No buffer space available"),
            e(110, "ETIMEDOUT", "Connection timed out"),
            e(113, "EHOSTUNREACH", "No route to host"),
            e(114, "EALREADY", "Operation already in progress"));

    private Errno() {}

    private static Map.Entry<Integer, Entry> e(int code, String name, String description) {
        return Map.entry(code, new Entry(name, description));
    }

    /** {@code EEXIST} for 17; {@code errno 250} for codes outside the table. */
    public static String name(int errno) {
        Entry entry = TABLE.get(errno);
        return entry != null ? entry.name : "errno " + errno;
    }

    /** {@code File exists (EEXIST)}. */
    public static String describe(int errno) {
        Entry entry = TABLE.get(errno);
        return entry != null ? entry.description + " (" + entry.name + ")" : "Unknown error " + errno;
    }
}
