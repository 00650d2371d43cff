package dev.sluice.gateway.tracing;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.DoubleCounterBuilder;
import io.opentelemetry.api.metrics.DoubleGaugeBuilder;
import io.opentelemetry.api.metrics.DoubleHistogramBuilder;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.LongCounterBuilder;
import io.opentelemetry.api.metrics.LongUpDownCounterBuilder;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.metrics.MeterBuilder;
import io.opentelemetry.api.metrics.MeterProvider;
import io.opentelemetry.api.metrics.ObservableLongCounter;
import io.opentelemetry.api.metrics.ObservableLongMeasurement;
import io.opentelemetry.context.Context;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/**
 * The span processor's own telemetry, reduced to the one number an operator needs: how many ended spans the full
 * export queue dropped. Given to the batch processor as its meter provider (legacy internal telemetry, pinned in
 * {@link Tracing}: the counter {@code processedSpans} with {@code dropped=true}); every other instrument is a no-op.
 * Read by {@code sluice.trace.spans.dropped} at each scrape. Thread-safe: one adder.
 */
final class DroppedSpans implements MeterProvider {
    private static final String PROCESSED = "processedSpans";
    private static final AttributeKey<Boolean> DROPPED = AttributeKey.booleanKey("dropped");

    private final LongAdder dropped = new LongAdder();
    private final Meter noop = MeterProvider.noop().get("dev.sluice.gateway.tracing");

    long dropped() {
        return dropped.sum();
    }

    @Override
    public MeterBuilder meterBuilder(String name) {
        return new MeterBuilder() {
            @Override
            public MeterBuilder setSchemaUrl(String url) {
                return this;
            }

            @Override
            public MeterBuilder setInstrumentationVersion(String version) {
                return this;
            }

            @Override
            public Meter build() {
                return new DropMeter();
            }
        };
    }

    private final class DropMeter implements Meter {
        @Override
        public LongCounterBuilder counterBuilder(String name) {
            LongCounterBuilder next = noop.counterBuilder(name);
            return !name.equals(PROCESSED) ? next : new LongCounterBuilder() {
                @Override
                public LongCounterBuilder setDescription(String description) {
                    return this;
                }

                @Override
                public LongCounterBuilder setUnit(String unit) {
                    return this;
                }

                @Override
                public DoubleCounterBuilder ofDoubles() {
                    return next.ofDoubles();
                }

                @Override
                public LongCounter build() {
                    return new Counter();
                }

                @Override
                public ObservableLongCounter buildWithCallback(Consumer<ObservableLongMeasurement> callback) {
                    return next.buildWithCallback(callback);
                }
            };
        }

        @Override
        public LongUpDownCounterBuilder upDownCounterBuilder(String name) {
            return noop.upDownCounterBuilder(name);
        }

        @Override
        public DoubleHistogramBuilder histogramBuilder(String name) {
            return noop.histogramBuilder(name);
        }

        @Override
        public DoubleGaugeBuilder gaugeBuilder(String name) {
            return noop.gaugeBuilder(name);
        }
    }

    private final class Counter implements LongCounter {
        @Override
        public void add(long value) {
            // Without attributes: not a drop.
        }

        @Override
        public void add(long value, Attributes attributes) {
            if (Boolean.TRUE.equals(attributes.get(DROPPED))) {
                dropped.add(value);
            }
        }

        @Override
        public void add(long value, Attributes attributes, Context context) {
            add(value, attributes);
        }
    }
}
