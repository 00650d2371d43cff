package dev.sluice.scheduler.wasi;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.WasmRuntimeException;
import com.dylibso.chicory.wasi.WasiPreview1;
import dev.sluice.scheduler.fuel.FuelMeter;
import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The WASI functions one invocation's guest gets: Chicory's, except where a guest-chosen pointer or length could
 * make the host allocate or work beyond what the guest's memory, its stdin and its output cap allow. Those are
 * checked first ({@link PointerChecks}) or replaced ({@link Stdio} for {@code fd_read}/{@code fd_write},
 * {@link PollOneoff}). docs/sandbox.md lists each function, its limit and what an attack gets.
 *
 * <p>Every function is also wrapped so that a runtime exception the guest's arguments provoke inside the host
 * ({@code NegativeArraySizeException}, an index or buffer out of bounds) becomes a {@link GuestFault}: the guest's
 * trap, not a host error. Confined to the thread running the invocation.
 */
public final class WasiHost {
    private WasiHost() {}

    /**
     * @param wasi     Chicory's WASI for this invocation, built with {@link Stdio#stdin()} as its stdin
     * @param stdio    the guest's standard streams, the same ones {@code wasi} was given
     * @param args     the arguments {@code wasi} was given
     * @param env      the environment {@code wasi} was given
     * @param fuel     the invocation's meter, charged for sleeping
     * @param clock    the clock {@code wasi} was given
     * @param nanoTime monotonic nanoseconds, as Chicory's monotonic clock reads them
     */
    public static HostFunction[] functions(WasiPreview1 wasi, Stdio stdio, List<String> args, Map<String, String> env,
                                           FuelMeter fuel, Clock clock, LongSupplier nanoTime) {
        PointerChecks checks = PointerChecks.of(args, env);
        PollOneoff poll = new PollOneoff(stdio, fuel, clock, nanoTime);
        HostFunction[] chicory = wasi.toHostFunctions();
        HostFunction[] functions = new HostFunction[chicory.length];
        for (int i = 0; i < chicory.length; i++) {
            HostFunction f = chicory[i];
            HostFunction safe = switch (f.name()) {
                case "fd_read" -> stdio.fdRead(f);
                case "fd_write" -> stdio.fdWrite(f);
                case "fd_close" -> stdio.fdClose(f);
                case "fd_renumber" -> stdio.fdRenumber(f);
                case "poll_oneoff" -> poll.wrap(f);
                default -> checks.guard(f);
            };
            functions[i] = guestFaults(safe);
        }
        return functions;
    }

    private static HostFunction guestFaults(HostFunction f) {
        return new HostFunction(f.module(), f.name(), f.functionType(), (instance, args) -> {
            try {
                return f.handle().apply(instance, args);
            } catch (NegativeArraySizeException | IndexOutOfBoundsException | BufferOverflowException
                     | BufferUnderflowException | IllegalArgumentException e) {
                throw new GuestFault(f.name() + ": the guest's arguments are out of range (" + e + ")", e);
            } catch (WasmRuntimeException e) {
                // Chicory's out-of-bounds memory access or unsupported call: the guest's doing, named by function.
                throw new GuestFault(f.name() + ": " + e.getMessage(), e);
            }
        });
    }
}
