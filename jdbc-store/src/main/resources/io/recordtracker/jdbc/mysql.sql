-- record-tracker JDBC store, MySQL 8 and MariaDB 10.6+. ${prefix} is the store's table prefix (default rt_).
-- Every statement is idempotent. Ids and stage names are ASCII compared byte for byte (ascii_bin pads
-- with spaces, but BatchId and Stage allow none); times are UTC wall-clock values (DATETIME(6)),
-- microsecond precision.

CREATE TABLE IF NOT EXISTS ${prefix}batch (
  batch_id         VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  expected_records INT          NOT NULL,
  opened_at        DATETIME(6)  NOT NULL,
  completed_at     DATETIME(6)  NULL,
  attributes       MEDIUMTEXT   NOT NULL,
  -- A new random stamp each time the id is opened: marks made for a purged batch never reach its successor.
  incarnation      BIGINT       NOT NULL DEFAULT 0,
  -- 0 while the batch's size is not known yet (opened unsealed; expected_records then holds 2147483647,
  -- the bound on its record numbers), 1 once it is: opened with a count, or sealed.
  sealed           SMALLINT     NOT NULL DEFAULT 1,
  -- Set when a team abandoned the batch (it will never complete): monitors, the gate and incomplete-batch queries
  -- leave it alone; its marks are kept. NULL while it is not abandoned.
  abandoned_at     DATETIME(6)  NULL,
  abandon_reason   VARCHAR(500) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
  PRIMARY KEY (batch_id),
  -- Ascending: batch queries order by opened_at DESC, batch_id DESC, a backward scan of it.
  KEY ${prefix}batch_opened (opened_at, batch_id),
  KEY ${prefix}batch_completed (completed_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Attribute keys and values are UTF-8 bytes (VARBINARY), so they compare exactly: utf8mb4_bin pads
-- with spaces, which made the keys 'file' and 'file ' collide and a filter on 'x' match 'x   '.
-- Sizes are the longest UTF-8 of 64 and 1024 UTF-16 units: 3 bytes each (a pair takes 4 for 2).
CREATE TABLE IF NOT EXISTS ${prefix}batch_attr (
  batch_id   VARCHAR(128)    CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  attr_key   VARBINARY(192)  NOT NULL,
  attr_value VARBINARY(3072) NOT NULL,
  PRIMARY KEY (batch_id, attr_key),
  KEY ${prefix}batch_attr_value (attr_key, attr_value(760)),
  CONSTRAINT ${prefix}batch_attr_batch FOREIGN KEY (batch_id) REFERENCES ${prefix}batch (batch_id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS ${prefix}stage (
  batch_id       VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  stage          VARCHAR(32)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  last_marked_at DATETIME(6)  NOT NULL,
  PRIMARY KEY (batch_id, stage),
  KEY ${prefix}stage_marked (last_marked_at),
  CONSTRAINT ${prefix}stage_batch FOREIGN KEY (batch_id) REFERENCES ${prefix}batch (batch_id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS ${prefix}marks (
  batch_id VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  stage    VARCHAR(32)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  id       BIGINT       NOT NULL AUTO_INCREMENT,
  marks    LONGBLOB     NOT NULL,
  -- The marking that wrote the row (a flush's delta, a markWithin call; a fold's rows): rows of two tokens that hold
  -- one record mark it twice, a repeat. NULL in rows written before repeats were counted.
  token    BIGINT       NULL,
  -- 1 for a row of repeats (records found marked twice, kept when rows are folded); its records are marks too.
  repeated SMALLINT     NOT NULL DEFAULT 0,
  PRIMARY KEY (batch_id, stage, id),
  KEY ${prefix}marks_id (id),
  CONSTRAINT ${prefix}marks_batch FOREIGN KEY (batch_id) REFERENCES ${prefix}batch (batch_id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Every stage ever marked or declared: reconcile refuses a custom stage missing here and in ${prefix}stage (a typo).
CREATE TABLE IF NOT EXISTS ${prefix}stage_name (
  stage       VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  declared_at DATETIME(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- What monitors reported, to which listener: one row per (batch, stage pair, unreadable or not, listener), written
-- only by compare-and-set on row_version, so that any number of monitor instances tell each event once between them.
-- No foreign key to the batch: a purged unreadable batch's row outlives it until a monitor resolves it; monitors
-- remove the settled rows of purged batches.
CREATE TABLE IF NOT EXISTS ${prefix}alert (
  batch_id        VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  upstream        VARCHAR(32)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  downstream      VARCHAR(32)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  unreadable      SMALLINT     NOT NULL,
  listener        VARCHAR(64)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  row_version     BIGINT       NOT NULL,
  -- Which finding of the pair: a new finding gets a larger epoch; with the key, the listeners' idempotency key.
  finding_epoch   BIGINT       NOT NULL,
  -- 1 while a finding is reported and not resolved.
  is_open         SMALLINT     NOT NULL,
  finding_kind    VARCHAR(16)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  -- The batch's incarnation the finding was about: a batch purged and opened again has new findings.
  incarnation     BIGINT       NOT NULL,
  missing_records BIGINT       NOT NULL,
  absent_records  BIGINT       NOT NULL,
  reported_at     DATETIME(6)  NOT NULL,
  -- The event a monitor is telling the listener, and until when the claim holds (then another takes it over).
  claimed         VARCHAR(16)  CHARACTER SET ascii COLLATE ascii_bin NULL,
  claimed_until   DATETIME(6)  NULL,
  -- The finding last reported, as the monitor encodes it (so that any instance can say what it resolves).
  finding         LONGBLOB     NOT NULL,
  PRIMARY KEY (batch_id, upstream, downstream, unreadable, listener),
  -- Each round reads the rows with a finding open or a claim held; most rows are settled.
  KEY ${prefix}alert_open (is_open),
  KEY ${prefix}alert_claimed (claimed_until)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
