package io.recordtracker.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ConnectException;
import java.net.URI;
import org.junit.jupiter.api.Test;

/** The one place that removes a webhook URL's secret parts from text the endpoint hands back. */
class WebhookRedactorTest {

  private static final URI URL =
      URI.create(
          "https://bot:pa55word@hooks.example.org/services/T0ACME/B0OPS/s3cr3t%2BT0k"
              + "?token=a%20b1c2");
  private final WebhookRedactor redactor = new WebhookRedactor(URL);

  @Test
  void masks_the_whole_path_and_query_in_every_shape_an_endpoint_echoes_them() {
    assertThat(redactor.redact("{\"path\":\"/services/T0ACME/B0OPS/s3cr3t%2BT0k\"}"))
        .isEqualTo("{\"path\":\"/…\"}");
    assertThat(redactor.redact("POST /services/T0ACME/B0OPS/s3cr3t+T0k?token=a b1c2"))
        .isEqualTo("POST /…?…");
    assertThat(redactor.redact("{\"url\":\"\\/services\\/T0ACME\\/B0OPS\\/s3cr3t%2BT0k\"}"))
        .isEqualTo("{\"url\":\"…\"}");
    assertThat(redactor.redact("NO WEBHOOK AT /SERVICES/T0ACME/B0OPS/S3CR3T%2BT0K"))
        .isEqualTo("NO WEBHOOK AT /…");
    assertThat(redactor.redact("unknown token s3cr3t+T0k in team T0ACME, value a b1c2"))
        .isEqualTo("unknown token … in team …, value …");
    assertThat(redactor.redact("user bot, password pa55word"))
        .isEqualTo("user bot, password …"); // "bot" is too short to hide anything
    assertThat(redactor.redact(null)).isEmpty();
  }

  @Test
  void excerpt_is_redacted_before_it_is_cut_so_no_half_token_is_left() {
    String body = "x".repeat(15) + "s3cr3t+T0k and more";
    assertThat(redactor.excerpt(body, 20)).isEqualTo("x".repeat(15) + "… an…");
    assertThat(redactor.excerpt("line one\r\nWARN forged\tline\u0007", 100))
        .isEqualTo("line one WARN forged line");
  }

  @Test
  void location_shows_the_scheme_and_host_only() {
    assertThat(redactor.location("https://hooks.example.net/services/T0ACME/B0OPS/s3cr3t%2BT0k"))
        .isEqualTo("https://hooks.example.net/…");
    assertThat(redactor.location("/services/new/s3cr3t%2BT0k"))
        .isEqualTo("https://hooks.example.org/…");
    assertThat(redactor.location("ht tp://bad")).isEqualTo("an unreadable location");
    assertThat(redactor.location(null)).isEqualTo("nowhere");
  }

  @Test
  void exception_chain_is_copied_with_redacted_messages_and_the_original_stack_traces() {
    ConnectException root =
        new ConnectException("could not connect to " + URL + " (/services/T0ACME/B0OPS)");
    IOException wrapped = new IOException("POST " + URL.getRawPath() + " failed", root);
    wrapped.addSuppressed(new IllegalStateException("retry of token=a%20b1c2"));

    Throwable copy = redactor.redactedCopy(wrapped);

    assertThat(copy.getMessage()).isEqualTo("java.io.IOException: POST /… failed");
    assertThat(copy.toString()).isEqualTo("java.io.IOException: POST /… failed");
    assertThat(copy.getStackTrace()).isEqualTo(wrapped.getStackTrace());
    assertThat(copy.getCause().toString())
        .isEqualTo(
            "java.net.ConnectException: could not connect to https://…@hooks.example.org/…?…"
                + " (/…/…/…)");
    assertThat(copy.getCause().getCause()).isNull();
    assertThat(copy.getSuppressed()).hasSize(1);
    assertThat(copy.getSuppressed()[0].toString())
        .isEqualTo("java.lang.IllegalStateException: retry of …");
    StringWriter trace = new StringWriter();
    copy.printStackTrace(new PrintWriter(trace));
    assertThat(trace.toString())
        .contains("Caused by: java.net.ConnectException: could not connect to https://")
        .doesNotContain("s3cr3t")
        .doesNotContain("T0ACME")
        .doesNotContain("B0OPS")
        .doesNotContain("b1c2")
        .doesNotContain("pa55word");
    assertThat(redactor.toString()).isEqualTo("WebhookRedactor{https://hooks.example.org/…}");
  }
}
