package dev.kiln.runtime.interp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.OpDef;
import dev.kiln.ir.ops.Ops;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class KernelTableTest {
  @Test
  void everyOpHasExactlyOneKernelOrIsRunByTheInterpreter() {
    List<String> missing = new ArrayList<>(), both = new ArrayList<>();
    for (OpDef op : Ops.all()) {
      boolean kernel = KernelTable.find(op.name()) != null, interp = KernelTable.handledByInterpreter(op.name());
      if (!kernel && !interp) missing.add(op.name());
      if (kernel && interp) both.add(op.name());
    }
    assertEquals(List.of(), missing, "ops without a reference kernel");
    assertEquals(List.of(), both, "ops bound twice");
  }

  @Test
  void theTableNamesNoUnknownOps() {
    Set<String> unknown = new TreeSet<>();
    for (String name : KernelTable.names()) if (Ops.find(name) == null) unknown.add(name);
    for (String name : KernelTable.INTERPRETER_OPS) if (Ops.find(name) == null) unknown.add(name);
    assertTrue(unknown.isEmpty(), "kernels for ops that do not exist: " + unknown);
  }
}
