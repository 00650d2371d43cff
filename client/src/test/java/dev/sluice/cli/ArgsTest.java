package dev.sluice.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ArgsTest {
    private static Args parse(String... tokens) {
        return Args.parse("invoke", List.of(tokens), Set.of("--data", "--header", "--days"), Set.of("--json"),
                Map.of("-d", "--data", "-H", "--header"));
    }

    @Test
    void optionsGoAnywhereRepeatAndTakeInlineValues() {
        Args args = parse("-H", "A: 1", "hello", "--data=x=y", "--json", "-H", "B: 2", "--", "--not-an-option");
        assertEquals(List.of("hello", "--not-an-option"), args.positionals());
        assertEquals(List.of("A: 1", "B: 2"), args.values("--header"));
        assertEquals("x=y", args.value("--data").orElseThrow());
        assertTrue(args.flag("--json"));
    }

    @Test
    void wrongUseIsAUsageErrorSayingWhat() {
        assertEquals("unknown option --nope for invoke",
                assertThrows(UsageError.class, () -> parse("--nope")).getMessage());
        assertEquals("--data: needs a value", assertThrows(UsageError.class, () -> parse("--data")).getMessage());
        assertEquals("--days: 0 (expected: 1..62)", assertThrows(UsageError.class,
                () -> parse("--days", "0").intValue("--days", 1, 62)).getMessage());
        assertEquals("--days: abc (expected: a whole number)", assertThrows(UsageError.class,
                () -> parse("--days", "abc").intValue("--days", 1, 62)).getMessage());
        assertEquals("missing NAME", assertThrows(UsageError.class, () -> parse().positional(0, "NAME")).getMessage());
        assertEquals("unexpected argument b", assertThrows(UsageError.class,
                () -> parse("a", "b").atMost(1)).getMessage());
    }
}
