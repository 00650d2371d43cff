package dev.sluice.scheduler;

import dev.sluice.scheduler.SchedulerException.ModuleRejected;
import dev.sluice.scheduler.SchedulerException.ModuleRejected.Reason;

/**
 * A structural walk over a module binary that runs before Chicory's parser and allocates nothing in proportion to
 * what the binary claims. Chicory sizes arrays from declared counts before reading the bytes behind them (a
 * 15-byte type section claiming 2^31 parameters, a data segment claiming 2 GiB, an element segment claiming 2^31
 * entries each throw {@link OutOfMemoryError}), and materializes every declared local (a few KiB of binary can
 * declare 10^8 locals). So every count is checked here against the bytes that remain and against the sandbox's
 * {@link Limits}, and only then does the real parser see the module.
 *
 * <p>It only reads what it must to find the counts: instructions in function bodies are skipped by the body's size,
 * and constant expressions are skipped knowing only the constant instructions. Anything it cannot walk is
 * malformed (or uses a proposal the fuel instrumenter rejects anyway). Stateless; thread-safe.
 */
final class ModuleScan {
    /**
     * The sandbox's structural caps, each enforced at deploy (see docs/sandbox.md for why each value).
     *
     * @param maxFunctions         imported plus defined functions
     * @param maxLocals            declared locals of one function (parameters not included): wasmparser's limit
     * @param maxModuleLocals      declared locals of all functions together (Chicory's parser keeps one entry per
     *                             declared local)
     * @param maxParams            parameters, and separately results, of one function type
     * @param maxTypes             type definitions
     * @param maxTableElements     initial elements of all tables together; also the ceiling of table.grow
     * @param maxElements          element-segment entries, all segments together
     * @param maxDataSegments      data segments (and the data count)
     * @param maxGlobals           defined globals
     * @param maxImports           imports
     * @param maxExports           exports
     */
    record Limits(int maxFunctions, int maxLocals, long maxModuleLocals, int maxParams, int maxTypes,
                  long maxTableElements, long maxElements, int maxDataSegments, int maxGlobals, int maxImports,
                  int maxExports) {
        static final Limits DEFAULT = new Limits(50_000, 50_000, 1_000_000, 1_000, 50_000, 100_000, 100_000,
                100_000, 100_000, 1_000, 100_000);
    }

    private static final byte[] HEADER = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};

    private final Limits limits;

    ModuleScan(Limits limits) {
        this.limits = limits;
    }

    /** @throws ModuleRejected MALFORMED when the structure is broken, TOO_COMPLEX or TOO_MUCH_MEMORY over a cap */
    void check(byte[] bytes) {
        new Walk(bytes, limits).module();
    }

    /** One pass over one binary; all counters are per walk. */
    private static final class Walk {
        private final byte[] bytes;
        private final Limits limits;
        private int pos;
        private int end;
        private long functions;
        private long tableElements;
        private long elements;
        private long moduleLocals;
        private int memories;

        Walk(byte[] bytes, Limits limits) {
            this.bytes = bytes;
            this.limits = limits;
            this.end = bytes.length;
        }

        void module() {
            for (byte b : HEADER) {
                if (pos >= end || bytes[pos++] != b) {
                    throw malformed("not a WebAssembly 1.0 binary (bad magic number or version)");
                }
            }
            while (pos < bytes.length) {
                int id = u8();
                long size = u32();
                if (size > bytes.length - pos) {
                    throw malformed("section " + id + " claims " + size + " bytes but only " + (bytes.length - pos)
                            + " remain");
                }
                end = pos + (int) size;
                section(id);
                pos = end; // sizes are authoritative; Chicory checks that each section's content fills it exactly
                end = bytes.length;
            }
        }

        private void section(int id) {
            switch (id) {
                case 1 -> types();
                case 2 -> imports();
                case 3 -> addFunctions(count("functions", limits.maxFunctions()));
                case 4 -> tables();
                case 5 -> addMemories(count("memories", 1));
                case 6 -> count("globals", limits.maxGlobals());
                case 7 -> count("exports", limits.maxExports());
                case 9 -> elementSegments();
                case 10 -> code();
                case 11 -> data();
                case 12 -> {
                    long count = u32();
                    if (count > limits.maxDataSegments()) {
                        throw tooComplex("data count " + count + " exceeds the limit of " + limits.maxDataSegments()
                                + " data segments");
                    }
                }
                default -> { } // custom, start, tag or unknown ids: nothing to bound; Chicory judges the id
            }
        }

        private void types() {
            long count = count("types", limits.maxTypes());
            long defined = 0;
            for (long i = 0; i < count; i++) {
                int form = u8();
                long group = 1;
                if (form == 0x4e) { // rec group
                    group = vector("types in a recursion group");
                    for (long j = 0; j < group; j++) {
                        subType(u8());
                    }
                } else {
                    subType(form);
                }
                defined += group;
                if (defined > limits.maxTypes()) {
                    throw tooComplex("more than " + limits.maxTypes() + " types");
                }
            }
        }

        private void subType(int form) {
            if (form == 0x50 || form == 0x4f) {
                long supers = vector("supertypes");
                for (long i = 0; i < supers; i++) {
                    u32();
                }
                form = u8();
            }
            switch (form) {
                case 0x60 -> {
                    long params = vector("parameters");
                    if (params > limits.maxParams()) {
                        throw tooComplex("a function type has " + params + " parameters (limit: "
                                + limits.maxParams() + ")");
                    }
                    skipValTypes(params);
                    long results = vector("results");
                    if (results > limits.maxParams()) {
                        throw tooComplex("a function type has " + results + " results (limit: "
                                + limits.maxParams() + ")");
                    }
                    skipValTypes(results);
                }
                case 0x5e -> fieldType();
                case 0x5f -> {
                    long fields = vector("struct fields");
                    for (long i = 0; i < fields; i++) {
                        fieldType();
                    }
                }
                default -> throw malformed(String.format("unknown type form 0x%02x", form));
            }
        }

        private void fieldType() {
            valType();
            u8();
        }

        private void imports() {
            long count = count("imports", limits.maxImports());
            for (long i = 0; i < count; i++) {
                skip(vector("bytes of a name"));
                skip(vector("bytes of a name"));
                int kind = u8();
                switch (kind) {
                    case 0x00 -> {
                        u32();
                        addFunctions(1);
                    }
                    case 0x01 -> {
                        valType();
                        tableLimits();
                    }
                    case 0x02 -> {
                        limitsSkip();
                        addMemories(1);
                    }
                    case 0x03 -> {
                        valType();
                        u8();
                    }
                    case 0x04 -> {
                        u8();
                        u32();
                    }
                    default -> throw malformed(String.format("unknown import kind 0x%02x", kind));
                }
            }
        }

        private void tables() {
            long count = vector("tables");
            for (long i = 0; i < count; i++) {
                int first = u8();
                if (first == 0x40) { // table with an initializer expression
                    u8();
                    valType();
                    tableLimits();
                    constExpr();
                } else {
                    valTypeFrom(first);
                    tableLimits();
                }
            }
        }

        private void tableLimits() {
            int flags = u8();
            long min = leb64();
            if ((flags & 1) != 0) {
                leb64();
            }
            tableElements += min;
            if (min < 0 || tableElements > limits.maxTableElements()) {
                throw new ModuleRejected(Reason.TOO_MUCH_MEMORY, "tables declare " + Long.toUnsignedString(min)
                        + " initial elements (limit: " + limits.maxTableElements() + " elements in all tables)");
            }
        }

        private void limitsSkip() {
            int flags = u8();
            leb64();
            if ((flags & 1) != 0) {
                leb64();
            }
        }

        private void elementSegments() {
            long count = vector("element segments");
            for (long i = 0; i < count; i++) {
                long flags = u32();
                if (flags > 7) {
                    throw malformed("unknown element segment flags " + flags);
                }
                boolean active = (flags & 1) == 0;
                boolean explicitTable = (flags & 2) != 0;
                boolean expressions = (flags & 4) != 0;
                if (active && explicitTable) {
                    u32();
                }
                if (active) {
                    constExpr();
                }
                if (!active || explicitTable) {
                    if (expressions) {
                        valType();
                    } else {
                        u8(); // element kind
                    }
                }
                long n = vector("elements");
                elements += n;
                if (elements > limits.maxElements()) {
                    throw tooComplex("element segments hold more than " + limits.maxElements() + " elements");
                }
                for (long j = 0; j < n; j++) {
                    if (expressions) {
                        constExpr();
                    } else {
                        u32();
                    }
                }
            }
        }

        private void code() {
            long bodies = count("function bodies", limits.maxFunctions());
            for (long i = 0; i < bodies; i++) {
                long size = vector("bytes of a function body");
                int bodyEnd = pos + (int) size;
                int sectionEnd = end;
                end = bodyEnd;
                long groups = vector("local declarations");
                long locals = 0;
                for (long j = 0; j < groups; j++) {
                    long declared = u32();
                    locals += declared;
                    moduleLocals += declared;
                    if (locals > limits.maxLocals()) {
                        throw tooComplex("function " + (functions - bodies + i) + " declares more than "
                                + limits.maxLocals() + " locals");
                    }
                    if (moduleLocals > limits.maxModuleLocals()) {
                        throw tooComplex("functions declare more than " + limits.maxModuleLocals()
                                + " locals in all");
                    }
                    valType();
                }
                end = sectionEnd;
                pos = bodyEnd;
            }
        }

        private void data() {
            long count = count("data segments", limits.maxDataSegments());
            for (long i = 0; i < count; i++) {
                long mode = u32();
                if (mode == 2) {
                    u32();
                }
                if (mode == 0 || mode == 2) {
                    constExpr();
                } else if (mode != 1) {
                    throw malformed("unknown data segment mode " + mode);
                }
                skip(vector("bytes of a data segment"));
            }
        }

        /** Skips a constant expression through its {@code end}, knowing only the constant instructions. */
        private void constExpr() {
            while (true) {
                int op = u8();
                switch (op) {
                    case 0x0b -> {
                        return;
                    }
                    case 0x41, 0x42, 0xd0 -> leb64(); // i32.const, i64.const, ref.null heap type
                    case 0x43 -> skip(4);
                    case 0x44 -> skip(8);
                    case 0x23, 0xd2 -> u32(); // global.get, ref.func
                    case 0x6a, 0x6b, 0x6c, 0x7c, 0x7d, 0x7e -> { } // extended constant arithmetic
                    case 0xfd -> {
                        if (u32() != 12) {
                            throw malformed("unsupported instruction in a constant expression");
                        }
                        skip(16); // v128.const
                    }
                    default -> throw malformed(String.format(
                            "unsupported instruction 0x%02x in a constant expression", op));
                }
            }
        }

        private void skipValTypes(long n) {
            for (long i = 0; i < n; i++) {
                valType();
            }
        }

        private void valType() {
            valTypeFrom(u8());
        }

        private void valTypeFrom(int first) {
            if (first == 0x63 || first == 0x64) { // (ref null ht), (ref ht): a heap type follows
                leb64();
            }
        }

        private void addFunctions(long n) {
            functions += n;
            if (functions > limits.maxFunctions()) {
                throw tooComplex("module has more than " + limits.maxFunctions() + " functions");
            }
        }

        private void addMemories(long n) {
            memories += (int) Math.min(n, 2);
            if (memories > 1) {
                throw new ModuleRejected(Reason.TOO_MUCH_MEMORY, "module has more than one memory");
            }
        }

        /** A vector length that must also fit in what remains (every element takes at least one byte). */
        private long vector(String what) {
            long n = u32();
            if (n > end - pos) {
                throw malformed("declares " + n + " " + what + " but only " + (end - pos) + " bytes remain");
            }
            return n;
        }

        /** A section's item count, capped. */
        private long count(String what, long max) {
            long n = vector(what);
            if (n > max) {
                throw tooComplex("module has " + n + " " + what + " (limit: " + max + ")");
            }
            return n;
        }

        private int u8() {
            if (pos >= end) {
                throw malformed("unexpected end of section or function");
            }
            return bytes[pos++] & 0xff;
        }

        /** An unsigned LEB128 of at most 5 bytes (a u32). */
        private long u32() {
            long value = 0;
            for (int shift = 0; shift < 35; shift += 7) {
                int b = u8();
                value |= (long) (b & 0x7f) << shift;
                if ((b & 0x80) == 0) {
                    if (value > 0xFFFF_FFFFL) {
                        throw malformed("integer too large");
                    }
                    return value;
                }
            }
            throw malformed("integer representation too long");
        }

        /** Any LEB128 of at most 10 bytes; the value is only meaningful when it fits in 63 bits. */
        private long leb64() {
            long value = 0;
            for (int shift = 0; shift < 70; shift += 7) {
                int b = u8();
                if (shift < 63) {
                    value |= (long) (b & 0x7f) << shift;
                } else if ((b & 0x7f) != 0) {
                    value = -1; // beyond 63 bits: callers treat negative as over every cap
                }
                if ((b & 0x80) == 0) {
                    return value;
                }
            }
            throw malformed("integer representation too long");
        }

        private void skip(long n) {
            if (n > end - pos) {
                throw malformed("unexpected end of section or function");
            }
            pos += (int) n;
        }

        private static ModuleRejected malformed(String message) {
            return new ModuleRejected(Reason.MALFORMED, "not a valid WebAssembly module: " + message);
        }

        private static ModuleRejected tooComplex(String message) {
            return new ModuleRejected(Reason.TOO_COMPLEX, message);
        }
    }
}
