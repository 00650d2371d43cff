package dev.sluice.gateway;

import dev.sluice.gateway.core.QuotaReport;
import dev.sluice.gateway.http.ProblemException;
import dev.sluice.gateway.http.ProblemType;
import dev.sluice.gateway.metrics.SluiceMetrics;
import dev.sluice.gateway.wagi.CgiResponse;
import dev.sluice.gateway.wagi.WagiEnvironment;
import dev.sluice.tenancy.auth.KeyFormat;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The gateway's own steps of one {@code hello} invocation, each alone, without HTTP and without the sandbox: what
 * issue 12 cut on the request path outside the guest. Run with {@code gateway/bench -prof gc RequestPath}; compare
 * builds by running the same class against each (it uses only entry points that predate the changes).
 *
 * <ul>
 *   <li>{@code authenticate}: the presented key parsed and hashed ({@link KeyFormat#parse}), then remembered as
 *       working by the failed-authentication limiter ({@link AuthFailureLimiter#succeeded}).</li>
 *   <li>{@code metrics}: what {@code FunctionService} records per call: in flight up and down, queued, queue wait,
 *       the outcome, the duration and the fuel.</li>
 *   <li>{@code wagi}: the CGI environment from a typical request's headers, then the guest's stdout parsed as a CGI
 *       response and its {@code Vary} merged.</li>
 *   <li>{@code quotaHeaders}: the rate quota's {@code RateLimit-Policy} and {@code RateLimit} rendered, then the
 *       whole report's after admission (what an invocation renders).</li>
 *   <li>{@code invocationId}: a new {@code Sluice-Invocation-Id}.</li>
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class RequestPathBenchmark {
    private String key;
    private AuthFailureLimiter limiter;
    private SluiceMetrics metrics;
    private Map<String, List<String>> headers;
    private byte[] stdout;
    private QuotaReport rate;
    private QuotaReport admitted;

    @Setup(Level.Trial)
    public void setUp() {
        SecureRandom random = new SecureRandom();
        key = KeyFormat.format(KeyFormat.newId(random), KeyFormat.newSecret(random));
        limiter = new AuthFailureLimiter(System::nanoTime);
        metrics = SluiceMetrics.create(System::nanoTime);
        headers = new LinkedHashMap<>();
        headers.put("Host", List.of("127.0.0.1:8080"));
        headers.put("User-Agent", List.of("Java-http-client/25.0.3"));
        headers.put("Authorization", List.of("Bearer " + key));
        headers.put("Accept", List.of("*/*"));
        headers.put("X-Request-Id", List.of("b7c1e0f2"));
        stdout = "Content-Type: text/plain\r\n\r\nhello \n".getBytes(StandardCharsets.ISO_8859_1);
        rate = QuotaReport.none().plus(new QuotaReport.Item("rate", 200, 1, null, 199, 1));
        admitted = rate.plus(new QuotaReport.Item("concurrency", 16, 0, "concurrent-requests", 15, 0))
                .plus(new QuotaReport.Item("fuel-day", 10_000_000_000L, 86_400, "fuel", 9_999_000_000L, 40_000));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        metrics.close();
    }

    @Benchmark
    public Object authenticate() {
        Object parsed = KeyFormat.parse(key);
        limiter.succeeded(key);
        return parsed;
    }

    @Benchmark
    public void metrics() {
        long start = metrics.start();
        metrics.inFlight("acme", 1);
        SluiceMetrics.Queued queued = metrics.queued("acme");
        queued.started(1_000);
        metrics.inFlight("acme", -1);
        queued.ended();
        metrics.invoked("acme", SluiceMetrics.InvocationOutcomeKind.OK, 1234, start);
    }

    @Benchmark
    public void wagi(Blackhole hole) {
        hole.consume(WagiEnvironment.of("GET", "/v1/functions/hello/invoke", "/", null, "", 0, "127.0.0.1", 8080,
                "127.0.0.1", headers));
        CgiResponse response = CgiResponse.parse(stdout);
        hole.consume(response);
        hole.consume(FunctionResponses.vary(List.of()));
    }

    @Benchmark
    public Object quotaHeaders() {
        QuotaHeaders.applyTo(ProblemException.of(ProblemType.RATE_LIMITED, "x"), rate);
        return QuotaHeaders.applyTo(ProblemException.of(ProblemType.RATE_LIMITED, "x"), admitted);
    }

    @Benchmark
    public String invocationId() {
        return LogService.newInvocationId();
    }
}
