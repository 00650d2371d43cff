package dev.sluice.deploy.terraform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.sluice.tenancy.testing.Hcl2Json;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The test's evaluator gives each construct the Sluice module uses the value Terraform gives it (the fixture
 * {@code evaluator/main.tf} states each one), so a comparison built on it compares what Terraform would apply.
 */
class EvaluatorTest {
    private static Evaluator ev;

    @BeforeAll
    static void parseTheFixture() throws URISyntaxException {
        Path dir = Path.of(EvaluatorTest.class.getResource("evaluator/main.tf").toURI()).getParent();
        TerraformModule module = TerraformModule.load(Hcl2Json.install(), dir).get(dir);
        ev = new Evaluator(module, Map.of(), source -> {
            throw new AssertionError("no modules here");
        });
    }

    @Test
    void templatesInterpolateNumbersAsTerraformPrintsThem() {
        assertEquals("a-sluice-20000", ev.local("interpolation").asText());
        assertEquals("20", ev.local("quotient").asText(), "20000 / 1000 prints as 20, not 20.0");
        assertEquals(8, ev.local("arithmetic").asLong(), "ceil(20000 / 3000) + 1");
        assertEquals("http://sluice:80", ev.local("formatted").asText());
    }

    @Test
    void conditionalsDirectivesAndNestedTemplatesPickTheirBranch() {
        assertEquals("no", ev.local("conditional").asText());
        assertEquals("", ev.local("nested").asText());
        assertEquals("off", ev.local("directive").asText());
        assertEquals("line\nsluice\t\"q\" ${not} 100%", ev.local("escaped").asText(), "escapes and $${");
        Evaluator on = ev.with(Map.of("flag", BooleanNode.TRUE, "name", TextNode.valueOf("kv")));
        assertEquals("yes", on.local("conditional").asText());
        assertEquals("x = kv\n", on.local("nested").asText());
        assertEquals("on", on.local("directive").asText());
    }

    @Test
    void anIndentedHeredocLosesItsCommonIndentAndKeepsItsLastNewline() {
        assertEquals("first = sluice\n  indented\n", ev.local("heredoc").asText());
    }

    @Test
    void objectsTuplesIndexesAndAttributesEvaluateToTheirValues() throws Exception {
        assertEquals("{\"a.b/c\":1,\"d\":\"f\"}", ev.local("merged").toString());
        assertEquals(1, ev.local("indexed").asInt());
        assertEquals(10, ev.local("attribute").asInt());
        assertEquals("[\"sluice\",20000,false]", ev.local("tuple").toString());
        assertEquals("sluice", ev.local("coalesced").asText());
        assertEquals(BooleanNode.TRUE, ev.local("checked"));
        assertEquals(java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest("sluice".getBytes(java.nio.charset.StandardCharsets.UTF_8))), ev.local("hash").asText());
    }

    @Test
    void aResourcesConfiguredAttributeIsItsValueAndAComputedOneIsUnknown() {
        assertEquals("v-sluice", ev.local("configured").asText(), "through the [0] of a count resource");
        JsonNode later = ev.local("known_later");
        assertTrue(Evaluator.unknown(later), "a template with a computed part is known after apply: " + later);
    }

    @Test
    void whatTheEvaluatorDoesNotCoverFailsInsteadOfGuessing() {
        AssertionError e = assertThrows(AssertionError.class, () -> ev.variable("missing"));
        assertTrue(e.getMessage().contains("no variable missing"), e.getMessage());
        AssertionError loop = assertThrows(AssertionError.class, () -> ev.local("looped"));
        assertTrue(loop.getMessage().contains("does not cover for"), loop.getMessage());
    }
}
