package dev.sluice.deploy.terraform;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.POJONode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.sluice.tenancy.testing.Hcl2Json.Expression;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Evaluates a Terraform module's expressions for given variable values, from the syntax trees HashiCorp's parser
 * gives (hcl2json): enough of Terraform's language to compute the objects the Sluice module declares, so a test can
 * compare them with kustomize's, and to run its validation conditions.
 *
 * <p>Covered: literals; strings, heredocs and templates with interpolations and {@code %{if}} directives;
 * {@code var.}, {@code local.}, {@code path.module}; a resource's or module call's attributes as written in its
 * configuration ({@code kubernetes_secret_v1.sluice.metadata[0].name}, the {@code [0]} of a {@code count} resource
 * skipped) and a called module's outputs; object and tuple constructors; index and attribute access; the conditional;
 * arithmetic, comparison and logic operators; the functions listed in {@link #call}. An attribute that only the
 * provider knows after apply ({@code random_password.x.result}, a Service's {@code status}) evaluates to
 * {@link #UNKNOWN}-like values that spread through any expression using them.
 *
 * <p>Not covered (fails naming what it met): {@code for} expressions, splats, {@code each.}/{@code count.},
 * data sources, functions not listed, variable type conversion (a variable's value is used as given: no
 * {@code optional()} defaults are filled in), and Terraform's exact number formatting beyond whole numbers.
 */
final class Evaluator {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final Set<String> META_ARGUMENTS = Set.of("count", "for_each", "depends_on", "lifecycle",
            "provider", "providers", "source", "version");

    /** A value known only after apply. */
    record Unknown(String accessor) {
    }

    private final TerraformModule module;
    private final Map<String, JsonNode> inputs;
    private final Function<String, TerraformModule> children;
    private final Map<String, JsonNode> localCache = new HashMap<>();

    /**
     * @param inputs   variable values (evaluated); a variable without one takes its default
     * @param children the module a module call's {@code source} names, by that source
     */
    Evaluator(TerraformModule module, Map<String, JsonNode> inputs, Function<String, TerraformModule> children) {
        this.module = module;
        this.inputs = Map.copyOf(inputs);
        this.children = children;
    }

    static boolean unknown(JsonNode value) {
        return value instanceof POJONode p && p.getPojo() instanceof Unknown;
    }

    static JsonNode unknownValue(String accessor) {
        return new POJONode(new Unknown(accessor));
    }

    /** A copy with some variables set. */
    Evaluator with(Map<String, JsonNode> more) {
        Map<String, JsonNode> all = new HashMap<>(inputs);
        all.putAll(more);
        return new Evaluator(module, all, children);
    }

    JsonNode variable(String name) {
        if (inputs.containsKey(name)) {
            return inputs.get(name);
        }
        JsonNode declared = module.variables.get(name);
        if (declared == null) {
            throw new AssertionError(module + ": no variable " + name);
        }
        if (!declared.has("default")) {
            throw new AssertionError(module + ": variable " + name + " has no default and no value was given");
        }
        return value(declared.get("default"));
    }

    JsonNode local(String name) {
        JsonNode cached = localCache.get(name);
        if (cached != null) {
            return cached;
        }
        JsonNode raw = module.locals.get(name);
        if (raw == null) {
            throw new AssertionError(module + ": no local " + name);
        }
        JsonNode v = value(raw);
        localCache.put(name, v);
        return v;
    }

    JsonNode output(String name) {
        JsonNode o = module.outputs.get(name);
        if (o == null) {
            throw new AssertionError(module + ": no output " + name);
        }
        return value(o.get("value"));
    }

    /** A resource's configuration, evaluated, without meta-arguments. */
    ObjectNode resource(String type, String name) {
        ObjectNode out = NODES.objectNode();
        module.resource(type, name).properties().forEach(e -> {
            if (!META_ARGUMENTS.contains(e.getKey())) {
                out.set(e.getKey(), value(e.getValue()));
            }
        });
        return out;
    }

    /** Whether a variable's validation number {@code index} holds for this evaluator's variable values. */
    boolean validation(String variable, int index) {
        JsonNode v = module.variables.get(variable).get("validation").get(index);
        JsonNode result = value(v.get("condition"));
        if (!result.isBoolean()) {
            throw new AssertionError(variable + ": validation " + index + " is not a bool: " + result);
        }
        return result.asBoolean();
    }

    /** Evaluates one of hcl2json's values: a JSON literal, an object or array of values, or an expression's text. */
    JsonNode value(JsonNode raw) {
        if (raw.isObject()) {
            ObjectNode out = NODES.objectNode();
            raw.properties().forEach(e -> out.set(e.getKey(), value(e.getValue())));
            return out;
        }
        if (raw.isArray()) {
            ArrayNode out = NODES.arrayNode();
            raw.forEach(e -> out.add(value(e)));
            return out;
        }
        if (raw.isTextual()) {
            Optional<Expression> e = module.parsed.expression(raw.asText());
            if (e.isPresent()) {
                JsonNode v = eval(e.get(), e.get().ast());
                if (e.get().trim()) {
                    if (unknown(v)) {
                        return v;
                    }
                    String s = v.asText();
                    if (!s.endsWith("\n")) {
                        throw new AssertionError("heredoc without its final newline: " + raw.asText());
                    }
                    return TextNode.valueOf(s.substring(0, s.length() - 1));
                }
                return v;
            }
            return raw;
        }
        return number(raw);
    }

    private JsonNode eval(Expression x, JsonNode n) {
        String type = n.path("type").asText();
        JsonNode meta = n.path("meta");
        List<JsonNode> kids = new ArrayList<>();
        n.path("children").forEach(kids::add);
        return switch (type) {
            case "literalValue" -> literal(meta);
            case "templateWrap", "" -> kids.size() == 1 ? eval(x, kids.get(0)) : unsupported(x, n);
            case "template" -> template(x, kids, meta.path("value").asText().startsWith("\""));
            case "scopeTraversal" -> traversal(meta);
            case "relativeTraversal" -> navigate(eval(x, kids.get(0)), segments(meta.get("traversal"), 0),
                    meta.get("value").asText());
            case "index" -> index(eval(x, kids.get(0)), eval(x, kids.get(1)), meta.get("value").asText());
            case "conditional" -> {
                JsonNode c = eval(x, kids.get(0));
                if (unknown(c)) {
                    yield c;
                }
                if (!c.isBoolean()) {
                    throw new AssertionError("condition is not a bool: " + meta.get("value").asText());
                }
                if (c.asBoolean()) {
                    yield eval(x, kids.get(1));
                }
                yield kids.size() > 2 ? eval(x, kids.get(2)) : TextNode.valueOf("");
            }
            case "binaryOp" -> binary(meta.get("operator").asText(), x, kids, meta.get("value").asText());
            case "unaryOp" -> {
                JsonNode v = eval(x, kids.get(0));
                if (unknown(v)) {
                    yield v;
                }
                yield switch (meta.get("operator").asText()) {
                    case "logicalNot" -> BooleanNode.valueOf(!v.asBoolean());
                    case "negate" -> number(decimal(v).negate());
                    default -> unsupported(x, n);
                };
            }
            case "function" -> call(meta.get("name").asText(), x, kids, meta.get("value").asText());
            case "object" -> {
                ObjectNode out = NODES.objectNode();
                for (int i = 0; i + 1 < kids.size(); i += 2) {
                    JsonNode key = kids.get(i);
                    String name = key.path("children").isEmpty() ? x.text(key) : eval(x, key).asText();
                    out.set(name, eval(x, kids.get(i + 1)));
                }
                yield out;
            }
            case "tuple" -> {
                ArrayNode out = NODES.arrayNode();
                kids.forEach(k -> out.add(eval(x, k)));
                yield out;
            }
            default -> unsupported(x, n);
        };
    }

    private static JsonNode unsupported(Expression x, JsonNode n) {
        throw new AssertionError("the test's evaluator does not cover " + n.path("type").asText("?") + " in: "
                + x.source());
    }

    private static JsonNode literal(JsonNode meta) {
        String value = meta.get("value").asText();
        return switch (meta.get("type").asText()) {
            case "string" -> TextNode.valueOf(value);
            case "number" -> number(new BigDecimal(value));
            case "bool" -> BooleanNode.valueOf(Boolean.parseBoolean(value));
            default -> NullNode.getInstance();
        };
    }

    /**
     * A template's parts joined. The parser gives a literal part as its source text: in a quoted template its escapes
     * ({@code \\n}, {@code \\"}, ...) are decoded here; in both kinds {@code $${} and {@code %%{} stand for
     * {@code ${} and {@code %{}.
     */
    private JsonNode template(Expression x, List<JsonNode> parts, boolean quoted) {
        StringBuilder out = new StringBuilder();
        for (JsonNode part : parts) {
            if (part.path("type").asText().equals("literalValue") && part.at("/meta/type").asText().equals("string")) {
                String raw = part.at("/meta/value").asText();
                out.append((quoted ? unescape(raw) : raw).replace("$${", "${").replace("%%{", "%{"));
                continue;
            }
            JsonNode v = eval(x, part);
            if (unknown(v)) {
                return v;
            }
            out.append(text(v, x.source()));
        }
        return TextNode.valueOf(out.toString());
    }

    private static String unescape(String raw) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c != '\\' || i + 1 == raw.length()) {
                out.append(c);
                continue;
            }
            char e = raw.charAt(++i);
            switch (e) {
                case 'n' -> out.append('\n');
                case 'r' -> out.append('\r');
                case 't' -> out.append('\t');
                case '"' -> out.append('"');
                case '\\' -> out.append('\\');
                case 'u' -> {
                    out.append((char) Integer.parseInt(raw.substring(i + 1, i + 5), 16));
                    i += 4;
                }
                default -> throw new AssertionError("the test's evaluator does not cover the escape \\" + e);
            }
        }
        return out.toString();
    }

    private static String text(JsonNode v, String where) {
        if (v.isTextual()) {
            return v.asText();
        }
        if (v.isNumber()) {
            return decimal(v).stripTrailingZeros().toPlainString();
        }
        if (v.isBoolean()) {
            return v.asText();
        }
        throw new AssertionError("cannot turn " + v + " into a string in: " + where);
    }

    private JsonNode traversal(JsonNode meta) {
        List<String> seg = segments(meta.get("traversal"), 0);
        String accessor = meta.get("value").asText();
        String root = seg.get(0);
        switch (root) {
            case "var":
                return navigate(variable(seg.get(1)), seg.subList(2, seg.size()), accessor);
            case "local":
                return navigate(local(seg.get(1)), seg.subList(2, seg.size()), accessor);
            case "path":
                if (seg.get(1).equals("module")) {
                    return navigate(TextNode.valueOf(module.dir.toString()), seg.subList(2, seg.size()), accessor);
                }
                break;
            case "module":
                return navigate(moduleOutput(seg.get(1), seg.get(2)), seg.subList(3, seg.size()), accessor);
            default:
                Map<String, JsonNode> ofType = module.resources.get(root);
                if (ofType != null && seg.size() > 1 && ofType.containsKey(seg.get(1))) {
                    JsonNode block = ofType.get(seg.get(1));
                    int from = 2;
                    if (block.has("count") && seg.size() > 2 && seg.get(2).startsWith("[")) {
                        from = 3; // the one instance of a count resource the module refers to
                    }
                    return navigateRaw(block, seg.subList(from, seg.size()), accessor);
                }
        }
        throw new AssertionError("the test's evaluator cannot resolve " + accessor + " in " + module);
    }

    private JsonNode moduleOutput(String call, String output) {
        JsonNode block = module.modules.get(call);
        if (block == null) {
            throw new AssertionError(module + ": no module " + call);
        }
        TerraformModule child = children.apply(block.get("source").asText());
        Map<String, JsonNode> args = new HashMap<>();
        block.properties().forEach(e -> {
            if (!META_ARGUMENTS.contains(e.getKey())) {
                args.put(e.getKey(), value(e.getValue()));
            }
        });
        return new Evaluator(child, args, children).output(output);
    }

    /** Traversal segments: names as they are, indexes as "[text]". */
    private static List<String> segments(JsonNode traversal, int from) {
        List<String> out = new ArrayList<>();
        for (int i = from; i < traversal.size(); i++) {
            JsonNode t = traversal.get(i);
            String s = t.get("segment").asText();
            out.add(t.get("type").asText().equals("indexTraversal") ? "[" + s + "]" : s);
        }
        return out;
    }

    /** Walks a resource's raw configuration, evaluating only what the path reaches. */
    private JsonNode navigateRaw(JsonNode raw, List<String> path, String accessor) {
        JsonNode current = raw;
        for (int i = 0; i < path.size(); i++) {
            if (current.isTextual() && module.parsed.expression(current.asText()).isPresent()) {
                return navigate(value(current), path.subList(i, path.size()), accessor);
            }
            current = step(current, path.get(i));
            if (current == null) {
                return unknownValue(accessor); // an attribute the provider computes
            }
        }
        return value(current);
    }

    private static JsonNode navigate(JsonNode value, List<String> path, String accessor) {
        JsonNode current = value;
        for (String s : path) {
            if (unknown(current)) {
                return current;
            }
            current = step(current, s);
            if (current == null) {
                throw new AssertionError(accessor + ": no " + s + " in the value");
            }
        }
        return current;
    }

    private static JsonNode step(JsonNode current, String segment) {
        if (segment.startsWith("[")) {
            String key = segment.substring(1, segment.length() - 1);
            if (key.startsWith("\"")) {
                return current.get(key.substring(1, key.length() - 1));
            }
            return current.isArray() ? current.get(Integer.parseInt(key)) : current.get(key);
        }
        return current.isObject() ? current.get(segment) : null;
    }

    private static JsonNode index(JsonNode collection, JsonNode key, String accessor) {
        if (unknown(collection) || unknown(key)) {
            return unknown(collection) ? collection : key;
        }
        JsonNode v = collection.isArray() ? collection.get(key.asInt()) : collection.get(key.asText());
        if (v == null) {
            throw new AssertionError(accessor + ": no element " + key);
        }
        return v;
    }

    private JsonNode binary(String op, Expression x, List<JsonNode> kids, String where) {
        JsonNode a = eval(x, kids.get(0));
        if (op.equals("logicalAnd") && a.isBoolean() && !a.asBoolean()) {
            return BooleanNode.FALSE;
        }
        if (op.equals("logicalOr") && a.isBoolean() && a.asBoolean()) {
            return BooleanNode.TRUE;
        }
        JsonNode b = eval(x, kids.get(1));
        if (unknown(a) || unknown(b)) {
            return unknown(a) ? a : b;
        }
        return switch (op) {
            case "equal" -> BooleanNode.valueOf(same(a, b));
            case "notEqual" -> BooleanNode.valueOf(!same(a, b));
            case "logicalAnd", "logicalOr" -> b;
            case "add" -> number(decimal(a).add(decimal(b)));
            case "subtract" -> number(decimal(a).subtract(decimal(b)));
            case "multiply" -> number(decimal(a).multiply(decimal(b)));
            case "divide" -> number(decimal(a).divide(decimal(b), MathContext.DECIMAL64));
            case "modulo" -> number(decimal(a).remainder(decimal(b)));
            case "greaterThan" -> BooleanNode.valueOf(decimal(a).compareTo(decimal(b)) > 0);
            case "greaterThanOrEqual" -> BooleanNode.valueOf(decimal(a).compareTo(decimal(b)) >= 0);
            case "lessThan" -> BooleanNode.valueOf(decimal(a).compareTo(decimal(b)) < 0);
            case "lessThanOrEqual" -> BooleanNode.valueOf(decimal(a).compareTo(decimal(b)) <= 0);
            default -> throw new AssertionError("the test's evaluator does not cover the operator " + op + " in: "
                    + where);
        };
    }

    private static boolean same(JsonNode a, JsonNode b) {
        if (a.isNumber() && b.isNumber()) {
            return decimal(a).compareTo(decimal(b)) == 0;
        }
        return a.equals(b);
    }

    /**
     * The functions the Sluice module and its example use: merge, sha256, ceil, floor, format (%s and %d), coalesce,
     * tostring, can, regex, contains, keys, length, join.
     */
    private JsonNode call(String name, Expression x, List<JsonNode> kids, String where) {
        if (name.equals("can")) {
            try {
                JsonNode v = eval(x, kids.get(0));
                return unknown(v) ? v : BooleanNode.TRUE;
            } catch (FunctionError e) {
                return BooleanNode.FALSE;
            }
        }
        List<JsonNode> args = new ArrayList<>();
        for (JsonNode k : kids) {
            JsonNode v = eval(x, k);
            if (unknown(v) && !name.equals("coalesce")) {
                return v;
            }
            args.add(v);
        }
        switch (name) {
            case "merge": {
                ObjectNode out = NODES.objectNode();
                args.forEach(a -> out.setAll((ObjectNode) a));
                return out;
            }
            case "sha256":
                try {
                    return TextNode.valueOf(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                            .digest(args.get(0).asText().getBytes(StandardCharsets.UTF_8))));
                } catch (NoSuchAlgorithmException e) {
                    throw new AssertionError(e);
                }
            case "ceil":
                return number(decimal(args.get(0)).setScale(0, RoundingMode.CEILING));
            case "floor":
                return number(decimal(args.get(0)).setScale(0, RoundingMode.FLOOR));
            case "format": {
                String f = args.get(0).asText();
                StringBuilder out = new StringBuilder();
                int arg = 1;
                for (int i = 0; i < f.length(); i++) {
                    char c = f.charAt(i);
                    if (c == '%' && i + 1 < f.length() && (f.charAt(i + 1) == 's' || f.charAt(i + 1) == 'd')) {
                        out.append(text(args.get(arg++), where));
                        i++;
                    } else {
                        out.append(c);
                    }
                }
                return TextNode.valueOf(out.toString());
            }
            case "coalesce":
                for (JsonNode a : args) {
                    if (unknown(a)) {
                        return a;
                    }
                    if (!a.isNull() && !(a.isTextual() && a.asText().isEmpty())) {
                        return a;
                    }
                }
                throw new FunctionError("coalesce: no non-null, non-empty argument in " + where);
            case "tostring":
                return TextNode.valueOf(text(args.get(0), where));
            case "regex": {
                Matcher m = Pattern.compile(args.get(0).asText()).matcher(args.get(1).asText());
                if (!m.find()) {
                    throw new FunctionError("regex: no match in " + where);
                }
                return TextNode.valueOf(m.group());
            }
            case "contains": {
                for (JsonNode e : args.get(0)) {
                    if (same(e, args.get(1))) {
                        return BooleanNode.TRUE;
                    }
                }
                return BooleanNode.FALSE;
            }
            case "keys": {
                ArrayNode out = NODES.arrayNode();
                args.get(0).fieldNames().forEachRemaining(out::add);
                return out;
            }
            case "length":
                return LongNode.valueOf(args.get(0).isTextual() ? args.get(0).asText().length() : args.get(0).size());
            case "join": {
                List<String> parts = new ArrayList<>();
                for (int i = 1; i < args.size(); i++) {
                    args.get(i).forEach(p -> parts.add(text(p, where)));
                }
                return TextNode.valueOf(String.join(args.get(0).asText(), parts));
            }
            default:
                throw new AssertionError("the test's evaluator does not cover the function " + name + " in: " + where);
        }
    }

    /** A Terraform function's error, which can() turns into false. */
    static final class FunctionError extends AssertionError {
        FunctionError(String message) {
            super(message);
        }
    }

    private static BigDecimal decimal(JsonNode v) {
        if (!v.isNumber()) {
            if (v.isTextual()) {
                try {
                    return new BigDecimal(v.asText());
                } catch (NumberFormatException e) {
                    throw new FunctionError("not a number: " + v);
                }
            }
            throw new FunctionError("not a number: " + v);
        }
        return v.decimalValue();
    }

    private static JsonNode number(JsonNode v) {
        return v.isNumber() ? number(v.decimalValue()) : v;
    }

    /** Whole numbers as longs, so that they print and compare as Kubernetes' integers do. */
    private static JsonNode number(BigDecimal d) {
        BigDecimal s = d.stripTrailingZeros();
        if (s.scale() <= 0 && s.abs().compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) < 0) {
            return LongNode.valueOf(s.longValueExact());
        }
        return NODES.numberNode(s);
    }
}
