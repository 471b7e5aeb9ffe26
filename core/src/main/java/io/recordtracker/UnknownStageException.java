package io.recordtracker;

import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A reconciliation named a stage that is neither built in ({@link Stage#SENT}, {@link
 * Stage#PROCESSED}) nor known to the store: no batch was ever marked at it and it was never
 * declared ({@link RecordTracker#declareStages}). Almost always a typo ({@code procesed});
 * answering it would report every record as missing and ask for the whole file to be resent.
 */
public class UnknownStageException extends RecordTrackerException {

  private static final long serialVersionUID = 1L;

  private final transient Stage stage;
  private final transient Set<Stage> knownStages;

  /**
   * An exception for {@code stage}, which is not among {@code knownStages}.
   *
   * @param stage the stage asked for
   * @param knownStages the stages the store knows, built-in ones included
   */
  public UnknownStageException(Stage stage, Set<Stage> knownStages) {
    super(
        "no stage \""
            + stage
            + "\" in the store: no batch was ever marked at it and it was not declared. The store"
            + " knows "
            + names(knownStages)
            + ". A typo? A new stage is known once a record is marked at it, or declared up front"
            + " with RecordTracker.declareStages");
    this.stage = stage;
    this.knownStages = Set.copyOf(knownStages);
  }

  private static String names(Set<Stage> stages) {
    List<String> sorted = stages.stream().map(Stage::name).sorted().collect(Collectors.toList());
    return String.join(", ", sorted);
  }

  /** The stage that is not known. */
  public Stage stage() {
    return stage;
  }

  /** The stages the store knows, built-in ones included. */
  public Set<Stage> knownStages() {
    return knownStages;
  }
}
