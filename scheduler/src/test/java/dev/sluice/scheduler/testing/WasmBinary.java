package dev.sluice.scheduler.testing;

import java.io.ByteArrayOutputStream;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes WebAssembly binaries byte by byte, for modules no text-format tool will produce: counts that promise more
 * than the bytes hold, billions of locals, millions of table elements. Sections are emitted in the order the binary
 * format requires whatever order they were added in; each section's content is raw bytes, built with {@link #leb},
 * {@link #bytes} and {@link #name}. Not thread-safe; one builder per module.
 */
public final class WasmBinary {
    public static final int TYPE = 1;
    public static final int IMPORT = 2;
    public static final int FUNCTION = 3;
    public static final int TABLE = 4;
    public static final int MEMORY = 5;
    public static final int GLOBAL = 6;
    public static final int EXPORT = 7;
    public static final int START = 8;
    public static final int ELEMENT = 9;
    public static final int CODE = 10;
    public static final int DATA = 11;
    public static final int DATA_COUNT = 12;

    /** The binary format's section order (data count sits between element and code). */
    private static final int[] ORDER = {TYPE, IMPORT, FUNCTION, TABLE, MEMORY, GLOBAL, EXPORT, START, ELEMENT,
            DATA_COUNT, CODE, DATA};

    private final Map<Integer, byte[]> sections = new TreeMap<>();

    private WasmBinary() {}

    public static WasmBinary module() {
        return new WasmBinary();
    }

    /**
     * A command with one function, {@code _start} of type {@code () -> ()}, exported, with the given raw body
     * (local declarations, code, final {@code end}).
     */
    public static WasmBinary command(byte[] startBody) {
        return module()
                .section(TYPE, bytes(leb(1), bytes(0x60, 0, 0)))
                .section(FUNCTION, bytes(leb(1), leb(0)))
                .section(EXPORT, bytes(leb(1), name("_start"), bytes(0x00), leb(0)))
                .section(CODE, bytes(leb(1), leb(startBody.length), startBody));
    }

    /** An empty {@code _start} body: no locals, {@code end}. */
    public static byte[] emptyBody() {
        return bytes(0x00, 0x0b);
    }

    public WasmBinary section(int id, byte[] content) {
        sections.put(id, content);
        return this;
    }

    public byte[] build() {
        var out = new ByteArrayOutputStream();
        out.writeBytes(bytes(0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00));
        for (int id : ORDER) {
            byte[] content = sections.get(id);
            if (content != null) {
                out.write(id);
                out.writeBytes(leb(content.length));
                out.writeBytes(content);
            }
        }
        return out.toByteArray();
    }

    /** Unsigned LEB128 of {@code value} (treated as unsigned 64-bit). */
    public static byte[] leb(long value) {
        var out = new ByteArrayOutputStream();
        do {
            int b = (int) (value & 0x7f);
            value >>>= 7;
            out.write(value == 0 ? b : b | 0x80);
        } while (value != 0);
        return out.toByteArray();
    }

    /** Signed LEB128, as {@code i32.const} and {@code i64.const} immediates are encoded. */
    public static byte[] sleb(long value) {
        var out = new ByteArrayOutputStream();
        while (true) {
            int b = (int) (value & 0x7f);
            value >>= 7;
            boolean done = (value == 0 && (b & 0x40) == 0) || (value == -1 && (b & 0x40) != 0);
            out.write(done ? b : b | 0x80);
            if (done) {
                return out.toByteArray();
            }
        }
    }

    /** A name: its UTF-8 length, then the bytes. */
    public static byte[] name(String text) {
        byte[] utf8 = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return bytes(leb(utf8.length), utf8);
    }

    /** Concatenation; each part is a {@code byte[]} or an {@code Integer} byte value. */
    public static byte[] bytes(Object... parts) {
        var out = new ByteArrayOutputStream();
        for (Object part : parts) {
            if (part instanceof byte[] b) {
                out.writeBytes(b);
            } else if (part instanceof Integer i) {
                out.write(i);
            } else {
                throw new IllegalArgumentException("not a byte or byte[]: " + part);
            }
        }
        return out.toByteArray();
    }

    /** {@code count} copies of {@code part}. */
    public static byte[] repeat(byte[] part, int count) {
        var out = new ByteArrayOutputStream(part.length * count);
        for (int i = 0; i < count; i++) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }
}
