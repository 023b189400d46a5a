package dev.kiln.ir.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.IrException;
import dev.kiln.ir.OpDef;
import org.junit.jupiter.api.Test;

class OpsRegistryTest {
  @Test
  void everyOpIsFoundByItsNameAndHasAnExampleSummary() {
    assertTrue(Ops.all().size() > 100, "op table looks truncated: " + Ops.all().size());
    for (OpDef op : Ops.all()) {
      assertEquals(op, Ops.get(op.name()));
      assertNotNull(op.summary());
      assertTrue(op.summary().contains(":"), op.name() + " summary needs a text example after ':'");
    }
  }

  @Test
  void unknownOpIsAnErrorNamingIt() {
    IrException e = assertThrows(IrException.class, () -> Ops.get("nn.frobnicate"));
    assertTrue(e.getMessage().contains("nn.frobnicate"));
  }
}
