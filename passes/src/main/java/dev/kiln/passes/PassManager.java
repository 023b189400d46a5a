package dev.kiln.passes;

import dev.kiln.ir.Graph;
import dev.kiln.ir.IrException;
import dev.kiln.ir.Verifier;
import dev.kiln.ir.text.IrPrinter;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * Runs a pipeline of passes named by a string such as {@code "dce"} or {@code "dce,verify"} (an empty string is
 * the empty pipeline). After each pass the graph is verified, unless turned off with {@link #verifyEach}, and
 * shown to the listener set with {@link #printAfterEach}, if any.
 *
 * <p>Call order: {@link #parse}, then optionally {@link #verifyEach} / {@link #printAfterEach}, then
 * {@link #run} any number of times. A manager is not meant to be shared between threads while being configured.
 */
public final class PassManager {
  private final List<Pass> passes;
  private boolean verifyEach = true;
  private BiConsumer<Pass, String> afterEach;

  public PassManager(List<Pass> passes) { this.passes = List.copyOf(passes); }

  /**
   * Parses a comma-separated list of pass names; blanks around names and empty entries are ignored.
   *
   * @param pipeline the pipeline, not null (may be empty)
   * @throws IllegalArgumentException for an unknown name, listing the known passes
   */
  public static PassManager parse(String pipeline) {
    List<Pass> out = new ArrayList<>();
    for (String part : pipeline.split(",")) {
      String name = part.strip();
      if (name.isEmpty()) continue;
      Pass p = Passes.find(name);
      if (p == null)
        throw new IllegalArgumentException("unknown pass '" + name + "' in pipeline \"" + pipeline + "\"; known passes: "
            + String.join(", ", Passes.names()));
      out.add(p);
    }
    return new PassManager(out);
  }

  /** The passes in the order they run. */
  public List<Pass> passes() { return passes; }

  /** Whether to run {@link Verifier#verify} after every pass (default true). */
  public PassManager verifyEach(boolean on) {
    verifyEach = on;
    return this;
  }

  /**
   * Receives the printed IR after every pass.
   *
   * @param listener called with the pass and the IR text after it ran (and was verified); null turns printing off
   */
  public PassManager printAfterEach(BiConsumer<Pass, String> listener) {
    afterEach = listener;
    return this;
  }

  /**
   * Runs every pass in order.
   *
   * @param g the graph, not null; passes may change it in place
   * @return the resulting graph (may be {@code g} itself)
   * @throws IrException if a pass fails or leaves an invalid graph; the message names the pass
   */
  public Graph run(Graph g) {
    Graph cur = g;
    for (Pass p : passes) {
      try {
        cur = p.run(cur);
        if (verifyEach) Verifier.verify(cur);
      } catch (IrException e) {
        throw new IrException("pass '" + p.name() + "' on @" + cur.name() + ": " + e.getMessage(), e);
      }
      if (afterEach != null) afterEach.accept(p, IrPrinter.print(cur));
    }
    return cur;
  }

  @Override public String toString() { return String.join(",", passes.stream().map(Pass::name).toList()); }
}
