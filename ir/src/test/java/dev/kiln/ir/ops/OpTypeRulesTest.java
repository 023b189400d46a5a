package dev.kiln.ir.ops;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.OpDef;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Runs the type-rule tables of every op family and checks that they cover the whole registry: each op needs a
 * VALID (or WRITTEN, for ops without a rule) row and an INVALID row, so adding an op without tests fails here.
 */
class OpTypeRulesTest {
  static List<OpCase> allCases() {
    List<OpCase> all = new ArrayList<>();
    all.addAll(ControlOpCases.cases());
    all.addAll(PrimOpCases.cases());
    all.addAll(ElementwiseOpCases.cases());
    all.addAll(ShapeOpCases.cases());
    all.addAll(NnOpCases.cases());
    all.addAll(ReduceSequenceOpCases.cases());
    all.addAll(FusedOpCases.cases());
    all.addAll(QuantOpCases.cases());
    return all;
  }

  @TestFactory
  Stream<DynamicTest> everyRowOfTheTables() {
    return allCases().stream().map(c -> DynamicTest.dynamicTest(c.label(), c::run));
  }

  @Test
  void tablesCoverEveryOpInTheRegistry() {
    Set<String> valid = new TreeSet<>(), invalid = new TreeSet<>(), known = new TreeSet<>();
    for (OpCase c : allCases()) {
      (c.kind() == OpCase.Kind.INVALID ? invalid : valid).add(c.op());
    }
    List<String> missing = new ArrayList<>();
    for (OpDef op : Ops.all()) {
      known.add(op.name());
      if (!valid.contains(op.name())) missing.add(op.name() + " (no valid row)");
      if (!invalid.contains(op.name())) missing.add(op.name() + " (no invalid row)");
    }
    assertTrue(missing.isEmpty(), "ops without type-rule tests: " + missing);
    Set<String> stray = new TreeSet<>(valid);
    stray.addAll(invalid);
    stray.removeAll(known);
    assertTrue(stray.isEmpty(), "rows for ops that are not in the registry: " + stray);
  }
}
