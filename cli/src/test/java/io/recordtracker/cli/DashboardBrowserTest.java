package io.recordtracker.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.recordtracker.BatchId;
import io.recordtracker.RecordRange;
import io.recordtracker.Stage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard in a real browser: headless Chromium driven by Selenium, with the distribution's
 * {@code chromium} and {@code chromium-driver} packages (which {@code .ci/run} installs). A batch
 * like the incident replay's (486,000 records, records lost where the patch hit) on an H2 file;
 * {@code serve} in this JVM; the pages checked as an on-call engineer reads them; screenshots saved
 * (to target/screenshots, or docs/images for the README when asked).
 */
class DashboardBrowserTest {

  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  private static final int EXPECTED = 486_000;
  private static final int BUCKETS = 1_000;

  private static final Stage RECEIVED = Stage.of("received");

  /**
   * The records the patch lost, as the replay loses them: received, never processed; a few
   * scattered ones (records timed out and held for a retry by a restarted worker) and two runs (the
   * restarted workers' chunks).
   */
  private static final List<RecordRange> LOST =
      List.of(
          RecordRange.single(22_467),
          RecordRange.single(24_968),
          RecordRange.single(63_623),
          RecordRange.single(91_451),
          RecordRange.single(105_616),
          RecordRange.single(178_002),
          RecordRange.of(240_750, 240_999),
          RecordRange.of(245_250, 246_999),
          RecordRange.single(301_337));

  @TempDir static Path dir;
  private static Seed seed;
  private static Served served;
  private static WebDriver browser;
  private static BatchId lossy;

  @BeforeAll
  static void start() throws Exception {
    assumeTrue(
        Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
        "Chromium and ChromeDriver are not installed, so the dashboard's browser test is skipped:"
            + " install them with `apt-get update && apt-get install -y chromium chromium-driver`"
            + " (Debian/Ubuntu; .ci/run does this)");
    String url = "jdbc:h2:file:" + dir.resolve("replay-db");
    seed = new Seed(url, "sa", "", "replay_");
    seed.at(Duration.ofHours(2));
    BatchId done = BatchId.of("01M88ZZYESTERDAY0000000000");
    seed.tracker.openBatch(done, 12_000, Map.of("file", "customers-yesterday.edi"));
    seed.tracker.markSent(done, RecordRange.of(0, 11_999));
    seed.tracker.markProcessed(done, RecordRange.of(0, 11_999));
    seed.tracker.flush();
    seed.tracker.reconcile(done);
    seed.at(Duration.ofHours(1));
    lossy = BatchId.of("01M890FABJ3FB8HJRKPTKKJRCD");
    seed.tracker.openBatch(
        lossy, EXPECTED, Map.of("file", "customers-01M890FABJ3FB8HJRKPTKKJRCD.edi"));
    seed.tracker.markSent(lossy, RecordRange.of(0, EXPECTED - 1));
    seed.tracker.mark(lossy, RECEIVED, RecordRange.of(0, EXPECTED - 1));
    int from = 0;
    for (RecordRange lost : LOST) {
      seed.tracker.markProcessed(lossy, RecordRange.of(from, lost.first() - 1));
      from = lost.last() + 1;
    }
    seed.tracker.markProcessed(lossy, RecordRange.of(from, EXPECTED - 1));
    seed.tracker.flush();

    served =
        Served.start(
            Map.of(),
            "serve",
            "--port",
            "0",
            "--jdbc-url",
            url,
            "--user",
            "sa",
            "--table-prefix",
            "replay_");
    assertThat(served.base).as(served.toString()).isNotNull();

    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments(
        "--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900");
    ChromeDriverService service =
        new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile()).build();
    browser = new ChromeDriver(service, options);
  }

  @AfterAll
  static void stop() throws InterruptedException {
    if (browser != null) {
      browser.quit();
    }
    if (served != null) {
      served.close();
    }
    if (seed != null) {
      seed.close();
    }
  }

  static final String SCREENSHOTS_DIR = "recordtracker.screenshots.dir";

  private static WebDriverWait waiting() {
    return new WebDriverWait(browser, Duration.ofSeconds(60));
  }

  /**
   * Saves a screenshot to target/screenshots, or to the folder the system property {@value
   * #SCREENSHOTS_DIR} names (docs/images to refresh the README's: see docs/dashboard.md), so that a
   * test run never changes tracked files.
   */
  private static void screenshot(String name) throws IOException {
    String dir = System.getProperty(SCREENSHOTS_DIR);
    Path images =
        dir != null && !dir.isBlank()
            ? Path.of(dir)
            : Path.of(System.getProperty("user.dir")).resolve("target").resolve("screenshots");
    Files.createDirectories(images);
    Path shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE).toPath();
    Files.copy(shot, images.resolve(name), StandardCopyOption.REPLACE_EXISTING);
  }

  /** Per bucket of 486 records (486,000 / 1,000), the records LOST holds in it. */
  private static Map<Long, Long> lostPerBucket() {
    long perBucket = EXPECTED / BUCKETS;
    Map<Long, Long> counts = new TreeMap<>();
    for (RecordRange r : LOST) {
      for (long record = r.first(); record <= r.last(); record++) {
        counts.merge(record / perBucket * perBucket, 1L, Long::sum);
      }
    }
    return counts;
  }

  @Test
  void an_on_call_engineer_sees_the_lost_records_where_they_are_and_whether_to_patch()
      throws Exception {
    browser.manage().window().setSize(new Dimension(1280, 900));
    browser.get(served.base);

    // The batches page: the incomplete batch first, with its counts; the gate is quiet.
    WebElement first =
        waiting()
            .until(
                ExpectedConditions.presenceOfElementLocated(
                    By.cssSelector("#batches tbody tr[data-batch]")));
    assertThat(first.getDomAttribute("data-batch")).isEqualTo(lossy.value());
    List<WebElement> rows = browser.findElements(By.cssSelector("#batches tbody tr"));
    assertThat(rows)
        .extracting(r -> r.getDomAttribute("data-batch"))
        .containsExactly(lossy.value(), "01M88ZZYESTERDAY0000000000");
    assertThat(first.findElement(By.cssSelector(".missing-count")).getText()).isEqualTo("2,007");
    assertThat(first.findElement(By.cssSelector(".state")).getText()).isEqualTo("stalled");
    assertThat(first.findElements(By.cssSelector(".progress .bar")))
        .extracting(b -> b.getDomAttribute("aria-label"))
        .containsExactly(
            "sent: 486,000 of 486,000 records",
            "received: 486,000 of 486,000 records",
            "processed: 483,993 of 486,000 records");
    WebElement gate = browser.findElement(By.id("gate"));
    waiting().until(ExpectedConditions.attributeToBe(gate, "data-quiet", "true"));
    assertThat(gate.getText())
        .isEqualTo("Quiet: no incomplete batch was marked in the last 10m. Maintenance may start.");
    screenshot("dashboard-batches.png");

    // The batch page: the strip has a bucket exactly where each lost record is, and nowhere else.
    first.findElement(By.linkText(lossy.value())).click();
    waiting().until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#strip .bucket")));
    List<WebElement> buckets = browser.findElements(By.cssSelector("#strip .bucket"));
    Map<Long, Long> drawn =
        buckets.stream()
            .collect(
                Collectors.toMap(
                    b -> Long.parseLong(b.getDomAttribute("data-first")),
                    b -> Long.parseLong(b.getDomAttribute("data-missing")),
                    Long::sum,
                    TreeMap::new));
    assertThat(drawn).isEqualTo(lostPerBucket());
    assertThat(buckets)
        .allSatisfy(b -> assertThat(b.getDomAttribute("class")).isEqualTo("bucket missing"));
    assertThat(browser.findElement(By.id("strip-caption")).getText())
        .startsWith(
            "2,007 missing in 9 ranges, 0 never sent, 0 unexpected (sent → processed); 1,000"
                + " buckets of about 486 records.");
    // Where on the strip: bucket 495 (records 240,570-241,055) starts at 49.5% of its width.
    WebElement bucket495 =
        browser.findElement(By.cssSelector("#strip .bucket[data-first='240570']"));
    WebElement strip = browser.findElement(By.id("strip"));
    double at =
        (bucket495.getRect().getX() - strip.getRect().getX()) / (double) strip.getRect().getWidth();
    assertThat(at).isBetween(0.490, 0.500);
    new Actions(browser).moveToElement(bucket495).perform();
    waiting()
        .until(
            ExpectedConditions.textToBe(
                By.id("bucket-detail"), "Records 240,570-241,055: 250 missing (240750-240999)"));
    // The keyboard reaches the same detail: End selects the last bucket with a discrepancy.
    strip.sendKeys(Keys.END);
    waiting()
        .until(
            ExpectedConditions.textToBe(
                By.id("bucket-detail"), "Records 301,320-301,805: 1 missing (301337)"));
    assertThat(browser.findElements(By.cssSelector("#hops tbody tr")))
        .extracting(WebElement::getText)
        .containsExactly(
            "sent → received 486,000 486,000 0 0 0",
            "received → processed 486,000 483,993 2,007 0 0");
    assertThat(browser.findElement(By.id("plan-link")).getDomAttribute("href"))
        .isEqualTo("/api/batches/" + lossy + "/resend-plan.json");
    screenshot("dashboard-batch.png");

    // Marking starts: the gate says not to patch; it stops (all processed): quiet again.
    seed.at(Duration.ZERO);
    BatchId tonight = BatchId.of("01M8A0NIGHTLY0000000000000");
    seed.tracker.openBatch(tonight, 1_000, Map.of("file", "customers-tonight.edi"));
    seed.tracker.markSent(tonight, RecordRange.of(0, 999));
    seed.tracker.flush();
    WebElement busy = browser.findElement(By.id("gate"));
    waiting().until(ExpectedConditions.attributeToBe(busy, "data-quiet", "false"));
    assertThat(busy.getText())
        .isEqualTo(
            "1 batch is in flight (marked in the last 10m): do not start maintenance. " + tonight);
    screenshot("dashboard-gate-busy.png");
    seed.tracker.markProcessed(tonight, RecordRange.of(0, 999));
    seed.tracker.flush();
    waiting().until(ExpectedConditions.attributeToBe(busy, "data-quiet", "true"));
  }
}
