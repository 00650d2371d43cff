package dev.sluice.scheduler;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.Export;
import com.dylibso.chicory.wasm.types.ExportSection;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.FunctionImport;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.Import;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import dev.sluice.scheduler.SchedulerException.ModuleRejected;
import dev.sluice.scheduler.fuel.FuelInstrumenter;
import dev.sluice.scheduler.SchedulerException.ModuleRejected.Reason;
import java.time.InstantSource;
import java.util.List;

/**
 * Decides whether bytes are a module we are willing to run: it checks the binary's declared sizes against the
 * sandbox's caps before anything is allocated for them ({@link ModuleScan}), parses and validates, imports nothing but WASI
 * preview 1 functions (with the right types), and exports a {@code _start} command entry point. A module that
 * passes is instrumented for fuel metering ({@link FuelInstrumenter}): what runs is always the instrumented module,
 * while the function keeps the digest of the original bytes. Stateless apart from the immutable allow-list;
 * thread-safe.
 */
final class ModuleValidator {
    /**
     * The version of these rules (the caps in {@link ModuleScan.Limits}, the checks here): part of the name of the
     * {@link InstrumentedCache}'s directory, so a module validated under older rules is validated again. Bump it
     * whenever a change here or in {@link ModuleScan} could refuse a module an earlier version accepted.
     */
    static final int RULES = 1;

    private final WasiImports allowed;
    private final ModuleScan scan = new ModuleScan(ModuleScan.Limits.DEFAULT);

    ModuleValidator(WasiImports allowed) {
        this.allowed = allowed;
    }

    /** Table elements one instance may have in all its tables, including what it grows at run time. */
    static long maxTableElements() {
        return ModuleScan.Limits.DEFAULT.maxTableElements();
    }

    /**
     * A module that passed every check, instrumented, with its declared memory.
     *
     * @param module            the instrumented module, parsed
     * @param definedFuelGlobal {@link FuelInstrumenter.Instrumented#definedFuelGlobal()}
     * @param instrumented      the instrumented module's bytes (what {@link InstrumentedCache} keeps)
     */
    record Checked(WasmModule module, int initialPages, int maximumPages, int definedFuelGlobal,
                   byte[] instrumented) {
        /** The form {@link InstrumentedCache} keeps, for the module deployed as {@code digest}. */
        InstrumentedCache.Entry cacheEntry(String digest) {
            return new InstrumentedCache.Entry(digest, module.digest(), initialPages, maximumPages,
                    definedFuelGlobal, instrumented);
        }
    }

    /**
     * The module as {@link #check} made it when it was stored, from {@link InstrumentedCache}: one parse of the
     * instrumented bytes, no scan, no instrumenting (the entry's version directory says these rules accepted it).
     *
     * @throws IllegalArgumentException when the bytes do not parse to the module the entry names (a damaged entry
     *                                  that passed its checksum, or a bug): validate the stored module instead
     */
    static Checked fromCache(InstrumentedCache.Entry entry) {
        WasmModule module;
        try {
            module = Parser.parse(entry.instrumented());
        } catch (RuntimeException | StackOverflowError | AssertionError e) {
            throw new IllegalArgumentException("cached module of " + entry.digest() + " does not parse: " + e, e);
        }
        if (!entry.compiledKey().equals(module.digest())) {
            throw new IllegalArgumentException("cached module of " + entry.digest() + " is " + module.digest()
                    + ", not " + entry.compiledKey());
        }
        return new Checked(module, entry.initialPages(), entry.maximumPages(), entry.definedFuelGlobal(),
                entry.instrumented());
    }

    /** @throws ModuleRejected MALFORMED, FORBIDDEN_IMPORT, TOO_COMPLEX or TOO_MUCH_MEMORY */
    Checked check(byte[] bytes) {
        return instrumented(bytes, validated(bytes));
    }

    /** The binary's scan and parse, its imports and start function. */
    private WasmModule validated(byte[] bytes) {
        scan.check(bytes);
        WasmModule module = parse(bytes);
        checkImports(module);
        checkStart(module);
        return module;
    }

    /** The validated module instrumented for fuel metering, and parsed again as it will run. */
    private static Checked instrumented(byte[] bytes, WasmModule module) {
        MemoryLimits memory = module.memorySection()
                .filter(section -> section.memoryCount() > 0)
                .map(section -> section.getMemory(0).limits())
                .orElse(new MemoryLimits(0, 0));
        FuelInstrumenter.Instrumented instrumented = instrument(bytes, module);
        WasmModule metered;
        try {
            metered = Parser.parse(instrumented.bytes());
        } catch (RuntimeException e) {
            // A bug of ours rather than the tenant's, but still a module we cannot run: reject, never fail later.
            throw new ModuleRejected(Reason.MALFORMED, "module cannot be instrumented for fuel metering: "
                    + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
        }
        return new Checked(metered, memory.initialPages(), memory.maximumPages(), instrumented.definedFuelGlobal(),
                instrumented.bytes());
    }

    private static FuelInstrumenter.Instrumented instrument(byte[] bytes, WasmModule module) {
        try {
            return FuelInstrumenter.instrument(bytes, module);
        } catch (ModuleRejected e) {
            throw e;
        } catch (RuntimeException e) {
            throw new ModuleRejected(Reason.MALFORMED, "module cannot be instrumented for fuel metering: " + e);
        }
    }

    /** A deploy that passed every check: its spec (digest of the original bytes, deployed now) and its module. */
    record CheckedDeploy(FunctionSpec spec, Checked module) {}

    /**
     * The checks every registry runs before it changes anything, cheapest first: the size, then the spec (so that bad
     * limits fail before any parsing), then the module and its memory against the spec's cap.
     *
     * @throws ModuleRejected as {@link #check} and {@link #checkMemory}, or TOO_LARGE
     */
    CheckedDeploy checkDeploy(DeployRequest request, InstantSource clock) {
        byte[] bytes = request.module();
        DeployObserver observer = request.observer();
        record Valid(FunctionSpec spec, WasmModule module) {}
        Valid valid = DeployObserver.step(observer, DeployObserver.Step.VALIDATE, () -> {
            if (bytes.length > request.maxModuleBytes()) {
                throw new ModuleRejected(Reason.TOO_LARGE, "module is " + bytes.length
                        + " bytes (limit: " + request.maxModuleBytes() + " bytes)");
            }
            String digest = Digests.sha256(bytes);
            FunctionSpec spec = new FunctionSpec(request.tenant(), request.name(), digest, bytes.length,
                    request.memoryPages(), request.timeoutMs(), clock.instant(), request.fuel());
            return new Valid(spec, validated(bytes));
        });
        Checked checked = DeployObserver.step(observer, DeployObserver.Step.INSTRUMENT,
                () -> instrumented(bytes, valid.module()));
        checkMemory(checked, valid.spec().memoryPages());
        return new CheckedDeploy(valid.spec(), checked);
    }

    /** @throws ModuleRejected TOO_MUCH_MEMORY when the module could not even start within {@code capPages} */
    static void checkMemory(Checked module, int capPages) {
        if (module.initialPages() > capPages) {
            throw new ModuleRejected(Reason.TOO_MUCH_MEMORY, "module declares an initial memory of "
                    + module.initialPages() + " pages (limit: " + capPages + " pages of 64 KiB)");
        }
    }

    private static WasmModule parse(byte[] bytes) {
        try {
            return Parser.parse(bytes);
        } catch (RuntimeException | StackOverflowError | AssertionError e) {
            // Garbage can surface as Chicory's Malformed/InvalidException or as a JDK exception from deep in the
            // decoder (buffer underflow, bad UTF-8 ...); to the tenant it is all one thing. With Java assertions on
            // (-ea, as in the tests), Chicory's own consistency asserts fire on some malformed code before its
            // validator does (an else inside a block, found by the 100 000-mutant fuzz run). ModuleScan has bounded
            // every allocation the parser sizes from the binary, so an OutOfMemoryError here would be a bug of ours
            // and is left to surface as one.
            String reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            throw new ModuleRejected(Reason.MALFORMED, "not a valid WebAssembly module: " + reason);
        }
    }

    private void checkImports(WasmModule module) {
        List<Import> imports = module.importSection().stream().toList();
        for (Import imp : imports) {
            String what = imp.importType().name().toLowerCase(java.util.Locale.ROOT) + " import "
                    + imp.module() + "." + imp.name();
            if (!(imp instanceof FunctionImport function)) {
                throw new ModuleRejected(Reason.FORBIDDEN_IMPORT,
                        what + " is not allowed (only functions of " + WasiImports.MODULE + ")");
            }
            FunctionType provided = allowed.function(imp.module(), imp.name()).orElseThrow(() ->
                    new ModuleRejected(Reason.FORBIDDEN_IMPORT, what + " is not allowed (only the functions of "
                            + WasiImports.MODULE + " that the runtime implements)"));
            FunctionType declared = type(module, function.typeIndex(), what);
            if (!declared.typesMatch(provided)) {
                throw new ModuleRejected(Reason.FORBIDDEN_IMPORT,
                        what + " has type " + declared + " but WASI defines " + provided);
            }
        }
    }

    private static void checkStart(WasmModule module) {
        ExportSection exports = module.exportSection();
        for (int i = 0; i < exports.exportCount(); i++) {
            Export export = exports.getExport(i);
            if (!export.name().equals(Instance.START_FUNCTION_NAME)) {
                continue;
            }
            if (export.exportType() != ExternalType.FUNCTION) {
                break;
            }
            FunctionType type = functionType(module, export.index());
            if (!type.params().isEmpty() || !type.returns().isEmpty()) {
                throw new ModuleRejected(Reason.MALFORMED,
                        "the exported function _start must take and return nothing, but has type " + type);
            }
            return;
        }
        throw new ModuleRejected(Reason.MALFORMED,
                "module does not export a function _start (a WASI command entry point is required)");
    }

    // Chicory's parser leaves export and type indices unchecked until instantiation, so every lookup is bounded
    // here: an index out of range is a malformed module, never an IndexOutOfBoundsException (found by the fuzzer).
    private static FunctionType functionType(WasmModule module, int functionIndex) {
        int imported = module.importSection().count(ExternalType.FUNCTION);
        int defined = module.functionSection().functionCount();
        if (functionIndex < 0 || functionIndex >= imported + defined) {
            throw new ModuleRejected(Reason.MALFORMED, "_start is exported as function " + functionIndex
                    + ", but the module has " + (imported + defined) + " functions");
        }
        if (functionIndex < imported) {
            var function = (FunctionImport) module.importSection().stream()
                    .filter(imp -> imp instanceof FunctionImport).skip(functionIndex).findFirst().orElseThrow();
            return type(module, function.typeIndex(), "imported function " + functionIndex);
        }
        int typeIndex = module.functionSection().getFunctionType(functionIndex - imported);
        return type(module, typeIndex, "function " + functionIndex);
    }

    private static FunctionType type(WasmModule module, int typeIndex, String what) {
        int types = module.typeSection().subTypeCount();
        FunctionType type = typeIndex < 0 || typeIndex >= types ? null : module.typeSection().getType(typeIndex);
        if (type == null) { // out of range, or a struct or array type
            throw new ModuleRejected(Reason.MALFORMED, what + " has type " + typeIndex
                    + ", which is not a function type of the module's " + types + " types");
        }
        return type;
    }
}
