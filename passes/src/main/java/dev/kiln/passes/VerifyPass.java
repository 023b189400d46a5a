package dev.kiln.passes;

import dev.kiln.ir.Graph;
import dev.kiln.ir.Verifier;

/** Checks the graph and changes nothing; useful in pipelines run without verification after each pass. */
public final class VerifyPass implements Pass {
  @Override public String name() { return "verify"; }

  @Override public String summary() { return "check the graph (types, SSA, terminators); changes nothing"; }

  @Override public Graph run(Graph g) {
    Verifier.verify(g);
    return g;
  }
}
