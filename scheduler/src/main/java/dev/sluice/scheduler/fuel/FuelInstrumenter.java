package dev.sluice.scheduler.fuel;

import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.FunctionImport;
import dev.sluice.scheduler.SchedulerException.ModuleRejected;
import dev.sluice.scheduler.SchedulerException.ModuleRejected.Reason;
import java.util.Arrays;

/**
 * Rewrites a module so that it meters its own work: it gets one more global, a mutable i64 fuel counter exported
 * as {@value #EXPORT_NAME}, which the host sets to the budget before anything runs and reads afterwards. The code
 * charges each basic block's cost ({@link FuelCosts}) when the block starts, and traps with {@code unreachable} at
 * function entry and at every loop header once the counter is negative. A run is therefore out of fuel exactly when
 * the total cost of what it executed exceeds its budget, wherever the checks happen to be: fuel is deterministic.
 *
 * <p>Every function charges the global directly, so on the interpreter the counter holds the cost of every block
 * entered so far, also after a trap. Compiled code keeps it in a JVM local instead ({@link MeteredCompiler}, Sluice's
 * fork of Chicory's compiler), stored back whenever anything else can see it, so it is exact there too.
 *
 * <p>The rewrite splices bytes instead of re-encoding the module: every section is copied verbatim except the
 * global section (one global appended, so no existing index changes), the export section (one export appended)
 * and the code section (charges inserted; one scratch i32 local appended to functions with dynamic costs, and one
 * i32 to functions charging their frame, so no existing local index changes; sizes recomputed). It is one linear
 * pass over the code, two for functions that charge their frame. Inserted code only adds a branch-free {@code if} around an
 * {@code unreachable}, so every existing branch's label depth still names the same block.
 *
 * <p>Basic blocks start at function entry and after {@code loop}, {@code if}, {@code else}, every {@code end} but
 * the function's last, {@code br_if}, {@code br_table}, and after {@code br}, {@code return}, {@code unreachable}
 * and the tail calls (what follows them is dead until the next {@code end} or {@code else}, so it is not charged
 * to the code before them). Dynamic costs (bytes copied, pages grown) are charged just before their instruction,
 * from a copy of the operand kept in the scratch local, followed by a check.
 *
 * <p>It also bounds what a call stack can cost the host ({@value #STACK_EXPORT_NAME}, see docs/sandbox.md): one more
 * mutable i32 global holds the invocation's stack budget in slots, initialised to {@link #STACK_BUDGET_SLOTS} by the
 * module itself (each invocation has a fresh instance). A function that calls anything charges its frame's
 * {@linkplain Body#frameSlots size} at entry (unless the frame is {@linkplain #UNCHARGED_FRAME_VALUES small}) (parameters, locals, the most operands it can hold, a slot per block
 * nesting level (four slots each) and a fixed overhead), saves the lowered budget in an i32 local appended to its locals, and gives
 * the frame back on every way out (before {@code return}, its final {@code end}, a branch to its own label, a tail
 * call; around a {@code br_if} to its own label it gives back before and charges again after, and a {@code br_table}
 * that may leave gives back only when the index selects the function's label). Functions that call nothing are not
 * charged: only the innermost frame can be one. When the budget goes negative the function calls an appended
 * function that calls itself until the JVM's stack overflows, which the runtime reports as "call stack exhausted",
 * the way a guest recursing past the worker's thread stack ends. Inserted code is never charged fuel.
 *
 * <p>Supports the MVP plus sign extension, saturating conversions, bulk memory, reference types (funcref and
 * externref), multi-value and tail calls; anything else (SIMD, threads, exceptions, GC, memory64) is rejected.
 * Stateless; thread-safe.
 */
public final class FuelInstrumenter {
    /** The export under which the counter is visible; a module that exports this name itself is rejected. */
    public static final String EXPORT_NAME = "sluice_fuel";

    /**
     * Version of the rewrite's output (2: functions with loops keep the counter in a local; 3: the stack budget;
     * 4: large frames charged at entry; 5: every function charges the global directly again, the compiler keeping
     * it in a JVM local). Bump it whenever the same input can produce different bytes: compiled modules
     * cached on disk are keyed by it (see {@code CompiledCache}).
     */
    public static final int VERSION = 5;

    /** The export under which the stack budget is visible; a module that exports this name itself is rejected. */
    public static final String STACK_EXPORT_NAME = "sluice_stack";

    /**
     * Frame slots one invocation's call stack may hold: 2^20. A slot is one parameter, local or operand, which costs
     * Chicory's interpreter at most 16 bytes of heap, so a call stack holds at most ~16 MiB (plus the operand stack's
     * doubling array) however the frames are shaped. Real programs need far less: a recursive descent of 10 000
     * frames of 100 slots uses a tenth of it.
     */
    public static final int STACK_BUDGET_SLOTS = 1 << 20;

    /**
     * Frames of at most this many values (parameters, locals, operands) are not charged: their number is bounded by
     * the worker's thread stack, since each interpreted call takes ~500 to 900 bytes of it (and a compiled one keeps
     * its values on that stack), so an 8 MiB stack holds at most ~17 000 of them, ~20 MiB of interpreter heap at 64
     * values. Charging them would cost every call three global accesses: measured, fib(30) ran 1.9x slower and
     * wat2wasm 12% slower with every calling frame charged.
     */
    public static final int UNCHARGED_FRAME_VALUES = 64;

    /** What a frame costs beyond its values: Chicory's frame objects and arrays, and the instrumentation's operands. */
    static final int FRAME_OVERHEAD_SLOTS = 32;

    /** What each level of block nesting costs a frame (the interpreter keeps a control frame per open block). */
    static final int SLOTS_PER_NESTING = 4;

    /**
     * The largest frame, in parameters, locals and operands, that may run as compiled code. A JVM frame is allocated
     * whole; one larger than the stack's guard zone (HotSpot's 20 shadow pages, 80 KiB on x86-64) can step past
     * the guard pages when the stack is nearly full, and the JVM dies of SIGSEGV instead of throwing
     * StackOverflowError (measured: recursion keeping 10 000 or 20 000 operands across its call crashed the JVM).
     * At 16 bytes per value at most (i64 and f64 take two JVM slots), 2 048 values stay under 32 KiB; larger
     * functions run on the interpreter, where values live on the heap, bounded by the stack budget.
     */
    public static final int MAX_COMPILED_FRAME_SLOTS = 2_048;

    /** Custom section listing the functions that must be interpreted ({@link #interpretedFunctions}). */
    static final String INTERPRETED_SECTION = "sluice.interpreted";

    /**
     * @param bytes              the instrumented module
     * @param fuelGlobal         index of the counter in the module's global index space
     * @param definedFuelGlobal  index of the counter among the globals the module defines (imports excluded)
     */
    public record Instrumented(byte[] bytes, int fuelGlobal, int definedFuelGlobal) {}

    private FuelInstrumenter() {}

    /** Parses (and so validates) {@code original}, then instruments it. */
    public static Instrumented instrument(byte[] original) {
        WasmModule module;
        try {
            module = Parser.parse(original);
        } catch (RuntimeException e) {
            throw malformed("not a valid WebAssembly module: " + e.getMessage());
        }
        return instrument(original, module);
    }

    /**
     * @param module {@code original} as parsed by Chicory, for the type information the rewrite needs
     * @throws ModuleRejected MALFORMED when the module uses something this rewrite does not support or already
     *                        exports {@value #EXPORT_NAME}
     */
    public static Instrumented instrument(byte[] original, WasmModule module) {
        var exports = module.exportSection();
        for (int i = 0; i < exports.exportCount(); i++) {
            if (exports.getExport(i).name().equals(EXPORT_NAME)) {
                throw malformed("module exports " + EXPORT_NAME + ", a name reserved for the runtime's fuel counter");
            }
            if (exports.getExport(i).name().equals(STACK_EXPORT_NAME)) {
                throw malformed("module exports " + STACK_EXPORT_NAME
                        + ", a name reserved for the runtime's stack budget");
            }
        }
        int importedGlobals = module.importSection().count(ExternalType.GLOBAL);
        int definedGlobals = module.globalSection().globalCount();
        int fuelGlobal = importedGlobals + definedGlobals;
        try {
            byte[] bytes = new Rewrite(original, module, fuelGlobal).run();
            return new Instrumented(bytes, fuelGlobal, definedGlobals);
        } catch (ArrayIndexOutOfBoundsException e) {
            throw malformed("module ends in the middle of a section");
        }
    }

    private static ModuleRejected malformed(String message) {
        return new ModuleRejected(Reason.MALFORMED, message);
    }

    /**
     * The functions of an instrumented module whose frames exceed {@link #MAX_COMPILED_FRAME_SLOTS}, which a
     * compiler must leave to the interpreter (Chicory's {@code withInterpretedFunctions}); read from the custom
     * section the rewrite appends. Empty for a module this class did not write.
     */
    public static java.util.Set<Integer> interpretedFunctions(WasmModule instrumented) {
        if (!(instrumented.customSection(INTERPRETED_SECTION)
                instanceof com.dylibso.chicory.wasm.types.UnknownCustomSection section)) {
            return java.util.Set.of();
        }
        byte[] b = section.bytes();
        var functions = new java.util.TreeSet<Integer>();
        int[] p = {0};
        long count = leb(b, p);
        for (long i = 0; i < count; i++) {
            functions.add((int) leb(b, p));
        }
        return java.util.Collections.unmodifiableSet(functions);
    }

    /**
     * The index of the fuel counter in the global index space of a module this class instrumented: the global it
     * exports as {@value #EXPORT_NAME}; empty for any other module.
     */
    public static java.util.OptionalInt fuelGlobal(WasmModule instrumented) {
        var exports = instrumented.exportSection();
        for (int i = 0; i < exports.exportCount(); i++) {
            var export = exports.getExport(i);
            if (export.name().equals(EXPORT_NAME) && export.exportType() == ExternalType.GLOBAL) {
                return java.util.OptionalInt.of(export.index());
            }
        }
        return java.util.OptionalInt.empty();
    }

    private static long leb(byte[] b, int[] p) {
        long value = 0;
        for (int shift = 0; shift < 35; shift += 7) {
            int x = b[p[0]++] & 0xFF;
            value |= (long) (x & 0x7F) << shift;
            if ((x & 0x80) == 0) {
                return value;
            }
        }
        throw new IllegalStateException("bad " + INTERPRETED_SECTION + " section");
    }

    private static final int TYPE_SECTION = 1;
    private static final int FUNCTION_SECTION = 3;
    private static final int GLOBAL_SECTION = 6;
    private static final int EXPORT_SECTION = 7;
    private static final int CODE_SECTION = 10;
    private static final int MEMORY_SECTION = 5;
    private static final int TABLE_SECTION = 4;

    /** Position of each section id in the required order (custom sections, id 0, may go anywhere). */
    private static int rank(int id) {
        return switch (id) {
            case 1, 2, 3, 4, 5 -> id;
            case 13 -> 6; // tag
            case 6 -> 7; // global
            case 7 -> 8; // export
            case 8 -> 9; // start
            case 9 -> 10; // element
            case 12 -> 11; // data count
            case 10 -> 12; // code
            case 11 -> 13; // data
            default -> throw malformed("unknown section id " + id);
        };
    }

    /** One rewrite: the input, the output under construction, and a read position. Confined to one call. */
    private static final class Rewrite {
        private final byte[] in;
        private final WasmModule module;
        private final int fuel;
        private final int stack;
        private final Out out;
        private int p;
        // Parameter and result counts of every type and of every function (imports first), for operand heights.
        private final int[] typeParams;
        private final int[] typeResults;
        private final int[] functionType;
        private final int importedFunctions;
        private final int definedFunctions;
        // The appended function that exhausts the JVM stack, and its type () -> () (an existing one, else appended).
        private final int overflow;
        private final int voidType;
        private final boolean appendVoidType;
        // Functions whose frames are too large to compile (see MAX_COMPILED_FRAME_SLOTS).
        private final Out interpreted = new Out(16);
        private int interpretedCount;

        Rewrite(byte[] in, WasmModule module, int fuel) {
            this.in = in;
            this.module = module;
            this.fuel = fuel;
            this.stack = fuel + 1;
            this.out = new Out(in.length + in.length / 2 + 64);
            var types = module.typeSection();
            int typeCount = types.subTypeCount();
            typeParams = new int[typeCount];
            typeResults = new int[typeCount];
            int found = -1;
            for (int t = 0; t < typeCount; t++) {
                var type = types.getType(t);
                if (type != null) {
                    typeParams[t] = type.params().size();
                    typeResults[t] = type.returns().size();
                    if (found < 0 && typeParams[t] == 0 && typeResults[t] == 0) {
                        found = t;
                    }
                }
            }
            appendVoidType = found < 0;
            voidType = found < 0 ? typeCount : found;
            importedFunctions = module.importSection().count(ExternalType.FUNCTION);
            definedFunctions = module.functionSection().functionCount();
            functionType = new int[importedFunctions + definedFunctions];
            int f = 0;
            for (int i = 0; i < module.importSection().importCount(); i++) {
                if (module.importSection().getImport(i) instanceof FunctionImport imported) {
                    functionType[f++] = imported.typeIndex();
                }
            }
            for (int i = 0; i < definedFunctions; i++) {
                functionType[f++] = module.functionSection().getFunctionType(i);
            }
            overflow = importedFunctions + definedFunctions;
        }

        /** Whether the module gets the overflow function (and so, possibly, a type): when it defines any function. */
        private boolean appendsOverflow() {
            return definedFunctions > 0;
        }

        private int params(int type) {
            return type >= 0 && type < typeParams.length ? typeParams[type] : 0;
        }

        private int results(int type) {
            return type >= 0 && type < typeResults.length ? typeResults[type] : 0;
        }

        byte[] run() {
            if (in.length < 8) {
                throw malformed("module is shorter than its header");
            }
            out.bytes(in, 0, 8);
            p = 8;
            boolean globalsDone = false;
            boolean exportsDone = false;
            while (p < in.length) {
                int sectionStart = p;
                int id = in[p++] & 0xFF;
                int size = u32();
                int start = p;
                int end = start + size;
                if (end > in.length || end < start) {
                    throw malformed("section " + id + " runs past the end of the module");
                }
                if (id != 0) {
                    int rank = rank(id);
                    if (!globalsDone && rank > rank(GLOBAL_SECTION)) {
                        section(GLOBAL_SECTION, newGlobals(null, 0, 0));
                        globalsDone = true;
                    }
                    if (!exportsDone && rank > rank(EXPORT_SECTION)) {
                        section(EXPORT_SECTION, newExports(null, 0, 0));
                        exportsDone = true;
                    }
                }
                switch (id) {
                    case TYPE_SECTION -> {
                        if (appendsOverflow() && appendVoidType) {
                            section(id, withOneMore(in, start, end, 3).u8(0x60).u8(0x00).u8(0x00));
                        } else {
                            out.bytes(in, sectionStart, end - sectionStart);
                        }
                    }
                    case FUNCTION_SECTION -> {
                        if (appendsOverflow()) {
                            section(id, withOneMore(in, start, end, 5).u32(voidType));
                        } else {
                            out.bytes(in, sectionStart, end - sectionStart);
                        }
                    }
                    case GLOBAL_SECTION -> {
                        section(id, newGlobals(in, start, end));
                        globalsDone = true;
                    }
                    case EXPORT_SECTION -> {
                        section(id, newExports(in, start, end));
                        exportsDone = true;
                    }
                    case CODE_SECTION -> section(id, code(end));
                    case 0 -> {
                        // A custom section of the module's own under our name would tell the compiler what to
                        // interpret: dropped, so only the rewrite's own counts.
                        if (!customNamed(INTERPRETED_SECTION, start, end)) {
                            out.bytes(in, sectionStart, end - sectionStart);
                        }
                    }
                    case MEMORY_SECTION, TABLE_SECTION -> {
                        rejectSixtyFourBit(id, end);
                        out.bytes(in, sectionStart, end - sectionStart);
                    }
                    default -> out.bytes(in, sectionStart, end - sectionStart);
                }
                p = end;
            }
            if (!globalsDone) {
                section(GLOBAL_SECTION, newGlobals(null, 0, 0));
            }
            if (!exportsDone) {
                section(EXPORT_SECTION, newExports(null, 0, 0));
            }
            if (interpretedCount > 0) {
                byte[] name = INTERPRETED_SECTION.getBytes(java.nio.charset.StandardCharsets.UTF_8);
                var custom = new Out(interpreted.size() + name.length + 8).u32(name.length).bytes(name, 0, name.length)
                        .u32(interpretedCount).bytes(interpreted.buf, 0, interpreted.size());
                section(0, custom);
            }
            return out.toArray();
        }

        private boolean customNamed(String name, int start, int end) {
            byte[] wanted = name.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            p = start;
            int length = u32();
            return length == wanted.length && p + length <= end
                    && Arrays.equals(in, p, p + length, wanted, 0, wanted.length);
        }

        private void section(int id, Out payload) {
            out.u8(id);
            out.u32(payload.size());
            out.bytes(payload.buf, 0, payload.size());
        }

        /**
         * The global section with the counter and the stack budget appended: {@code (global (mut i64) (i64.const
         * 0))} and {@code (global (mut i32) (i32.const STACK_BUDGET_SLOTS))}.
         */
        private Out newGlobals(byte[] section, int start, int end) {
            return withMore(section, start, end, 2, 20).u8(0x7E).u8(0x01).u8(0x42).u8(0x00).u8(0x0B)
                    .u8(0x7F).u8(0x01).u8(0x41).s64(STACK_BUDGET_SLOTS).u8(0x0B);
        }

        /** The export section with the counter and the stack budget exported under their names. */
        private Out newExports(byte[] section, int start, int end) {
            byte[] name = EXPORT_NAME.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            byte[] stackName = STACK_EXPORT_NAME.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            return withMore(section, start, end, 2, 48).u32(name.length).bytes(name, 0, name.length).u8(0x03)
                    .u32(fuel).u32(stackName.length).bytes(stackName, 0, stackName.length).u8(0x03).u32(stack);
        }

        /** A vector section (or a new one) with its count raised by one, ready for the new entry to be appended. */
        private Out withOneMore(byte[] section, int start, int end, int extra) {
            return withMore(section, start, end, 1, extra);
        }

        /** A vector section (or a new one) with its count raised by {@code more}, ready for the new entries. */
        private Out withMore(byte[] section, int start, int end, int more, int extra) {
            var s = new Out(end - start + extra);
            int count = 0;
            int rest = start;
            if (section != null) {
                p = start;
                count = u32();
                rest = p;
            }
            s.u32(count + more);
            s.bytes(in, rest, end - rest);
            return s;
        }

        private void rejectSixtyFourBit(int id, int end) {
            int save = p;
            int count = u32();
            for (int i = 0; i < count; i++) {
                if (id == TABLE_SECTION) {
                    int type = in[p++] & 0xFF;
                    if (type != 0x70 && type != 0x6F) {
                        throw malformed("unsupported table type 0x" + Integer.toHexString(type));
                    }
                }
                int flags = in[p++] & 0xFF;
                if ((flags & 0x04) != 0 || flags > 0x07) {
                    throw malformed("64-bit " + (id == TABLE_SECTION ? "tables" : "memories") + " are not supported");
                }
                skipLeb();
                if ((flags & 0x01) != 0) {
                    skipLeb();
                }
            }
            if (p != end) {
                p = save; // tables with initializer expressions and such: leave it to the parser's judgement
            }
        }

        private Out code(int end) {
            int count = u32();
            var s = new Out(end - p + count * 48 + 16);
            s.u32(count + (appendsOverflow() && count > 0 ? 1 : 0));
            for (int i = 0; i < count; i++) {
                int size = u32();
                int bodyEnd = p + size;
                int function = importedFunctions + i;
                int params = params(functionType[function]);
                int bodyStart = p;
                // The first pass learns what the function needs: a call from a frame of more than
                // UNCHARGED_FRAME_VALUES (stack accounting, whose frame size is the first pass's count of locals and
                // operands).
                var direct = new Body(params, bodyEnd, function, -1);
                Out body = direct.run();
                if (direct.localCount + 4 + direct.maxHeight > MAX_COMPILED_FRAME_SLOTS) {
                    interpreted.u32(function);
                    interpretedCount++;
                }
                boolean charged = direct.sawCall && direct.localCount + direct.maxHeight > UNCHARGED_FRAME_VALUES;
                if (charged) {
                    p = bodyStart;
                    body = new Body(params, bodyEnd, function, direct.frameSlots()).run();
                }
                s.u32(body.size());
                s.bytes(body.buf, 0, body.size());
                p = bodyEnd;
            }
            if (p != end) {
                throw malformed("code section has trailing bytes");
            }
            if (appendsOverflow() && count > 0) {
                // (func $overflow call $overflow): recursion the JVM ends with a StackOverflowError
                var overflowBody = new Out(8).u8(0x00).u8(0x10).u32(overflow).u8(0x0B);
                s.u32(overflowBody.size());
                s.bytes(overflowBody.buf, 0, overflowBody.size());
            }
            return s;
        }

        /** One function body: its locals, then its instructions split into basic blocks, each charged to the global. */
        private final class Body {
            private final int bodyEnd;
            private final int function;
            private final Out code;
            /** The frame's size in slots when it is charged to the stack budget (the function calls), else -1. */
            private final int frame;
            private boolean sawCall;
            private long localCount;
            // In charged functions, the i32 local holding the budget left after this frame's charge.
            private int budgetLeft = -1;
            // Operand heights: now, the most, and per open block (index = nesting depth) the height below its
            // parameters, its parameter count and its result count. Unreachable code never lowers the height below
            // its block's base, so the most is an upper bound of what can be live.
            private int height;
            private int maxHeight;
            private int maxDepth;
            private int[] blockBase = new int[8];
            private int[] blockParams = new int[8];
            private int[] blockResults = new int[8];
            // The scratch i32 for dynamic costs (appended after the function's own locals, only when needed).
            private int scratch = -1;
            // The basic block being scanned: where its bytes start, its cost, whether it must check the counter,
            // and the points inside it where code is inserted (offset and what to insert, in order).
            private int blockStart;
            private long blockCost;
            private boolean blockChecks;
            private int[] insertAt = new int[4];
            private long[] insertWhat = new long[4];
            private int insertCount;

            Body(int params, int bodyEnd, int function, int frame) {
                this.bodyEnd = bodyEnd;
                this.function = function;
                this.frame = frame;
                this.localCount = params;
                this.code = new Out((bodyEnd - p) * 2 + 32);
            }

            /**
             * The frame's cost in slots after a pass: parameters and locals (with the two the instrumentation may
             * append besides the fuel copies), the most operands, the nesting, and {@link #FRAME_OVERHEAD_SLOTS}.
             */
            int frameSlots() {
                long slots = localCount + 4 + (long) maxHeight + (long) SLOTS_PER_NESTING * (maxDepth + 1)
                        + FRAME_OVERHEAD_SLOTS;
                return (int) Math.min(slots, STACK_BUDGET_SLOTS + 1L);
            }

            Out run() {
                int localsStart = p;
                int groups = u32();
                int groupsStart = p;
                for (int g = 0; g < groups; g++) {
                    localCount += u32();
                    int type = in[p++] & 0xFF;
                    if (!isValueType(type)) {
                        throw unsupported("local type 0x" + Integer.toHexString(type));
                    }
                }
                int localsEnd = p;
                if (localCount >= Integer.MAX_VALUE - 3) {
                    throw malformed("function " + function + " declares too many locals");
                }
                int appended = (int) localCount;
                // Charged with the entry block: what the runtime spends setting up a large frame (FuelCosts).
                long frameCost = FuelCosts.frameCost(localCount);
                if (frame >= 0) {
                    budgetLeft = appended++;
                    // global.get $stack; i32.const frame; i32.sub; local.tee $left; global.set $stack;
                    // local.get $left; i32.const 0; i32.lt_s; if; call $overflow; end
                    code.u8(0x23).u32(stack).u8(0x41).s64(frame).u8(0x6B).u8(0x22).u32(budgetLeft)
                            .u8(0x24).u32(stack).u8(0x20).u32(budgetLeft).u8(0x41).u8(0x00).u8(0x48)
                            .u8(0x04).u8(0x40).u8(0x10).u32(overflow).u8(0x0B);
                }
                localCount = appended;
                instructions(frameCost);
                var body = new Out(code.size() + (localsEnd - localsStart) + 16);
                if (scratch < 0 && frame < 0) {
                    body.bytes(in, localsStart, localsEnd - localsStart);
                } else {
                    body.u32(groups + (frame >= 0 ? 1 : 0) + (scratch < 0 ? 0 : 1));
                    body.bytes(in, groupsStart, localsEnd - groupsStart);
                    if (frame >= 0) {
                        body.u32(1).u8(0x7F);
                    }
                    if (scratch >= 0) {
                        body.u32(1).u8(0x7F);
                    }
                }
                body.bytes(code.buf, 0, code.size());
                return body;
            }

            private void instructions(long frameCost) {
                int depth = 0;
                blockStart = p;
                blockChecks = true;
                blockCost = frameCost;
                while (true) {
                    if (p >= bodyEnd) {
                        throw malformed("function " + function + " does not end with end");
                    }
                    int at = p;
                    int op = in[p++] & 0xFF;
                    long cost = FuelCosts.INSTRUCTION;
                    boolean endsBlock = false;
                    switch (op) {
                        case 0x00 -> { // unreachable
                            endsBlock = true;
                            unreachable(depth);
                        }
                        case 0x0F -> { // return
                            insert(at, RELEASE);
                            endsBlock = true;
                            unreachable(depth);
                        }
                        case 0x01, 0xD1 -> { } // nop, ref.is_null
                        case 0x1A -> pop(1, depth); // drop
                        case 0x1B -> pop(2, depth); // select
                        case 0x02 -> { // block
                            long type = blockType();
                            depth++;
                            open(depth, type);
                            cost = FuelCosts.STRUCTURE;
                        }
                        case 0x03 -> { // loop
                            long type = blockType();
                            depth++;
                            open(depth, type);
                            cost = FuelCosts.STRUCTURE;
                            endsBlock = true;
                        }
                        case 0x04 -> { // if
                            long type = blockType();
                            pop(1, depth);
                            depth++;
                            open(depth, type);
                            endsBlock = true;
                        }
                        case 0x05 -> { // else
                            cost = FuelCosts.STRUCTURE;
                            endsBlock = true;
                            height = blockBase[depth] + blockParams[depth];
                        }
                        case 0x0B -> { // end
                            cost = FuelCosts.STRUCTURE;
                            if (depth == 0) {
                                insert(at, RELEASE);
                                blockCost += cost;
                                flush(p);
                                if (p != bodyEnd) {
                                    throw malformed("function " + function + " has bytes after its final end");
                                }
                                return;
                            }
                            height = blockBase[depth] + blockResults[depth];
                            depth--;
                            endsBlock = true;
                        }
                        case 0x0C -> { // br
                            if (u32() == depth) { // to the function's own label: it returns
                                insert(at, RELEASE);
                            }
                            endsBlock = true;
                            unreachable(depth);
                        }
                        case 0x0D -> { // br_if
                            pop(1, depth);
                            if (u32() == depth) { // to the function's own label: it may return
                                insert(at, RELEASE);
                                insert(p, RECHARGE);
                            }
                            endsBlock = true;
                        }
                        case 0x0E -> { // br_table
                            int n = u32();
                            boolean returns = false;
                            for (int i = 0; i <= n; i++) {
                                returns |= u32() == depth;
                            }
                            if (returns && frame >= 0) {
                                if (scratch < 0) {
                                    scratch = (int) localCount;
                                }
                                insert(at, RELEASE_IF_RETURNING - depth);
                            }
                            endsBlock = true;
                            unreachable(depth);
                        }
                        case 0x10 -> { // call
                            int callee = u32();
                            sawCall = true;
                            cost = FuelCosts.CALL;
                            call(callee >= 0 && callee < functionType.length ? functionType[callee] : -1, depth);
                        }
                        case 0x11 -> { // call_indirect
                            int type = u32();
                            u32();
                            sawCall = true;
                            cost = FuelCosts.CALL;
                            pop(1, depth);
                            call(type, depth);
                        }
                        case 0x12 -> { // return_call
                            u32();
                            cost = FuelCosts.CALL;
                            insert(at, RELEASE);
                            endsBlock = true;
                            unreachable(depth);
                        }
                        case 0x13 -> { // return_call_indirect
                            u32();
                            u32();
                            cost = FuelCosts.CALL;
                            insert(at, RELEASE);
                            endsBlock = true;
                            unreachable(depth);
                        }
                        case 0x1C -> { // select t*
                            int n = u32();
                            for (int i = 0; i < n; i++) {
                                int type = in[p++] & 0xFF;
                                if (!isValueType(type)) {
                                    throw unsupported("select type 0x" + Integer.toHexString(type));
                                }
                            }
                            pop(2, depth);
                        }
                        case 0x20, 0x23, 0x3F, 0xD2 -> { // local.get, global.get, memory.size, ref.func
                            u32();
                            push(1);
                        }
                        case 0x21, 0x24 -> { // local.set, global.set
                            u32();
                            pop(1, depth);
                        }
                        case 0x22, 0x25 -> u32(); // local.tee, table.get
                        case 0x26 -> { // table.set
                            u32();
                            pop(2, depth);
                        }
                        case 0x40 -> { // memory.grow
                            u32();
                            dynamic(at, FuelCosts.PER_PAGE_GROWN);
                        }
                        case 0x41, 0x42 -> { // i32.const, i64.const
                            skipLeb();
                            push(1);
                        }
                        case 0x43 -> { // f32.const
                            p += 4;
                            push(1);
                        }
                        case 0x44 -> { // f64.const
                            p += 8;
                            push(1);
                        }
                        case 0xD0 -> { // ref.null
                            int type = in[p++] & 0xFF;
                            if (type != 0x70 && type != 0x6F) {
                                throw unsupported("ref.null heap type 0x" + Integer.toHexString(type));
                            }
                            push(1);
                        }
                        case 0xFC -> {
                            int sub = u32();
                            switch (sub) {
                                case 0, 1, 2, 3, 4, 5, 6, 7 -> { } // saturating truncation
                                case 8 -> { // memory.init
                                    u32();
                                    u32();
                                    dynamic(at, FuelCosts.PER_BYTE);
                                    pop(3, depth);
                                }
                                case 9, 13 -> u32(); // data.drop, elem.drop
                                case 16 -> { // table.size
                                    u32();
                                    push(1);
                                }
                                case 10 -> { // memory.copy
                                    u32();
                                    u32();
                                    dynamic(at, FuelCosts.PER_BYTE);
                                    pop(3, depth);
                                }
                                case 11 -> { // memory.fill
                                    u32();
                                    dynamic(at, FuelCosts.PER_BYTE);
                                    pop(3, depth);
                                }
                                case 12, 14 -> { // table.init, table.copy
                                    u32();
                                    u32();
                                    dynamic(at, FuelCosts.PER_ELEMENT);
                                    pop(3, depth);
                                }
                                case 15 -> { // table.grow
                                    u32();
                                    dynamic(at, FuelCosts.PER_ELEMENT);
                                    pop(1, depth);
                                }
                                case 17 -> { // table.fill
                                    u32();
                                    dynamic(at, FuelCosts.PER_ELEMENT);
                                    pop(3, depth);
                                }
                                default -> throw unsupported("instruction 0xfc " + sub);
                            }
                        }
                        case 0xFD -> throw unsupported("instruction 0xfd (SIMD)");
                        default -> {
                            if (op >= 0x28 && op <= 0x3E) { // loads and stores
                                int align = u32();
                                if ((align & 0x40) != 0) {
                                    u32(); // memory index (multi-memory)
                                }
                                skipLeb();
                                if (op >= 0x36) {
                                    pop(2, depth);
                                }
                            } else if (op < 0x45 || op > 0xC4) { // 0x45..0xC4: numeric, no immediates
                                throw unsupported("instruction 0x" + Integer.toHexString(op));
                            } else if (isBinary(op)) {
                                pop(1, depth);
                            }
                        }
                    }
                    blockCost += cost;
                    if (endsBlock) {
                        flush(p);
                        blockStart = p;
                        blockChecks = op == 0x03;
                    }
                }
            }

            private void push(int n) {
                height += n;
                if (height > maxHeight) {
                    maxHeight = height;
                }
            }

            /** Pops {@code n} operands, never below the innermost block's base (unreachable code is polymorphic). */
            private void pop(int n, int depth) {
                height = Math.max(height - n, blockBase[depth]);
            }

            private void unreachable(int depth) {
                height = blockBase[depth];
            }

            private void call(int type, int depth) {
                pop(params(type), depth);
                push(results(type));
            }

            /** Opens the block at {@code depth} of the given {@link #blockType} (its parameters are on the stack). */
            private void open(int depth, long type) {
                if (depth >= blockBase.length) {
                    blockBase = Arrays.copyOf(blockBase, depth * 2);
                    blockParams = Arrays.copyOf(blockParams, depth * 2);
                    blockResults = Arrays.copyOf(blockResults, depth * 2);
                }
                int params = (int) (type >>> 32);
                int results = (int) type;
                pop(params, depth - 1);
                blockBase[depth] = height;
                blockParams[depth] = params;
                blockResults[depth] = results;
                push(params);
                maxDepth = Math.max(maxDepth, depth);
            }

            private void dynamic(int at, long unit) {
                insert(at, unit);
                if (scratch < 0) {
                    scratch = (int) localCount;
                }
            }

            /**
             * Records code to insert before the instruction at {@code at}: stack accounting ({@link #RELEASE},
             * {@link #RECHARGE}, {@link #RELEASE_IF_RETURNING}), only in functions that charge their frame, or a
             * dynamic charge of {@code what} units per unit of the operand on top of the stack.
             */
            private void insert(int at, long what) {
                boolean stackCode = what == RELEASE || what == RECHARGE || what <= RELEASE_IF_RETURNING;
                if (stackCode && frame < 0) {
                    return;
                }
                if (insertCount == insertAt.length) {
                    insertAt = Arrays.copyOf(insertAt, insertCount * 2);
                    insertWhat = Arrays.copyOf(insertWhat, insertCount * 2);
                }
                insertAt[insertCount] = at;
                insertWhat[insertCount++] = what;
            }

            /** Emits the block that ends at {@code end}: its charge, its check, then its code with the insertions. */
            private void flush(int end) {
                if (blockCost > 0) {
                    // global.get $fuel; i64.const cost; i64.sub; global.set $fuel
                    code.u8(0x23).u32(fuel).u8(0x42).s64(blockCost).u8(0x7D).u8(0x24).u32(fuel);
                }
                if (blockChecks) {
                    code.u8(0x23).u32(fuel);
                    checkOnStack();
                }
                int from = blockStart;
                for (int i = 0; i < insertCount; i++) {
                    code.bytes(in, from, insertAt[i] - from);
                    from = insertAt[i];
                    long what = insertWhat[i];
                    if (what == RELEASE) {
                        release();
                    } else if (what == RECHARGE) {
                        code.u8(0x20).u32(budgetLeft).u8(0x24).u32(stack); // local.get $left; global.set $stack
                    } else if (what <= RELEASE_IF_RETURNING) {
                        releaseIfReturning(insertAt[i], (int) (RELEASE_IF_RETURNING - what));
                    } else {
                        // local.tee $scratch; global.get $fuel; local.get $scratch; i64.extend_i32_u;
                        // [i64.const unit; i64.mul;] i64.sub; global.set $fuel; global.get $fuel; (check)
                        code.u8(0x22).u32(scratch);
                        code.u8(0x23).u32(fuel);
                        code.u8(0x20).u32(scratch).u8(0xAD);
                        if (what != 1) {
                            code.u8(0x42).s64(what).u8(0x7E);
                        }
                        code.u8(0x7D);
                        code.u8(0x24).u32(fuel).u8(0x23).u32(fuel);
                        checkOnStack();
                    }
                }
                code.bytes(in, from, end - from);
                blockCost = 0;
                insertCount = 0;
            }

            /** Gives the frame back: {@code local.get $left; i32.const frame; i32.add; global.set $stack}. */
            private void release() {
                code.u8(0x20).u32(budgetLeft).u8(0x41).s64(frame).u8(0x6A).u8(0x24).u32(stack);
            }

            /**
             * Before the {@code br_table} at {@code at}, whose targets include the function's label ({@code depth}):
             * gives the frame back only when the index on the stack selects that label, with a {@code br_table} of
             * its own over the same index into two blocks closed before the original, so no label depth moves:
             * {@code local.tee $s; block; block; local.get $s; br_table (0 where the target is the function, else
             * 1); end; (release); end}.
             */
            private void releaseIfReturning(int at, int depth) {
                int save = p;
                p = at + 1;
                int n = u32();
                code.u8(0x22).u32(scratch).u8(0x02).u8(0x40).u8(0x02).u8(0x40).u8(0x20).u32(scratch)
                        .u8(0x0E).u32(n);
                for (int i = 0; i <= n; i++) {
                    code.u32(u32() == depth ? 0 : 1);
                }
                p = save;
                code.u8(0x0B);
                release();
                code.u8(0x0B);
            }

            /**
             * Traps when the counter, on top of the stack, is negative: {@code i64.const 0; i64.lt_s; if;
             * unreachable; end}.
             */
            private void checkOnStack() {
                code.u8(0x42).u8(0x00).u8(0x53).u8(0x04).u8(0x40).u8(0x00).u8(0x0B);
            }

            /** Reads a block type: its parameter count in the high half, its result count in the low half. */
            private long blockType() {
                int b = in[p] & 0xFF;
                if (b == 0x40) {
                    p++;
                    return 0;
                } else if (isValueType(b)) {
                    p++;
                    return 1;
                } else if (b == 0x63 || b == 0x64) {
                    throw unsupported("typed reference block type");
                } else {
                    int type = (int) s33(); // type index, for multi-value blocks
                    return ((long) params(type) << 32) | results(type);
                }
            }

            private ModuleRejected unsupported(String what) {
                return malformed("unsupported " + what + " in function " + function);
            }
        }

        // Insertions other than dynamic charges (whose unit cost is positive): stack accounting, in functions that charge their frame. RELEASE: give the frame back (a way out of the
        // function). RECHARGE: charge it again (after a br_if to the function's label that did not branch).
        // RELEASE_IF_RETURNING - depth: before a br_table with a target at the function's label, at that depth.
        private static final long RELEASE = -4;
        private static final long RECHARGE = -5;
        private static final long RELEASE_IF_RETURNING = -1000;


        /** Numeric instructions (0x45..0xC4) that pop two operands and push one; the rest pop one and push one. */
        private static boolean isBinary(int op) {
            return (op >= 0x46 && op <= 0x4F) || (op >= 0x51 && op <= 0x66) || (op >= 0x6A && op <= 0x78)
                    || (op >= 0x7C && op <= 0x8A) || (op >= 0x92 && op <= 0x98) || (op >= 0xA0 && op <= 0xA6);
        }

        private static boolean isValueType(int type) {
            return switch (type) {
                case 0x7F, 0x7E, 0x7D, 0x7C, 0x70, 0x6F -> true; // i32 i64 f32 f64 funcref externref
                default -> false;
            };
        }

        private int u32() {
            long result = 0;
            for (int shift = 0; shift < 35; shift += 7) {
                int b = in[p++];
                result |= (long) (b & 0x7F) << shift;
                if ((b & 0x80) == 0) {
                    if (result > Integer.MAX_VALUE) {
                        throw malformed("integer too large");
                    }
                    return (int) result;
                }
            }
            throw malformed("integer representation too long");
        }

        /** A signed LEB128 of at most 5 bytes (an s33 block type index). */
        private long s33() {
            long result = 0;
            int shift = 0;
            int b;
            do {
                if (shift >= 35) {
                    throw malformed("integer representation too long");
                }
                b = in[p++];
                result |= (long) (b & 0x7F) << shift;
                shift += 7;
            } while ((b & 0x80) != 0);
            if ((b & 0x40) != 0) {
                result |= -1L << shift;
            }
            return result;
        }

        private void skipLeb() {
            for (int i = 0; i < 10; i++) {
                if ((in[p++] & 0x80) == 0) {
                    return;
                }
            }
            throw malformed("integer representation too long");
        }
    }

    /** A growable byte buffer with the LEB128 encodings the rewrite emits. */
    private static final class Out {
        byte[] buf;
        private int size;

        Out(int capacity) {
            buf = new byte[Math.max(16, capacity)];
        }

        int size() {
            return size;
        }

        Out u8(int b) {
            ensure(1);
            buf[size++] = (byte) b;
            return this;
        }

        Out bytes(byte[] src, int from, int length) {
            ensure(length);
            System.arraycopy(src, from, buf, size, length);
            size += length;
            return this;
        }

        Out u32(long value) {
            ensure(5);
            do {
                int b = (int) (value & 0x7F);
                value >>>= 7;
                buf[size++] = (byte) (value == 0 ? b : b | 0x80);
            } while (value != 0);
            return this;
        }

        Out s64(long value) {
            ensure(10);
            while (true) {
                int b = (int) (value & 0x7F);
                value >>= 7;
                boolean done = (value == 0 && (b & 0x40) == 0) || (value == -1 && (b & 0x40) != 0);
                buf[size++] = (byte) (done ? b : b | 0x80);
                if (done) {
                    return this;
                }
            }
        }

        byte[] toArray() {
            return Arrays.copyOf(buf, size);
        }

        private void ensure(int more) {
            if (size + more > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + more));
            }
        }
    }
}
