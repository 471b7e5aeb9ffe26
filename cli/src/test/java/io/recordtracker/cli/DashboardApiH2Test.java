package io.recordtracker.cli;

import java.util.UUID;

/** The dashboard's JSON API on H2. */
class DashboardApiH2Test extends DashboardApiCases {

  private final String url =
      "jdbc:h2:mem:dash_" + UUID.randomUUID().toString().replace("-", "") + ";DB_CLOSE_DELAY=-1";

  @Override
  String url() {
    return url;
  }

  @Override
  String user() {
    return "sa";
  }

  @Override
  String password() {
    return "pw";
  }
}
