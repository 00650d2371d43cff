package dev.sluice.scheduler.fuel;

/**
 * What each piece of guest work costs, in fuel units. Fuel is the billing unit, so these numbers are part of the
 * contract: changing one changes every tenant's bill and every exact-fuel test. {@code docs/fuel.md} explains them
 * with worked examples.
 *
 * <p>Charges made by instrumented code (see {@link FuelInstrumenter}):
 * <ul>
 *   <li>every instruction costs {@value #INSTRUCTION}, except the structural markers {@code block}, {@code loop},
 *       {@code else} and {@code end}, which cost {@value #STRUCTURE} (they do no work; the branch that jumps to or
 *       out of them is charged);</li>
 *   <li>{@code call}, {@code call_indirect}, {@code return_call} and {@code return_call_indirect} cost
 *       {@value #CALL};</li>
 *   <li>entering a function whose parameters and locals number more than {@value #FRAME_FREE_SLOTS} costs one unit
 *       per {@value #FRAME_SLOTS_PER_UNIT} beyond that ({@link #frameCost}), charged with its entry block;</li>
 *   <li>{@code memory.grow} costs {@value #INSTRUCTION} plus {@value #PER_PAGE_GROWN} per page requested (charged
 *       even when the grow fails);</li>
 *   <li>{@code memory.fill}, {@code memory.copy}, {@code memory.init} cost {@value #INSTRUCTION} plus
 *       {@value #PER_BYTE} per byte of their length operand; {@code table.fill}, {@code table.copy},
 *       {@code table.init} and {@code table.grow} plus {@value #PER_ELEMENT} per element.</li>
 * </ul>
 *
 * <p>Charges made by the host, on top of the {@value #CALL} for the {@code call} instruction:
 * <ul>
 *   <li>every WASI function costs {@value #HOST_CALL} per call, charged before it runs;</li>
 *   <li>{@code fd_write}, {@code fd_read} and {@code random_get} also cost {@value #HOST_PER_BYTE} per byte
 *       actually transferred, charged when they return;</li>
 *   <li>{@code poll_oneoff} also costs {@value #POLL_PER_SUBSCRIPTION} per subscription, charged before it looks
 *       at them;</li>
 *   <li>file functions (only an invocation with files has any): every {@code path_*} function also costs
 *       {@value #FILE_PATH_OP}; {@code fd_read}, {@code fd_write}, {@code fd_pread} and {@code fd_pwrite} on a file
 *       cost {@value #HOST_PER_BYTE} per byte their iovecs offer (whether or not that many move); a write that
 *       grows a {@code /tmp} file, {@code fd_allocate} and {@code fd_filestat_set_size} cost
 *       {@value #HOST_PER_BYTE} per byte the file grew; {@code fd_readdir} costs {@value #HOST_PER_BYTE} per
 *       byte of its buffer plus {@value #FILE_PER_ENTRY} per entry its cookie skips and, under {@code /tmp}, per
 *       file and directory there;</li>
 *   <li>{@code poll_oneoff} also costs {@value #SLEEP_PER_MS} per millisecond it is asked to block (rounded up),
 *       charged before it blocks ({@link #sleepCost}).</li>
 * </ul>
 */
public final class FuelCosts {
    /** Default cost of one instruction. */
    public static final long INSTRUCTION = 1;
    /** {@code block}, {@code loop}, {@code else}, {@code end}. */
    public static final long STRUCTURE = 0;
    /** Any call instruction, to a wasm function or to the host. */
    public static final long CALL = 5;
    /** Parameters and locals a function may have before entering it costs more than its instructions. */
    public static final long FRAME_FREE_SLOTS = 64;
    /**
     * Parameters and locals beyond {@link #FRAME_FREE_SLOTS} per unit charged at entry. Chicory's interpreter
     * allocates and zeroes a {@code long[]} of the frame's locals on every call, so a call to a function of 50 000
     * locals did ~0.5 ms of work for 5 units. Measured interpreted (developer VM, loaded): ~10 ns per local per call
     * against ~45 ns per fuel unit of a counted loop, so a local costs about a quarter of a unit.
     */
    public static final long FRAME_SLOTS_PER_UNIT = 4;
    /** Added to {@code memory.grow} for each page (64 KiB) requested. */
    public static final long PER_PAGE_GROWN = 1_000;
    /** Added to {@code memory.fill}, {@code memory.copy} and {@code memory.init} for each byte. */
    public static final long PER_BYTE = 1;
    /** Added to {@code table.fill}, {@code table.copy}, {@code table.init} and {@code table.grow} per element. */
    public static final long PER_ELEMENT = 1;
    /** Charged by the host for every WASI call. */
    public static final long HOST_CALL = 100;
    /** Charged by the host for each byte {@code fd_write}, {@code fd_read} or {@code random_get} transfers. */
    public static final long HOST_PER_BYTE = 1;

    /**
     * Charged by the host for each {@code path_*} call of an invocation with files, on top of {@link #HOST_CALL}:
     * Chicory decodes and normalizes the path, and the call looks the file up on disk ({@code /assets}) or in
     * memory ({@code /tmp}) and may open a channel, a few microseconds of a held worker.
     */
    public static final long FILE_PATH_OP = 1_000;

    /**
     * Charged by {@code fd_readdir} for each entry its cookie skips: Chicory lists the directory again from the
     * start on every call and walks past that many entries.
     */
    public static final long FILE_PER_ENTRY = 20;

    /**
     * Charged by the host for each subscription of a {@code poll_oneoff}: Sluice and Chicory each read every one
     * (and Chicory writes an event for each ready one). Measured: 5 000 polls of 4 096 ready subscriptions held a
     * worker ~400 ms, ~20 ns per subscription, which at {@link #SLEEP_PER_MS}'s rate of a held worker (10 ns per
     * unit) is 2 units; the flat {@value #HOST_CALL} had made such a poll ~60 times cheaper than sleeping as long.
     */
    public static final long POLL_PER_SUBSCRIPTION = 2;

    /**
     * Charged by the host for each millisecond a {@code poll_oneoff} asks to block: a sleeping guest holds a worker
     * as surely as a computing one, so a millisecond held costs about what a millisecond of interpreted code uses.
     */
    public static final long SLEEP_PER_MS = 100_000;

    private FuelCosts() {}

    /** The fuel charged on entering a function of {@code slots} parameters and locals (0 for small frames). */
    public static long frameCost(long slots) {
        return Math.max(0, slots - FRAME_FREE_SLOTS) / FRAME_SLOTS_PER_UNIT;
    }

    /** The fuel for blocking {@code nanos} nanoseconds: {@link #SLEEP_PER_MS} per started millisecond, saturating. */
    public static long sleepCost(long nanos) {
        if (nanos <= 0) {
            return 0;
        }
        long ms = nanos / 1_000_000 + (nanos % 1_000_000 == 0 ? 0 : 1);
        return ms > Long.MAX_VALUE / SLEEP_PER_MS ? Long.MAX_VALUE : ms * SLEEP_PER_MS;
    }
}
