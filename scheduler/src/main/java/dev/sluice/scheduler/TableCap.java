package dev.sluice.scheduler;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.TableFactory;
import com.dylibso.chicory.runtime.TableInstance;
import com.dylibso.chicory.wasm.types.Table;
import com.dylibso.chicory.wasm.types.TableLimits;

/**
 * The table factory of one instance: gives each table its own limits and caps the elements of all the instance's
 * tables together, so {@code table.grow} past the cap returns -1 to the guest. Both matter because Chicory allocates
 * table elements eagerly on the host heap (two arrays of the table's size), and because its tables otherwise share
 * the module's {@link TableLimits} object, whose size {@code table.grow} mutates: one invocation's growth would
 * become the next invocation's initial size. Confined to the worker running the instance.
 */
final class TableCap implements TableFactory {
    private final long capElements;
    private long elements;

    TableCap(long capElements) {
        this.capElements = capElements;
    }

    @Override
    public TableInstance create(Table table, int initValue) {
        TableLimits declared = table.limits();
        // The deploy-time scan keeps the declared minimum within the cap; the max() guards a module from before it.
        long min = Math.min(declared.min(), capElements);
        elements += min;
        var own = new Table(table.elementType(), new TableLimits(min, Math.max(min, Math.min(declared.max(),
                capElements))), table.initialize());
        return new Capped(own, initValue);
    }

    private final class Capped extends TableInstance {
        Capped(Table table, int initValue) {
            super(table, initValue);
        }

        @Override
        public int grow(int size, int value, Instance instance) {
            if (size < 0 || elements + size > capElements) {
                return -1;
            }
            int old = super.grow(size, value, instance);
            if (old >= 0) {
                elements += size;
            }
            return old;
        }
    }
}
