package dev.sluice.gateway.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.gateway.console.ConsoleServer.Reply;
import dev.sluice.scheduler.testing.TestModules;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The admin console in a real browser (Debian's headless chromium through its chromedriver, driven by Selenium)
 * against a real Sluice: what a provider does with it, step by step, checked on the page and through the API.
 *
 * <p>Steps that read the endpoints added for the console ({@code /admin/v1/usage}, {@code .../functions},
 * {@code /admin/v1/stats}) check their data where the server has them, and otherwise that the page degrades to the
 * problem's line. {@code -Dconsole.screenshots=DIR} saves each page as {@code DIR/console-<page>.png} (the docs'
 * pictures; CI leaves them alone).
 */
class ConsoleBrowserTest {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    private static final String XSS_NAME = "<img src=x onerror=alert(1)>";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dataDir;
    @TempDir
    Path profile;
    ConsoleServer server;
    ChromeDriver browser;
    WebDriverWait wait;

    @BeforeEach
    void start() {
        assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
                "skipped: the browser test needs Debian's chromium and chromium-driver (apt-get install -y chromium "
                        + "chromium-driver; .ci/run installs them)");
        server = ConsoleServer.start(dataDir);
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                "--window-size=1280,900", "--user-data-dir=" + profile);
        // The browser's console, to find CSP violations and uncaught errors at the end.
        options.setCapability("goog:loggingPrefs", Map.of("browser", "ALL"));
        // The driver named here: Selenium Manager (which would download one) is never asked.
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
        browser = new ChromeDriver(service, options);
        wait = new WebDriverWait(browser, Duration.ofSeconds(15), Duration.ofMillis(50));
    }

    @AfterEach
    void stop() {
        if (browser != null) {
            browser.quit();
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void aProviderRunsATenantFromTheConsole() throws IOException {
        boolean usageSummary = exists("/admin/v1/usage?days=1");
        boolean tenantFunctions = exists("/admin/v1/tenants/nobody/functions");
        boolean stats = exists("/admin/v1/stats");

        // 1. Sign in: a wrong token first shows the problem's title and keeps nothing.
        browser.get(server.base() + "/admin/ui/");
        WebElement token = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("token")));
        token.sendKeys("not-the-admin-token");
        browser.findElement(By.cssSelector("#login-form button[type=submit]")).click();
        wait.until(ExpectedConditions.textToBe(By.id("login-error"), "Missing or invalid credentials"));
        screenshot("login");
        assertNull(js("return sessionStorage.getItem('sluice-admin-token')"));
        token.clear();
        token.sendKeys(ConsoleServer.ADMIN_TOKEN);
        browser.findElement(By.cssSelector("#login-form button[type=submit]")).click();
        heading("Tenants");
        assertEquals(ConsoleServer.ADMIN_TOKEN, js("return sessionStorage.getItem('sluice-admin-token')"));
        assertEquals(0L, js("return localStorage.length"), "never in local storage");
        assertEquals("", js("return document.cookie"), "never in a cookie");

        // 2. Plans: create one, then edit it; the API sees both.
        browser.findElement(By.cssSelector("#nav a[data-page=plans]")).click();
        heading("Plans");
        browser.findElement(By.id("plan-name")).sendKeys("starter");
        browser.findElement(By.id("limit-requests-per-second")).sendKeys("100");
        browser.findElement(By.id("limit-burst")).sendKeys("200");
        browser.findElement(By.id("limit-invocations-per-day")).sendKeys("100000");
        browser.findElement(By.cssSelector("#plan-form button[type=submit]")).click();
        statusShown("Plan starter created");
        assertEquals(100, server.admin("GET", "/admin/v1/plans/starter", null).json()
                .at("/limits/requests-per-second").asLong());
        browser.findElement(By.cssSelector("button[data-action=edit][data-plan=starter]")).click();
        WebElement maxFunctions = browser.findElement(By.id("limit-max-functions"));
        maxFunctions.clear();
        maxFunctions.sendKeys("7");
        browser.findElement(By.cssSelector("#plan-form button[type=submit]")).click();
        statusShown("Plan starter saved");
        JsonNode starter = server.admin("GET", "/admin/v1/plans/starter", null).json();
        assertEquals(7, starter.at("/limits/max-functions").asLong());
        assertEquals(100, starter.at("/limits/requests-per-second").asLong(), "the edit kept the other limits");
        assertTrue(browser.findElement(By.id("plans-list")).getText().contains("starter"));
        screenshot("plans");

        // 3. Tenants: create acme on the plan; the console goes to its page.
        browser.findElement(By.cssSelector("#nav a[data-page=tenants]")).click();
        heading("Tenants");
        WebElement tenantName = browser.findElement(By.id("new-tenant"));
        tenantName.sendKeys("Bad_Name");
        assertEquals(false, js("return document.getElementById('new-tenant').checkValidity()"),
                "the form checks names as the server does");
        tenantName.clear();
        tenantName.sendKeys("acme");
        new Select(browser.findElement(By.id("new-tenant-plan"))).selectByValue("starter");
        browser.findElement(By.xpath("//button[text()='Create tenant']")).click();
        heading("Tenant acme");
        assertEquals("starter", server.admin("GET", "/admin/v1/tenants/acme", null).json().get("plan").asText());

        // 4. Issue a key whose name is markup: shown once, as text, and no element is made of it.
        browser.findElement(By.id("key-name")).sendKeys(XSS_NAME);
        browser.findElement(By.xpath("//button[text()='Issue key']")).click();
        WebElement shown = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("new-key")));
        String key = shown.getDomProperty("value");
        assertTrue(key.startsWith("sluice_sk_"), key);
        assertTrue(browser.findElement(By.id("new-key-warning")).getText().contains("shown only once"));
        wait.until(d -> d.findElements(By.xpath("//table[caption[starts-with(text(), 'Keys')]]//td"))
                .stream().anyMatch(td -> td.getText().equals(XSS_NAME)));
        assertNoMarkupFrom();

        // 5. The tenant uses the key (java.net.http): deploys two functions, invokes them; one always fails.
        assertEquals(201, server.call("PUT", "/v1/functions/hello", key, TestModules.load("hello"),
                "application/wasm").status());
        assertEquals(201, server.call("PUT", "/v1/functions/failing", key, TestModules.load("exit-code"),
                "application/wasm").status());
        for (int i = 0; i < 5; i++) {
            assertEquals(200, server.call("POST", "/v1/functions/hello/invoke", key, "hi".getBytes(),
                    "text/plain").status());
        }
        for (int i = 0; i < 2; i++) {
            assertEquals(502, server.call("POST", "/v1/functions/failing/invoke", key, null, null).status());
        }

        // 6. A reload keeps the page (hash route) and the session; the chart shows the usage.
        browser.navigate().refresh();
        heading("Tenant acme");
        WebElement chart = browser.findElement(By.id("usage-chart"));
        wait.until(d -> !chart.findElements(By.cssSelector("canvas")).isEmpty()
                && sum(points(chart), "invocations") == 7);
        JsonNode points = points(chart);
        assertEquals(14, points.get("days").size(), "14 days by default, oldest first, zero where unused");
        assertEquals(2, sum(points, "errors"));
        assertTrue(sum(points, "fuel") > 0, points.toString());
        assertTrue(browser.findElement(By.id("usage-totals")).getText().startsWith("Over 14 days: 7 invocations, 2 errors"));
        new Select(browser.findElement(By.id("usage-days"))).selectByValue("7");
        wait.until(d -> points(chart).get("days").size() == 7);
        assertEquals(7, sum(points(chart), "invocations"));
        if (tenantFunctions) {
            wait.until(d -> d.findElements(By.cssSelector(".function-name")).size() == 2);
            assertEquals(List.of("failing", "hello"), browser.findElements(By.cssSelector(".function-name")).stream()
                    .map(WebElement::getText).sorted().toList());
        } else {
            problemShown("Functions: No such resource");
        }
        assertNoMarkupFrom();
        screenshot("tenant");

        // The plan can be changed here too: off the plan, then back on it.
        new Select(browser.findElement(By.id("tenant-plan"))).selectByValue("");
        browser.findElement(By.xpath("//button[text()='Change plan']")).click();
        statusShown("Plan is now (none)");
        assertTrue(server.admin("GET", "/admin/v1/tenants/acme", null).json().get("plan").isNull());
        new Select(browser.findElement(By.id("tenant-plan"))).selectByValue("starter");
        browser.findElement(By.xpath("//button[text()='Change plan']")).click();
        statusShown("Plan is now starter");
        assertEquals("starter", server.admin("GET", "/admin/v1/tenants/acme", null).json().get("plan").asText());

        // 7. Rotate: a new key, shown once, that works; then revoke both: the tenant API answers 401 to each.
        String id = key.split("_")[3];
        browser.findElement(By.cssSelector("button[data-action=rotate][data-key='" + id + "']")).click();
        wait.until(ExpectedConditions.alertIsPresent()).accept();
        wait.until(d -> !key.equals(d.findElement(By.id("new-key")).getDomProperty("value")));
        String rotated = browser.findElement(By.id("new-key")).getDomProperty("value");
        assertEquals(200, server.get("/v1/functions", rotated).status());
        for (String revoked : List.of(id, rotated.split("_")[3])) {
            wait.until(ExpectedConditions.elementToBeClickable(
                    By.cssSelector("button[data-action=revoke][data-key='" + revoked + "']"))).click();
            wait.until(ExpectedConditions.alertIsPresent()).accept();
            statusShown("Key " + revoked + " revoked");
        }
        assertEquals(401, server.get("/v1/functions", key).status());
        assertEquals(401, server.get("/v1/functions", rotated).status());

        // 8. The tenants list: acme on its plan, with today's usage where the server sums it.
        browser.findElement(By.cssSelector("#nav a[data-page=tenants]")).click();
        heading("Tenants");
        WebElement row = wait.until(d -> d.findElement(By.xpath("//table//tr[td/a[text()='acme']]")));
        List<String> cells = row.findElements(By.tagName("td")).stream().map(WebElement::getText).toList();
        assertEquals("starter", cells.get(1));
        if (usageSummary) {
            assertEquals(List.of("7", "2"), cells.subList(2, 4), cells.toString());
        } else {
            problemShown("Usage today: No such resource");
            assertEquals("—", cells.get(2));
        }
        screenshot("tenants");

        // 9. Live: after invocations, a non-zero rate (differences of /admin/v1/stats between polls).
        browser.findElement(By.cssSelector("#nav a[data-page=live]")).click();
        heading("Live");
        WebElement live = browser.findElement(By.id("live-chart"));
        if (stats) {
            wait.until(d -> live.getDomAttribute("data-polls") != null);
            String hello = server.admin("POST", "/admin/v1/tenants/acme/keys", "{\"name\":\"live\"}").json()
                    .get("key").asText();
            for (int i = 0; i < 10; i++) {
                server.call("POST", "/v1/functions/hello/invoke", hello, "hi".getBytes(), "text/plain");
            }
            wait.until(d -> points(live).path("invocations").size() > 0 && max(points(live), "invocations") > 0);
            wait.until(d -> !live.findElements(By.cssSelector("canvas")).isEmpty());
            assertNotEquals("0.00", browser.findElement(By.id("live-invocations")).getText());
            if (screenshots().isPresent()) {
                // The docs' picture: a few more polls (2 s each) with calls between them, so it shows a line.
                for (int round = 0; round < 5; round++) {
                    int polls = Integer.parseInt(live.getDomAttribute("data-polls"));
                    for (int i = 0; i < 3 + 2 * round; i++) {
                        server.call("POST", "/v1/functions/hello/invoke", hello, "hi".getBytes(), "text/plain");
                    }
                    wait.until(d -> Integer.parseInt(live.getDomAttribute("data-polls")) > polls);
                }
            }
        } else {
            problemShown("Stats: No such resource");
        }
        screenshot("live");

        // 10. Deletions: a plan in use is refused with the server's problem line; a tenant goes after a confirmation.
        browser.findElement(By.cssSelector("#nav a[data-page=plans]")).click();
        heading("Plans");
        browser.findElement(By.cssSelector("button[data-action=delete][data-plan=starter]")).click();
        wait.until(ExpectedConditions.alertIsPresent()).accept();
        problemShown("The plan is in use");
        assertEquals(200, server.admin("GET", "/admin/v1/plans/starter", null).status());
        assertEquals(201, server.admin("PUT", "/admin/v1/tenants/doomed", "{}").status());
        browser.get(server.base() + "/admin/ui/#/tenants/doomed");
        heading("Tenant doomed");
        browser.findElement(By.xpath("//button[text()='Delete tenant']")).click();
        wait.until(ExpectedConditions.alertIsPresent()).accept();
        heading("Tenants");
        assertEquals(404, server.admin("GET", "/admin/v1/tenants/doomed", null).status());

        // 11. Sign out: the token is gone and the form is back.
        browser.findElement(By.id("logout")).click();
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("token")));
        assertNull(js("return sessionStorage.getItem('sluice-admin-token')"));

        // Throughout: nothing the CSP refused (no inline code anywhere), no uncaught error.
        List<String> console = browser.manage().logs().get(LogType.BROWSER).getAll().stream()
                .map(LogEntry::getMessage).toList();
        assertEquals(List.of(), console.stream().filter(m -> m.contains("Content Security Policy")
                || m.contains("Refused to") || m.contains("Uncaught")).toList(), console.toString());
    }

    /** True when the server has the route (false: the 404 of a server before the endpoint existed). */
    private boolean exists(String path) {
        Reply reply = server.admin("GET", path, null);
        return reply.status() != 404 || !reply.text().contains("no route for");
    }

    private Object js(String script) {
        return ((JavascriptExecutor) browser).executeScript(script);
    }

    /** Waits for the page with this heading to have its data (the shell marks #page busy until then). */
    private void heading(String text) {
        wait.until(ExpectedConditions.textToBe(By.cssSelector("#page h1"), text));
        wait.until(d -> d.findElements(By.cssSelector("#page[aria-busy]")).isEmpty());
    }

    private void statusShown(String text) {
        wait.until(d -> d.findElements(By.cssSelector("#page [role=status]")).stream()
                .anyMatch(p -> p.getText().contains(text)));
    }

    private void problemShown(String prefix) {
        wait.until(d -> d.findElements(By.cssSelector("#page .problem")).stream()
                .anyMatch(p -> p.getText().startsWith(prefix)));
    }

    /** The page holds tenant text only as text: no img (nor any other element) was made from the key's name. */
    private void assertNoMarkupFrom() {
        assertEquals(0L, js("return document.querySelectorAll('img, [onerror]').length"));
        assertTrue(browser.findElement(By.tagName("body")).getText().contains(XSS_NAME));
    }

    private static JsonNode points(WebElement chart) {
        String attribute = chart.getDomAttribute("data-points");
        try {
            return attribute == null ? JSON.createObjectNode() : JSON.readTree(attribute);
        } catch (IOException e) {
            throw new AssertionError("data-points is not JSON: " + attribute, e);
        }
    }

    private static long sum(JsonNode points, String series) {
        long total = 0;
        for (JsonNode value : points.path(series)) {
            total += value.asLong();
        }
        return total;
    }

    private static double max(JsonNode points, String series) {
        double max = 0;
        for (JsonNode value : points.path(series)) {
            max = Math.max(max, value.asDouble());
        }
        return max;
    }

    /** Where {@code -Dconsole.screenshots} asks the pages' pictures to go; none by default. */
    private static Optional<Path> screenshots() {
        return Optional.ofNullable(System.getProperty("console.screenshots")).filter(d -> !d.isBlank()).map(Path::of);
    }

    private void screenshot(String page) throws IOException {
        for (Path directory : screenshots().stream().toList()) {
            Path file = directory.resolve("console-" + page + ".png");
            Files.createDirectories(file.getParent());
            Files.write(file, ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
        }
    }
}
