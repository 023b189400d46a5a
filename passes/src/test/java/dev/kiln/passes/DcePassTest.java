package dev.kiln.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.Attr;
import dev.kiln.ir.Builder;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.PrimType;
import dev.kiln.ir.Type;
import dev.kiln.ir.Value;
import dev.kiln.ir.ops.ControlOps;
import dev.kiln.ir.ops.ElementwiseOps;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DcePassTest {
  private static final Type T = Type.tensor(DType.F32, 2, 3);

  private static List<String> ops(Graph g) { return g.allNodes().stream().map(n -> n.op().name()).toList(); }

  private static Graph run(Graph g) { return new DcePass().run(g); }

  @Test
  void removesUnusedPureChainsAndKeepsLiveOnes() {
    Graph g = new Graph("f");
    Value x = g.addParam(T, "x");
    Builder b = Builder.atEnd(g.body());
    Value live = b.op(ElementwiseOps.RELU, x);
    Value dead1 = b.op(ElementwiseOps.NEG, x);
    b.op(ElementwiseOps.EXP, dead1); // only user of dead1, itself unused
    b.weight("unused.weight", T);
    b.ret(live);

    assertSame(g, run(g));
    assertEquals(List.of("nn.relu", "return"), ops(g));
    assertEquals(List.of(), dead1.uses(), "erasing the user dropped its use of dead1");
    assertEquals(1, x.uses().size(), "x is used by relu only");
  }

  @Test
  void keepsSideEffectsAndTheirOperands() {
    Graph g = new Graph("f");
    Value x = g.addParam(T, "x");
    Value flag = g.addParam(PrimType.BOOL, "flag");
    Builder b = Builder.atEnd(g.body());
    Value notFlag = b.op(dev.kiln.ir.ops.PrimOps.NOT, flag);
    b.createTyped(ControlOps.ASSERT, List.of(notFlag), Builder.attrs("message", "flag must be false"), List.of());
    b.createTyped(ControlOps.RAISE, List.of(), Map.of(), List.of());
    b.ret(x);

    run(g);
    assertEquals(List.of("prim.not", "assert", "raise", "return"), ops(g));
  }

  @Test
  void sweepsInsideIfAndRemovesAnIfThatBecomesDead() {
    Graph g = new Graph("f");
    Value x = g.addParam(T, "x");
    Value c = g.addParam(PrimType.BOOL, "c");
    Builder b = Builder.atEnd(g.body());
    Value outerOnlyUsedInside = b.op(ElementwiseOps.TANH, x);
    // Live if: its then-block computes a dead exp.
    Node live = b.createTyped(ControlOps.IF, List.of(c), Map.of(), List.of(T));
    Builder t = Builder.atEnd(live.block(0));
    t.op(ElementwiseOps.EXP, x);
    Value r = t.op(ElementwiseOps.RELU, x);
    t.createTyped(ControlOps.YIELD, List.of(r), Map.of(), List.of());
    Builder e = Builder.atEnd(live.block(1));
    e.createTyped(ControlOps.YIELD, List.of(x), Map.of(), List.of());
    // Dead if: result unused, blocks effect-free; it is the only user of outerOnlyUsedInside.
    Node dead = b.createTyped(ControlOps.IF, List.of(c), Map.of(), List.of(T));
    Builder t2 = Builder.atEnd(dead.block(0));
    t2.createTyped(ControlOps.YIELD, List.of(t2.op(ElementwiseOps.NEG, outerOnlyUsedInside)), Map.of(), List.of());
    Builder e2 = Builder.atEnd(dead.block(1));
    e2.createTyped(ControlOps.YIELD, List.of(x), Map.of(), List.of());
    b.ret(live.result());

    run(g);
    assertEquals(List.of("if", "nn.relu", "yield", "yield", "return"), ops(g));
    assertTrue(dead.block() == null, "the dead if is detached");
  }

  @Test
  void keepsAnUnusedIfHoldingASideEffectButCleansItsBlocks() {
    Graph g = new Graph("f");
    Value x = g.addParam(T, "x");
    Value c = g.addParam(PrimType.BOOL, "c");
    Builder b = Builder.atEnd(g.body());
    Node guard = b.createTyped(ControlOps.IF, List.of(c), Map.of(), List.of());
    Builder t = Builder.atEnd(guard.block(0));
    t.op(ElementwiseOps.SIGMOID, x);
    t.createTyped(ControlOps.RAISE, List.of(), Builder.attrs("message", "bad input"), List.of());
    t.createTyped(ControlOps.YIELD, List.of(), Map.of(), List.of());
    Builder.atEnd(guard.block(1)).createTyped(ControlOps.YIELD, List.of(), Map.of(), List.of());
    b.ret(x);

    run(g);
    assertEquals(List.of("if", "raise", "yield", "yield", "return"), ops(g));
  }

  @Test
  void sweepsLoopBodiesButKeepsCarriedValues() {
    Graph g = new Graph("f");
    Value x = g.addParam(T, "x");
    Builder b = Builder.atEnd(g.body());
    Value trip = b.literal(Attr.of(3L), PrimType.INT);
    Value yes = b.literal(Attr.of(true), PrimType.BOOL);
    Value unusedLiteral = b.literal(Attr.of(7L), PrimType.INT);
    Node loop = b.create(ControlOps.LOOP, List.of(trip, yes, x), Map.of());
    loop.block(0).addArg(PrimType.INT, "i");
    Value acc = loop.block(0).addArg(T, "acc");
    Builder body = Builder.atEnd(loop.block(0));
    body.op(ElementwiseOps.MUL, acc, acc); // dead inside the body
    Value next = body.op(ElementwiseOps.ADD, acc, x);
    body.createTyped(ControlOps.YIELD, List.of(yes, next), Map.of(), List.of());
    b.ret(loop.result());

    run(g);
    assertEquals(List.of("const", "const", "loop", "nn.add", "yield", "return"), ops(g));
    assertTrue(unusedLiteral.definingNode().block() == null, "the unused literal is gone");
  }

  @Test
  void removesADeadLoopWithEffectFreeBody() {
    Graph g = new Graph("f");
    Value x = g.addParam(T, "x");
    Builder b = Builder.atEnd(g.body());
    Value trip = b.literal(Attr.of(3L), PrimType.INT);
    Value yes = b.literal(Attr.of(true), PrimType.BOOL);
    Node loop = b.create(ControlOps.LOOP, List.of(trip, yes, x), Map.of());
    loop.block(0).addArg(PrimType.INT, "i");
    Value acc = loop.block(0).addArg(T, "acc");
    Builder body = Builder.atEnd(loop.block(0));
    body.createTyped(ControlOps.YIELD, List.of(yes, body.op(ElementwiseOps.ADD, acc, x)), Map.of(), List.of());
    b.ret(x);

    run(g);
    assertEquals(List.of("return"), ops(g), "loop and the constants feeding it are dead");
  }
}
