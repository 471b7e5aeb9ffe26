package io.recordtracker.internal;

import io.recordtracker.BatchInfo;

/**
 * The rules of abandoning a batch that every store applies the same way, so that stores agree on
 * them. Internal: not API.
 */
public final class Abandoning {

  private Abandoning() {}

  /**
   * Checks an abandon of {@code stored} for {@code reason}.
   *
   * @param stored the batch as stored
   * @param reason the reason it is being abandoned for, valid
   * @return true if it is abandoned for that reason already (the abandon is then a no-op that
   *     returns the stored batch, its first abandoned-at time unchanged), false if it is not
   *     abandoned
   * @throws IllegalStateException if it is abandoned for another reason, or is complete
   */
  public static boolean alreadyAbandoned(BatchInfo stored, String reason) {
    if (stored.isAbandoned()) {
      if (!stored.abandonReason().orElseThrow().equals(reason)) {
        throw new IllegalStateException(
            "batch "
                + stored.id()
                + " was abandoned already at "
                + stored.abandonedAt().orElseThrow()
                + " for another reason: \""
                + stored.abandonReason().orElseThrow()
                + "\"");
      }
      return true;
    }
    if (stored.isComplete()) {
      throw new IllegalStateException(
          "batch "
              + stored.id()
              + " is complete (seen complete at "
              + stored.completedAt().orElseThrow()
              + "): there is nothing to abandon");
    }
    return false;
  }
}
