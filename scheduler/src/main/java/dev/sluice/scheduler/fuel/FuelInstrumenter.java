package dev.sluice.scheduler.fuel;

import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.ExternalType;
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
 * <p>Where the counter lives while a function runs: a function without loops charges the global directly. A
 * function with loops works on a copy in a local (Chicory compiles a global access to a chain of loads the JIT
 * cannot keep in a register, which made metered loops 5x slower): the copy is loaded at entry and after every call,
 * and stored to the global before every call and tail call, on every way out of the function ({@code return}, a
 * branch to the function's label, its final {@code end}), before {@code unreachable}, with every dynamic charge,
 * when a check fails, and at a loop header once 65 536 units have been charged since the last
 * store. So the global is exact whenever anything else can see it (callees, host functions, the host after a normal
 * end or {@code proc_exit}, an exhaustion trap); after any other trap or an interrupt it lacks what the innermost
 * function charged since its last store: under 65 536 units plus the blocks it ran since its last
 * loop header (see {@code docs/fuel.md}).
 *
 * <p>The rewrite splices bytes instead of re-encoding the module: every section is copied verbatim except the
 * global section (one global appended, so no existing index changes), the export section (one export appended)
 * and the code section (charges inserted; two i64 locals appended to functions with loops and one scratch i32
 * local to functions with dynamic costs, so no existing local index changes; sizes recomputed). It is one linear
 * pass over the code, two for functions with loops. Inserted code only adds a branch-free {@code if} around an
 * {@code unreachable}, so every existing branch's label depth still names the same block.
 *
 * <p>Basic blocks start at function entry and after {@code loop}, {@code if}, {@code else}, every {@code end} but
 * the function's last, {@code br_if}, {@code br_table}, and after {@code br}, {@code return}, {@code unreachable}
 * and the tail calls (what follows them is dead until the next {@code end} or {@code else}, so it is not charged
 * to the code before them). Dynamic costs (bytes copied, pages grown) are charged just before their instruction,
 * from a copy of the operand kept in the scratch local, followed by a check.
 *
 * <p>Supports the MVP plus sign extension, saturating conversions, bulk memory, reference types (funcref and
 * externref), multi-value and tail calls; anything else (SIMD, threads, exceptions, GC, memory64) is rejected.
 * Stateless; thread-safe.
 */
public final class FuelInstrumenter {
    /** The export under which the counter is visible; a module that exports this name itself is rejected. */
    public static final String EXPORT_NAME = "sluice_fuel";

    /**
     * Version of the rewrite's output (2: functions with loops keep the counter in a local). Bump it whenever the same input can produce different bytes: compiled modules
     * cached on disk are keyed by it (see {@code CompiledCache}).
     */
    public static final int VERSION = 2;

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
        private final Out out;
        private int p;

        Rewrite(byte[] in, WasmModule module, int fuel) {
            this.in = in;
            this.module = module;
            this.fuel = fuel;
            this.out = new Out(in.length + in.length / 2 + 64);
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
                    case GLOBAL_SECTION -> {
                        section(id, newGlobals(in, start, end));
                        globalsDone = true;
                    }
                    case EXPORT_SECTION -> {
                        section(id, newExports(in, start, end));
                        exportsDone = true;
                    }
                    case CODE_SECTION -> section(id, code(end));
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
            return out.toArray();
        }

        private void section(int id, Out payload) {
            out.u8(id);
            out.u32(payload.size());
            out.bytes(payload.buf, 0, payload.size());
        }

        /** The global section with the counter appended: {@code (global (mut i64) (i64.const 0))}. */
        private Out newGlobals(byte[] section, int start, int end) {
            return withOneMore(section, start, end, 8).u8(0x7E).u8(0x01).u8(0x42).u8(0x00).u8(0x0B);
        }

        /** The export section with the counter exported as {@link #EXPORT_NAME}. */
        private Out newExports(byte[] section, int start, int end) {
            byte[] name = EXPORT_NAME.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            return withOneMore(section, start, end, 24).u32(name.length).bytes(name, 0, name.length).u8(0x03)
                    .u32(fuel);
        }

        /** A vector section (or a new one) with its count raised by one, ready for the new entry to be appended. */
        private Out withOneMore(byte[] section, int start, int end, int extra) {
            var s = new Out(end - start + extra);
            int count = 0;
            int rest = start;
            if (section != null) {
                p = start;
                count = u32();
                rest = p;
            }
            s.u32(count + 1);
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
            var s = new Out(end - p + count * 32 + 16);
            s.u32(count);
            int importedFunctions = module.importSection().count(ExternalType.FUNCTION);
            for (int i = 0; i < count; i++) {
                int size = u32();
                int bodyEnd = p + size;
                int params = module.functionSection().getFunctionType(i, module.typeSection()).params().size();
                int bodyStart = p;
                var direct = new Body(params, bodyEnd, importedFunctions + i, false);
                Out body = direct.run();
                if (direct.sawLoop) {
                    p = bodyStart;
                    body = new Body(params, bodyEnd, importedFunctions + i, true).run();
                }
                s.u32(body.size());
                s.bytes(body.buf, 0, body.size());
                p = bodyEnd;
            }
            if (p != end) {
                throw malformed("code section has trailing bytes");
            }
            return s;
        }

        /**
         * One function body: its locals, then its instructions split into basic blocks. Charged {@linkplain #cached
         * directly} to the global when the function has no loop, else to a local copy of the counter.
         */
        private final class Body {
            private final int bodyEnd;
            private final int function;
            private final Out code;
            /**
             * Whether the counter lives in a local (appended after the function's own): loaded from the global at
             * entry and after calls, stored to it before calls, on the ways out of the function, before explicit
             * traps and dynamic-cost checks, at loop headers every {@link #SYNC_INTERVAL} units, and when a check
             * fails. Only worth it in functions with loops: elsewhere each block is charged to the global
             * directly, which for loop-free code touches the global no more often than the local copy would.
             */
            private final boolean cached;
            private boolean sawLoop;
            private long localCount;
            // In cached functions: the local copy of the counter, and the value below which a loop header stores it
            // (i64 locals appended after the function's own); in all, the scratch i32 for dynamic costs (appended
            // after those, only when the function needs it).
            private int counter = -1;
            private int next = -1;
            private int scratch = -1;
            // The basic block being scanned: where its bytes start, its cost, whether it must check the counter,
            // and the points inside it where code is inserted (offset and what to insert, in order).
            private int entryStart;
            private int blockStart;
            private long blockCost;
            private boolean blockChecks;
            private int[] insertAt = new int[4];
            private long[] insertWhat = new long[4];
            private int insertCount;

            Body(int params, int bodyEnd, int function, boolean cached) {
                this.bodyEnd = bodyEnd;
                this.function = function;
                this.cached = cached;
                this.localCount = params;
                this.code = new Out((bodyEnd - p) * 2 + 32);
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
                if (cached) {
                    counter = appended++;
                    next = appended++;
                    // global.get $fuel; local.tee $counter; local.set $next
                    code.u8(0x23).u32(fuel).u8(0x22).u32(counter).u8(0x21).u32(next);
                }
                localCount = appended;
                instructions();
                var body = new Out(code.size() + (localsEnd - localsStart) + 16);
                if (!cached && scratch < 0) {
                    body.bytes(in, localsStart, localsEnd - localsStart);
                } else {
                    body.u32(groups + (cached ? 1 : 0) + (scratch < 0 ? 0 : 1));
                    body.bytes(in, groupsStart, localsEnd - groupsStart);
                    if (cached) {
                        body.u32(2).u8(0x7E);
                    }
                    if (scratch >= 0) {
                        body.u32(1).u8(0x7F);
                    }
                }
                body.bytes(code.buf, 0, code.size());
                return body;
            }

            private void instructions() {
                int depth = 0;
                entryStart = p;
                blockStart = p;
                blockChecks = true;
                while (true) {
                    if (p >= bodyEnd) {
                        throw malformed("function " + function + " does not end with end");
                    }
                    int at = p;
                    int op = in[p++] & 0xFF;
                    long cost = FuelCosts.INSTRUCTION;
                    boolean endsBlock = false;
                    switch (op) {
                        case 0x00, 0x0F -> { // unreachable, return
                            insert(at, STORE);
                            endsBlock = true;
                        }
                        case 0x01, 0x1A, 0x1B, 0xD1 -> { } // nop, drop, select, ref.is_null
                        case 0x02 -> { // block
                            blockType();
                            depth++;
                            cost = FuelCosts.STRUCTURE;
                        }
                        case 0x03 -> { // loop
                            blockType();
                            sawLoop = true;
                            depth++;
                            cost = FuelCosts.STRUCTURE;
                            endsBlock = true;
                        }
                        case 0x04 -> { // if
                            blockType();
                            depth++;
                            endsBlock = true;
                        }
                        case 0x05 -> { // else
                            cost = FuelCosts.STRUCTURE;
                            endsBlock = true;
                        }
                        case 0x0B -> { // end
                            cost = FuelCosts.STRUCTURE;
                            if (depth == 0) {
                                insert(at, STORE);
                                blockCost += cost;
                                flush(p);
                                if (p != bodyEnd) {
                                    throw malformed("function " + function + " has bytes after its final end");
                                }
                                return;
                            }
                            depth--;
                            endsBlock = true;
                        }
                        case 0x0C, 0x0D -> { // br, br_if
                            if (u32() == depth) { // to the function's own label: it returns
                                insert(at, op == 0x0C ? STORE : STORE_KEEP);
                            }
                            endsBlock = true;
                        }
                        case 0x0E -> { // br_table
                            int n = u32();
                            boolean returns = false;
                            for (int i = 0; i <= n; i++) {
                                returns |= u32() == depth;
                            }
                            if (returns) {
                                insert(at, STORE_KEEP);
                            }
                            endsBlock = true;
                        }
                        case 0x10 -> { // call
                            u32();
                            cost = FuelCosts.CALL;
                            insert(at, STORE);
                            insert(p, LOAD);
                        }
                        case 0x11 -> { // call_indirect
                            u32();
                            u32();
                            cost = FuelCosts.CALL;
                            insert(at, STORE);
                            insert(p, LOAD);
                        }
                        case 0x12 -> { // return_call
                            u32();
                            cost = FuelCosts.CALL;
                            insert(at, STORE);
                            endsBlock = true;
                        }
                        case 0x13 -> { // return_call_indirect
                            u32();
                            u32();
                            cost = FuelCosts.CALL;
                            insert(at, STORE);
                            endsBlock = true;
                        }
                        case 0x1C -> { // select t*
                            int n = u32();
                            for (int i = 0; i < n; i++) {
                                int type = in[p++] & 0xFF;
                                if (!isValueType(type)) {
                                    throw unsupported("select type 0x" + Integer.toHexString(type));
                                }
                            }
                        }
                        case 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x3F, 0xD2 -> u32(); // variables, tables,
                        // memory.size, ref.func
                        case 0x40 -> { // memory.grow
                            u32();
                            dynamic(at, FuelCosts.PER_PAGE_GROWN);
                        }
                        case 0x41, 0x42 -> skipLeb(); // i32.const, i64.const
                        case 0x43 -> p += 4; // f32.const
                        case 0x44 -> p += 8; // f64.const
                        case 0xD0 -> { // ref.null
                            int type = in[p++] & 0xFF;
                            if (type != 0x70 && type != 0x6F) {
                                throw unsupported("ref.null heap type 0x" + Integer.toHexString(type));
                            }
                        }
                        case 0xFC -> {
                            int sub = u32();
                            switch (sub) {
                                case 0, 1, 2, 3, 4, 5, 6, 7 -> { } // saturating truncation
                                case 8 -> { // memory.init
                                    u32();
                                    u32();
                                    dynamic(at, FuelCosts.PER_BYTE);
                                }
                                case 9, 13, 16 -> u32(); // data.drop, elem.drop, table.size
                                case 10 -> { // memory.copy
                                    u32();
                                    u32();
                                    dynamic(at, FuelCosts.PER_BYTE);
                                }
                                case 11 -> { // memory.fill
                                    u32();
                                    dynamic(at, FuelCosts.PER_BYTE);
                                }
                                case 12, 14 -> { // table.init, table.copy
                                    u32();
                                    u32();
                                    dynamic(at, FuelCosts.PER_ELEMENT);
                                }
                                case 15, 17 -> { // table.grow, table.fill
                                    u32();
                                    dynamic(at, FuelCosts.PER_ELEMENT);
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
                            } else if (op < 0x45 || op > 0xC4) { // 0x45..0xC4: numeric, no immediates
                                throw unsupported("instruction 0x" + Integer.toHexString(op));
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

            private void dynamic(int at, long unit) {
                insert(at, unit);
                if (scratch < 0) {
                    scratch = (int) localCount;
                }
            }

            /**
             * Records code to insert before the instruction at {@code at}: {@link #STORE}, {@link #STORE_KEEP},
             * {@link #LOAD}, or a dynamic charge of {@code what} units per unit of the operand on top of the stack.
             * Only dynamic charges in functions that are not {@link #cached}.
             */
            private void insert(int at, long what) {
                if (what < 0 && !cached) {
                    return;
                }
                if (what == STORE && insertCount > 0 && insertWhat[insertCount - 1] == LOAD
                        && insertAt[insertCount - 1] == at) {
                    // A call's reload right before a store whose instruction never falls through (another call,
                    // which reloads after itself, or a way out of the function): the global is current already.
                    insertCount--;
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
                if (!cached) {
                    if (blockCost > 0) {
                        // global.get $fuel; i64.const cost; i64.sub; global.set $fuel
                        code.u8(0x23).u32(fuel).u8(0x42).s64(blockCost).u8(0x7D).u8(0x24).u32(fuel);
                    }
                    if (blockChecks) {
                        code.u8(0x23).u32(fuel);
                        checkOnStack();
                    }
                } else if (blockChecks && blockStart != entryStart) {
                    // A loop header: local.get $counter; [i64.const cost; i64.sub; local.tee $counter;]
                    // local.get $next; i64.lt_s; if; (store, check, next = max(counter - interval, 0)); end
                    code.u8(0x20).u32(counter);
                    if (blockCost > 0) {
                        code.u8(0x42).s64(blockCost).u8(0x7D).u8(0x22).u32(counter);
                    }
                    code.u8(0x20).u32(next).u8(0x53).u8(0x04).u8(0x40);
                    // local.get $counter; global.set $fuel; local.get $counter; i64.const 0; i64.lt_s;
                    // if; unreachable; end
                    code.u8(0x20).u32(counter).u8(0x24).u32(fuel).u8(0x20).u32(counter)
                            .u8(0x42).u8(0x00).u8(0x53).u8(0x04).u8(0x40).u8(0x00).u8(0x0B);
                    // local.get $counter; i64.const interval; i64.sub; i64.const 0;
                    // local.get $counter; i64.const interval; i64.gt_s; select; local.set $next
                    code.u8(0x20).u32(counter).u8(0x42).s64(SYNC_INTERVAL).u8(0x7D).u8(0x42).u8(0x00)
                            .u8(0x20).u32(counter).u8(0x42).s64(SYNC_INTERVAL).u8(0x55).u8(0x1B)
                            .u8(0x21).u32(next);
                    code.u8(0x0B);
                } else if (blockCost > 0 || blockChecks) {
                    // local.get $counter; [i64.const cost; i64.sub; local.tee/set $counter;] (check at entry)
                    code.u8(0x20).u32(counter);
                    if (blockCost > 0) {
                        code.u8(0x42).s64(blockCost).u8(0x7D).u8(blockChecks ? 0x22 : 0x21).u32(counter);
                    }
                    if (blockChecks) {
                        checkOnStack();
                    }
                }
                int from = blockStart;
                for (int i = 0; i < insertCount; i++) {
                    code.bytes(in, from, insertAt[i] - from);
                    from = insertAt[i];
                    long what = insertWhat[i];
                    if (what == STORE || what == STORE_KEEP) {
                        code.u8(0x20).u32(counter).u8(0x24).u32(fuel); // local.get $counter; global.set $fuel
                    } else if (what == LOAD) {
                        code.u8(0x23).u32(fuel).u8(0x21).u32(counter); // global.get $fuel; local.set $counter
                    } else {
                        // local.tee $scratch; (global.get $fuel | local.get $counter); local.get $scratch;
                        // i64.extend_i32_u; [i64.const unit; i64.mul;] i64.sub;
                        // (global.set $fuel; global.get $fuel | local.tee $counter; global.set $fuel;
                        // local.get $counter); (check)
                        code.u8(0x22).u32(scratch);
                        if (cached) {
                            code.u8(0x20).u32(counter);
                        } else {
                            code.u8(0x23).u32(fuel);
                        }
                        code.u8(0x20).u32(scratch).u8(0xAD);
                        if (what != 1) {
                            code.u8(0x42).s64(what).u8(0x7E);
                        }
                        code.u8(0x7D);
                        if (cached) {
                            code.u8(0x22).u32(counter).u8(0x24).u32(fuel).u8(0x20).u32(counter);
                        } else {
                            code.u8(0x24).u32(fuel).u8(0x23).u32(fuel);
                        }
                        checkOnStack();
                    }
                }
                code.bytes(in, from, end - from);
                blockCost = 0;
                insertCount = 0;
            }

            /**
             * Traps when the counter, on top of the stack, is negative: {@code i64.const 0; i64.lt_s; if;
             * unreachable; end}, in a {@link #cached} function storing the local copy to the global first so that
             * the host sees the exhaustion.
             */
            private void checkOnStack() {
                code.u8(0x42).u8(0x00).u8(0x53).u8(0x04).u8(0x40);
                if (cached) {
                    code.u8(0x20).u32(counter).u8(0x24).u32(fuel);
                }
                code.u8(0x00).u8(0x0B);
            }

            private void blockType() {
                int b = in[p] & 0xFF;
                if (b == 0x40 || isValueType(b)) {
                    p++;
                } else if (b == 0x63 || b == 0x64) {
                    throw unsupported("typed reference block type");
                } else {
                    skipLeb(); // type index (s33), for multi-value blocks
                }
            }

            private ModuleRejected unsupported(String what) {
                return malformed("unsupported " + what + " in function " + function);
            }
        }

        // Insertions other than dynamic charges (whose unit cost is positive). STORE: the local to the global, before
        // an instruction that does not fall through to the next one (a call, which reloads after itself, or a way
        // out of the function). STORE_KEEP: the same before one that may fall through (a br_if or br_table that can
        // leave the function), so a call's reload just before it is kept. LOAD: the global into the local, after a
        // call.
        private static final long STORE = -1;
        private static final long STORE_KEEP = -3;
        private static final long LOAD = -2;

        /**
         * Fuel a function with loops may charge to its local copy of the counter before a loop header stores it:
         * what a trap or a timeout in such a function can leave unreported, plus the blocks it ran since its last
         * loop header. A store costs several loop iterations (1 ns), so storing every 65 536 units costs nothing.
         */
        static final long SYNC_INTERVAL = 1 << 16;

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
