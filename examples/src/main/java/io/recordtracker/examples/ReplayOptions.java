package io.recordtracker.examples;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/** The replay's command line. Every option is checked at once, naming the bad value. */
final class ReplayOptions {
  static final String USAGE =
      String.join(
          "\n",
          "Usage: java -jar examples/target/incident-replay.jar [options]",
          "",
          "Replays the incident: EDI sends a batch, a patch silently drops records in CIS,",
          "reconciliation finds exactly them, EDI resends only those, the batch completes.",
          "",
          "  --records N          records in the batch (default 486000, up to tens of millions)",
          "  --workers N          CIS worker threads (default 4)",
          "  --dir DIR            where files and the default H2 database go",
          "                       (default <java.io.tmpdir>/record-tracker-replay)",
          "  --jdbc-url URL       run on this database instead of the embedded H2 file,",
          "                       e.g. jdbc:postgresql://127.0.0.1:5432/test",
          "  --user USER          database user (default none)",
          "  --password-env VAR   read the database password from this environment variable",
          "                       (default $RECORDTRACKER_PASSWORD if set, else none); never",
          "                       pass a password as an argument",
          "  --table-prefix P     prefix of the tracker's tables (default replay_)",
          "  --role ROLE          replay (default): everything in one JVM; or one side as its own",
          "                       JVM: sender, processor, reconcile, resend",
          "  --file FILE          processor: the file to process (default the newest in --dir)",
          "  --batch ID           reconcile, resend: the batch (default the newest opened)",
          "  --no-patch           process without the patch (nothing is lost)",
          "  --resend-whole-file  resend the whole file, as the postmortem's team did, instead",
          "                       of the missing records: the summary then counts every record",
          "                       CIS processed twice (0 when only the missing ones are resent)",
          "  --no-customer-rows   CIS saves no customer rows, it only marks records processed",
          "                       after a simulated 2 ms commit (faster for tens of millions)",
          "  --defer-every N      about 1 record in N times out on its first attempt in CIS and",
          "                       waits in memory for a retry (default 5000)",
          "  --help               this text");

  /** The password's variable when --password-env is not given; the CLI reads the same one. */
  static final String PASSWORD_ENV = "RECORDTRACKER_PASSWORD";

  enum Role {
    REPLAY,
    SENDER,
    PROCESSOR,
    RECONCILE,
    RESEND
  }

  int records = 486_000;
  int workers = 4;
  Path dir = Path.of(System.getProperty("java.io.tmpdir"), "record-tracker-replay");
  String jdbcUrl;
  String user;

  /** The environment variable holding the password; null: {@link #PASSWORD_ENV} if set. */
  String passwordEnv;

  String tablePrefix = "replay_";
  Role role = Role.REPLAY;
  Path file;
  String batch;
  boolean patch = true;
  boolean resendWholeFile;
  int deferEvery = 5_000;
  boolean customerRows = true;
  boolean help;

  /**
   * Parses {@code args}.
   *
   * @throws IllegalArgumentException naming the option and the bad value
   */
  static ReplayOptions parse(String... args) {
    ReplayOptions o = new ReplayOptions();
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      switch (arg) {
        case "--help", "-h" -> o.help = true;
        case "--no-patch" -> o.patch = false;
        case "--resend-whole-file" -> o.resendWholeFile = true;
        case "--no-customer-rows" -> o.customerRows = false;
        case "--records" -> o.records = positive(arg, value(args, ++i, arg));
        case "--workers" -> o.workers = positive(arg, value(args, ++i, arg));
        case "--defer-every" -> o.deferEvery = positive(arg, value(args, ++i, arg));
        case "--dir" -> o.dir = Path.of(value(args, ++i, arg));
        case "--jdbc-url" -> o.jdbcUrl = value(args, ++i, arg);
        case "--user" -> o.user = value(args, ++i, arg);
        case "--password-env" -> o.passwordEnv = value(args, ++i, arg);
        case "--password" ->
            throw new IllegalArgumentException(
                "--password is not accepted: a password on the command line is visible to every user"
                    + " of the machine. Put it in an environment variable and name it with"
                    + " --password-env (default "
                    + PASSWORD_ENV
                    + "), as the record-tracker CLI does");
        case "--table-prefix" -> o.tablePrefix = value(args, ++i, arg);
        case "--file" -> o.file = Path.of(value(args, ++i, arg));
        case "--batch" -> o.batch = value(args, ++i, arg);
        case "--role" -> o.role = role(value(args, ++i, arg));
        default -> throw new IllegalArgumentException("unknown option: " + arg);
      }
    }
    return o;
  }

  /**
   * The database password from {@code env}: the variable named by --password-env, else {@link
   * #PASSWORD_ENV}, else none.
   *
   * @throws IllegalArgumentException if --password-env names a variable that is not set
   */
  String password(Map<String, String> env) {
    if (passwordEnv == null) {
      return env.get(PASSWORD_ENV);
    }
    String value = env.get(passwordEnv);
    if (value == null) {
      throw new IllegalArgumentException(
          "the environment variable " + passwordEnv + " named by --password-env is not set");
    }
    return value;
  }

  private static String value(String[] args, int i, String option) {
    if (i >= args.length || args[i].startsWith("--")) {
      throw new IllegalArgumentException(option + " needs a value");
    }
    return args[i];
  }

  private static int positive(String option, String text) {
    try {
      int n = Integer.parseInt(text.replace("_", "").replace(",", ""));
      if (n > 0) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException(option + " must be a positive whole number: " + text);
  }

  private static Role role(String text) {
    try {
      return Role.valueOf(text.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "--role must be replay, sender, processor, reconcile or resend: " + text, e);
    }
  }
}
