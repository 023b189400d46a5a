package dev.kiln.passes;

import dev.kiln.ir.Graph;
import dev.kiln.ir.IrException;
import dev.kiln.ir.Node;
import dev.kiln.ir.Verifier;
import dev.kiln.ir.text.IrPrinter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * Runs a pipeline of passes named by a string such as {@code "fold,cse,dce"} or {@code "specialize=N:1,fold"} (an
 * empty string is the empty pipeline). Each entry is a pass name, optionally with {@code =value} options. Parsing
 * checks that every pass's {@link Pass#requires() prerequisites} come earlier. After each pass the graph is verified,
 * unless turned off with {@link #verifyEach}; each pass is timed and its node counts and figures ({@link PassRun#figure})
 * reported to the listener set with {@link #onPassRun}; the IR after a pass goes to the listener set with {@link #printAfterEach} or
 * {@link #printAfter}.
 *
 * <p>Call order: {@link #parse} (or the constructor), then optionally the configuration methods, then {@link #run}
 * any number of times. Configure before sharing; running is then safe from several threads on different graphs
 * when the listeners are.
 */
public final class PassManager {
  private final List<Pass> passes;
  private final List<String> labels;
  private boolean verifyEach = true;
  private BiConsumer<Pass, String> afterEach;
  private Set<String> printOnly;
  private Consumer<PassRun> onRun;

  /** @throws IllegalArgumentException when a pass's prerequisite does not run before it */
  public PassManager(List<Pass> passes) { this(passes, passes.stream().map(Pass::name).toList()); }

  private PassManager(List<Pass> passes, List<String> labels) {
    this.passes = List.copyOf(passes);
    this.labels = List.copyOf(labels);
    Set<String> before = new HashSet<>();
    for (Pass p : this.passes) {
      for (String r : p.requires())
        if (!before.contains(r))
          throw new IllegalArgumentException("pass '" + p.name() + "' requires '" + r + "' to run before it, in pipeline \"" + this + "\"");
      before.add(p.name());
    }
  }

  /**
   * Parses a comma-separated list of pass entries {@code name} or {@code name=options}; blanks around entries and
   * empty entries are ignored.
   *
   * @param pipeline the pipeline, not null (may be empty)
   * @throws IllegalArgumentException for an unknown name (listing the known passes), bad options or a missing
   *     prerequisite
   */
  public static PassManager parse(String pipeline) {
    List<Pass> out = new ArrayList<>();
    List<String> labels = new ArrayList<>();
    for (String part : pipeline.split(",")) {
      String entry = part.strip();
      if (entry.isEmpty()) continue;
      int eq = entry.indexOf('=');
      String name = eq < 0 ? entry : entry.substring(0, eq).strip();
      Pass p = Passes.find(name);
      if (p == null)
        throw new IllegalArgumentException("unknown pass '" + name + "' in pipeline \"" + pipeline + "\"; known passes: "
            + String.join(", ", Passes.names()));
      out.add(eq < 0 ? p : p.withOptions(entry.substring(eq + 1).strip()));
      labels.add(entry);
    }
    return new PassManager(out, labels);
  }

  /** The passes in the order they run. */
  public List<Pass> passes() { return passes; }

  /** Whether to run {@link Verifier#verify} after every pass (default true; tests always keep it). */
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
    printOnly = null;
    return this;
  }

  /**
   * Receives the printed IR after the passes named in {@code names} only ({@code --print-after=fold}).
   *
   * @param names pass names (without options), not null
   * @param listener as for {@link #printAfterEach}; null turns printing off
   */
  public PassManager printAfter(Set<String> names, BiConsumer<Pass, String> listener) {
    afterEach = listener;
    printOnly = Set.copyOf(names);
    return this;
  }

  /**
   * Receives the time, node counts and figures of every pass run; null turns reporting off. A pass that reports no
   * figures of its own gets {@code removed} and {@code added} node counts (see {@link #removedAndAdded}).
   */
  public PassManager onPassRun(Consumer<PassRun> listener) {
    onRun = listener;
    return this;
  }

  /** Runs the pipeline on a graph with an empty weight table (see {@link #run(Program)}). */
  public Graph run(Graph g) { return run(Program.of(g)).graph(); }

  /**
   * Runs every pass in order.
   *
   * @param p the program, not null; passes may change its graph in place and add weights
   * @return the resulting program (may be {@code p} itself)
   * @throws IrException if a pass fails or leaves an invalid graph; the message names the pass
   */
  public Program run(Program p) {
    Program cur = p;
    for (int i = 0; i < passes.size(); i++) {
      Pass pass = passes.get(i);
      List<Node> nodesBefore = cur.graph().allNodes();
      int before = nodesBefore.size();
      Map<String, Long> outer = PassRun.startCollecting();
      Map<String, Long> figures;
      long t0 = System.nanoTime();
      try {
        try {
          cur = pass.run(cur);
        } finally {
          figures = PassRun.endCollecting(outer);
        }
        long nanos = System.nanoTime() - t0;
        if (verifyEach) Verifier.verify(cur.graph());
        if (onRun != null) {
          List<Node> nodesAfter = cur.graph().allNodes();
          if (figures.isEmpty()) figures = removedAndAdded(nodesBefore, nodesAfter);
          onRun.accept(new PassRun(labels.get(i), cur.graph().name(), nanos, before, nodesAfter.size(), figures));
        }
      } catch (IrException e) {
        throw new IrException("pass '" + pass.name() + "' on @" + cur.graph().name() + ": " + e.getMessage(), e);
      }
      if (afterEach != null && (printOnly == null || printOnly.contains(pass.name()))) afterEach.accept(pass, IrPrinter.print(cur.graph()));
    }
    return cur;
  }

  /**
   * The figures of a pass that reported none itself (fold, cse, dce, fold-bn, shapes): how many of the nodes before
   * are gone and how many nodes are new, by identity, each only when not zero. A rewrite that replaces one node by
   * one other counts one of each, which the node counts alone would hide.
   */
  static Map<String, Long> removedAndAdded(List<Node> before, List<Node> after) {
    Set<Node> old = Collections.newSetFromMap(new IdentityHashMap<>(before.size() * 2));
    old.addAll(before);
    long kept = 0;
    for (Node n : after) if (old.contains(n)) kept++;
    Map<String, Long> m = new LinkedHashMap<>();
    if (before.size() > kept) m.put("removed", before.size() - kept);
    if (after.size() > kept) m.put("added", after.size() - kept);
    return m;
  }

  @Override public String toString() { return String.join(",", labels); }
}
