package dev.kiln.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.Builder;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.IrException;
import dev.kiln.ir.Node;
import dev.kiln.ir.Type;
import dev.kiln.ir.Value;
import dev.kiln.ir.ops.ElementwiseOps;
import dev.kiln.ir.text.IrParser;
import dev.kiln.ir.text.IrPrinter;
import dev.kiln.passes.rewrite.GreedyRewriter;
import dev.kiln.passes.rewrite.RewritePattern;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class GreedyRewriterTest {
  private static final Type T = Type.tensor(DType.F32, 4);

  // neg(neg(x)) -> x: one rewrite enables the next, down a chain, until nothing matches.
  private static final RewritePattern DOUBLE_NEG = RewritePattern.of("double-neg", Set.of("nn.neg"), (n, rw) -> {
    Node inner = n.operand(0).definingNode();
    if (inner == null || inner.op() != ElementwiseOps.NEG) return false;
    rw.replace(n, inner.operand(0));
    return true;
  });

  // relu(x) -> abs(x) and abs(x) -> relu(x): two patterns that undo each other never converge.
  private static RewritePattern swap(String from, dev.kiln.ir.OpDef to) {
    return RewritePattern.of(from + "-swap", Set.of(from), (n, rw) -> {
      rw.replace(n, rw.create(to, List.of(n.operand(0)), Map.of()).result());
      return true;
    });
  }

  private static Graph chain(int negs) {
    Graph g = new Graph("f");
    Value v = g.addParam(T, "x");
    Builder b = Builder.atEnd(g.body());
    for (int i = 0; i < negs; i++) v = b.op(ElementwiseOps.NEG, v);
    b.ret(v);
    return g;
  }

  @Test
  void reachesAFixedPointAndErasesWhatBecameDead() {
    Graph g = chain(5);
    GreedyRewriter.Result r = new GreedyRewriter(List.of(DOUBLE_NEG)).run(Program.of(g));
    assertEquals(1, g.allNodes().size() - 1, "one neg left of five:\n" + IrPrinter.print(g));
    assertTrue(r.changed() && r.rewrites() >= 2, r.toString());
    assertEquals(0, new GreedyRewriter(List.of(DOUBLE_NEG)).run(Program.of(g)).rewrites(), "a second run finds nothing");
  }

  @Test
  void patternsThatFightAreReportedNotLoopedForever() {
    Graph g = IrParser.parse("""
        graph @f(%x: f32[4]) -> (f32[4]) {
          %y = nn.relu(%x) : f32[4]
          return(%y)
        }
        """, "t");
    IrException e = assertThrows(IrException.class,
        () -> new GreedyRewriter(List.of(swap("nn.relu", ElementwiseOps.ABS), swap("nn.abs", ElementwiseOps.RELU))).run(Program.of(g)));
    assertTrue(e.getMessage().contains("did not converge on @f"), e.getMessage());
    assertTrue(e.getMessage().contains("nn.relu-swap") && e.getMessage().contains("nn.abs-swap"), e.getMessage());
  }

  @Test
  void rewritesInsideNestedBlocks() {
    Graph g = IrParser.parse("""
        graph @f(%x: f32[4], %c: bool) -> (f32[4]) {
          %r = if(%c) : f32[4] {
            %a = nn.neg(%x) : f32[4]
            %b = nn.neg(%a) : f32[4]
            yield(%b)
          } {
            yield(%x)
          }
          return(%r)
        }
        """, "t");
    new GreedyRewriter(List.of(DOUBLE_NEG)).run(Program.of(g));
    assertTrue(IrPrinter.print(g).contains("yield(%x)\n  } {"), IrPrinter.print(g));
    assertEquals(0, g.allNodes().stream().filter(n -> n.op() == ElementwiseOps.NEG).count());
  }
}
