package dev.sluice.gateway;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Tar archives built byte by byte, so a test can write what no well-behaved tar tool would: links, devices, names
 * escaping the root, sizes the body does not have. ustar headers; a name that does not fit gets a pax header.
 */
final class TestTars {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private long mtime = 1_700_000_000L;

    static TestTars create() {
        return new TestTars();
    }

    /** Later entries carry this modification time (the stored digest must not depend on it). */
    TestTars mtime(long seconds) {
        this.mtime = seconds;
        return this;
    }

    TestTars file(String name, String content) {
        byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
        return entry(name, '0', bytes.length, bytes, "");
    }

    TestTars dir(String name) {
        return entry(name, '5', 0, new byte[0], "");
    }

    /** An entry of any type flag ('1' hard link, '2' symlink, '3' char device, '6' fifo, ...). */
    TestTars special(String name, char type, String link) {
        return entry(name, type, 0, new byte[0], link);
    }

    /** A file header that declares {@code size} bytes followed by only {@code data}. */
    TestTars declared(String name, long size, byte[] data) {
        header(name, '0', size, "");
        out.writeBytes(data);
        return this;
    }

    TestTars entry(String name, char type, long size, byte[] data, String link) {
        byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
        if (nameBytes.length > 100) {
            String record = " path=" + name + "\n";
            int length = record.getBytes(StandardCharsets.UTF_8).length;
            int total = length + Integer.toString(length).length();
            total = length + Integer.toString(total).length();
            byte[] pax = (total + record).getBytes(StandardCharsets.UTF_8);
            header("PaxHeaders/x", 'x', pax.length, "");
            out.writeBytes(pax);
            pad(pax.length);
            header("placeholder", type, size, link);
        } else {
            header(name, type, size, link);
        }
        out.writeBytes(data);
        pad(data.length);
        return this;
    }

    private void header(String name, char type, long size, String link) {
        byte[] h = new byte[512];
        put(h, 0, 100, name.getBytes(StandardCharsets.UTF_8));
        put(h, 100, 8, octal(type == '5' ? 0755 : 0644, 7));
        put(h, 108, 8, octal(0, 7));
        put(h, 116, 8, octal(0, 7));
        put(h, 124, 12, octal(size, 11));
        put(h, 136, 12, octal(mtime, 11));
        java.util.Arrays.fill(h, 148, 156, (byte) ' ');
        h[156] = (byte) type;
        put(h, 157, 100, link.getBytes(StandardCharsets.UTF_8));
        put(h, 257, 6, "ustar\0".getBytes(StandardCharsets.US_ASCII));
        put(h, 263, 2, "00".getBytes(StandardCharsets.US_ASCII));
        long sum = 0;
        for (byte b : h) {
            sum += b & 0xff;
        }
        put(h, 148, 8, (String.format("%06o", sum) + "\0 ").getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(h);
    }

    private static byte[] octal(long value, int digits) {
        return String.format("%0" + digits + "o", value).getBytes(StandardCharsets.US_ASCII);
    }

    private static void put(byte[] h, int offset, int length, byte[] value) {
        System.arraycopy(value, 0, h, offset, Math.min(length, value.length));
    }

    private void pad(long length) {
        int rest = (int) (length % 512);
        if (rest != 0) {
            out.writeBytes(new byte[512 - rest]);
        }
    }

    /** The archive with its two zero end blocks. */
    byte[] bytes() {
        ByteArrayOutputStream copy = new ByteArrayOutputStream();
        copy.writeBytes(out.toByteArray());
        copy.writeBytes(new byte[1024]);
        return copy.toByteArray();
    }

    /** The archive as written so far, without end blocks (a truncated upload). */
    byte[] unfinished() {
        return out.toByteArray();
    }
}
