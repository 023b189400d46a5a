package dev.kiln.ir.verify;

import static dev.kiln.ir.Builder.attrs;
import static dev.kiln.ir.verify.Graphs.named;
import static dev.kiln.ir.verify.Graphs.raw;
import static dev.kiln.ir.verify.Graphs.t;
import static dev.kiln.ir.verify.Graphs.yieldIn;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.ir.Builder;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.PrimType;
import dev.kiln.ir.Value;
import dev.kiln.ir.Verifier;
import dev.kiln.ir.ops.ControlOps;
import dev.kiln.ir.ops.ElementwiseOps;
import dev.kiln.ir.ops.NnOps;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** SSA dominance, use lists, schemas and terminators: each check has a graph that breaks it. */
class VerifierStructureTest {
  static void assertProblems(Graph g, String... expected) {
    assertEquals(List.of(expected), Verifier.check(g));
  }

  private static Graph graphWithX(String type) {
    Graph g = new Graph("g");
    g.addParam(t(type), "x");
    return g;
  }

  @Test
  void operandUsedBeforeItsDefinitionInTheSameBlock() {
    Graph g = graphWithX("f32[2]");
    Node def = Node.create(ElementwiseOps.RELU, List.of(g.params().get(0)), Map.of(), List.of(t("f32[2]")), 0);
    named(def.result(), "b");
    Node use = g.body().append(Node.create(ElementwiseOps.RELU, List.of(def.result()), Map.of(), List.of(t("f32[2]")), 0));
    named(use.result(), "a");
    g.body().append(def);
    Builder.atEnd(g.body()).ret(use.result());
    assertProblems(g, "%a = nn.relu: operand 0 (%b) is used before its definition");
  }

  @Test
  void valueDefinedInANestedBlockIsNotVisibleAfterIt() {
    Graph g = graphWithX("f32[2]");
    Value flag = g.addParam(PrimType.BOOL, "flag");
    Builder b = Builder.atEnd(g.body());
    Node ifNode = b.createTyped(ControlOps.IF, List.of(flag), Map.of(), List.of(t("f32[2]")));
    named(ifNode.result(), "r");
    Value inner = named(Builder.atEnd(ifNode.block(0)).op(ElementwiseOps.RELU, g.params().get(0)), "inner");
    yieldIn(ifNode.block(0), inner);
    yieldIn(ifNode.block(1), g.params().get(0));
    Value out = named(b.op(ElementwiseOps.ADD, inner, ifNode.result()), "out");
    b.ret(out);
    assertProblems(g, "%out = nn.add: operand 0 (%inner) is defined inside block 0 of %r = if and is not visible here");
  }

  @Test
  void siblingBlocksDoNotSeeEachOtherButNestedBlocksSeeEnclosingOnes() {
    Graph g = graphWithX("f32[2]");
    Value x = g.params().get(0);
    Value flag = g.addParam(PrimType.BOOL, "flag");
    Node ifNode = Builder.atEnd(g.body()).createTyped(ControlOps.IF, List.of(flag), Map.of(), List.of(t("f32[2]")));
    named(ifNode.result(), "r");
    Builder then = Builder.atEnd(ifNode.block(0));
    Value a = named(then.op(ElementwiseOps.RELU, x), "a");
    // A loop two levels down uses %a (then-block), %x and %flag (graph parameters): all visible.
    Value trip = named(then.literal(dev.kiln.ir.Attr.of(2L), PrimType.INT), "trip");
    Node loop = then.createTyped(ControlOps.LOOP, List.of(trip, flag, a), Map.of(), List.of(t("f32[2]")));
    named(loop.result(), "l");
    loop.block(0).addArg(PrimType.INT, "i");
    Value acc = loop.block(0).addArg(t("f32[2]"), "acc");
    Value sum = named(Builder.atEnd(loop.block(0)).op(ElementwiseOps.ADD, acc, a), "sum");
    yieldIn(loop.block(0), flag, sum);
    yieldIn(ifNode.block(0), loop.result());
    Value b = named(Builder.atEnd(ifNode.block(1)).op(ElementwiseOps.MUL, a, x), "b");
    yieldIn(ifNode.block(1), b);
    Builder.atEnd(g.body()).ret(ifNode.result());
    assertProblems(g, "%b = nn.mul: operand 0 (%a) is defined inside block 0 of %r = if and is not visible here");
  }

  @Test
  void aNodesOwnResultIsNotVisibleInItsBlocks() {
    Graph g = graphWithX("f32[2]");
    Value flag = g.addParam(PrimType.BOOL, "flag");
    Node ifNode = Builder.atEnd(g.body()).createTyped(ControlOps.IF, List.of(flag), Map.of(), List.of(t("f32[2]")));
    named(ifNode.result(), "r");
    yieldIn(ifNode.block(0), ifNode.result());
    yieldIn(ifNode.block(1), g.params().get(0));
    Builder.atEnd(g.body()).ret(ifNode.result());
    assertProblems(g, "yield (node 0 of block 0 of %r = if): operand 0 (%r) is used before its definition");
  }

  @Test
  void operandFromAnotherGraphIsNotDefinedHere() {
    Graph other = graphWithX("f32[2]");
    Value z = named(Builder.atEnd(other.body()).op(ElementwiseOps.RELU, other.params().get(0)), "z");
    Graph g = graphWithX("f32[2]");
    Value y = named(Builder.atEnd(g.body()).op(ElementwiseOps.RELU, z), "y");
    Builder.atEnd(g.body()).ret(y);
    assertProblems(g, "%y = nn.relu: operand 0 (%z) is not defined in this graph");
  }

  @Test
  void useListNamingANodeOutsideTheGraph() {
    Graph g = graphWithX("f32[2]");
    Value x = g.params().get(0);
    Node stray = Node.create(ElementwiseOps.RELU, List.of(x), Map.of(), List.of(t("f32[2]")), 0); // never inserted
    named(stray.result(), "stray");
    Builder.atEnd(g.body()).ret(x);
    assertProblems(g, "parameter %x is used by %stray = nn.relu, which is not in the graph");
  }

  @Test
  void schemaOperandCountAttributesAndBlocks() {
    Graph g = graphWithX("f32[2]");
    Value x = g.params().get(0);
    Value flag = g.addParam(PrimType.BOOL, "flag");
    named(raw(g.body(), ElementwiseOps.RELU, List.of(x, x), Map.of(), "f32[2]").result(), "two");
    named(raw(g.body(), ElementwiseOps.RELU, List.of(x), attrs("alpha", 1), "f32[2]").result(), "extra");
    named(raw(g.body(), NnOps.SOFTMAX, List.of(x), Map.of(), "f32[2]").result(), "nodim");
    Node oneBlock = g.body().append(Node.create(ControlOps.IF, List.of(flag), Map.of(), List.of(), 1));
    yieldIn(oneBlock.block(0));
    Builder.atEnd(g.body()).ret(x);
    assertProblems(g,
        "%two = nn.relu: takes 1 operands, got 2",
        "%extra = nn.relu: has no attribute 'alpha' (it has [])",
        "%nodim = nn.softmax: missing attribute 'dim'",
        "if (node 3 of the body of graph @g): has 1 blocks, if takes 2");
  }

  @Test
  void graphBodyMustEndWithReturn() {
    Graph g = graphWithX("f32[2]");
    named(Builder.atEnd(g.body()).op(ElementwiseOps.RELU, g.params().get(0)), "y");
    assertProblems(g, "the body of graph @g must end with return, but ends with %y = nn.relu");
  }

  @Test
  void emptyGraphBody() {
    assertProblems(new Graph("g"), "the body of graph @g is empty; it must end with return");
  }

  @Test
  void terminatorInTheMiddleOfABlock() {
    Graph g = graphWithX("f32[2]");
    Builder b = Builder.atEnd(g.body());
    b.ret(g.params().get(0));
    named(b.op(ElementwiseOps.RELU, g.params().get(0)), "y");
    assertProblems(g,
        "return (node 0 of the body of graph @g): terminator in the middle of the body of graph @g (1 nodes follow)",
        "the body of graph @g must end with return, but ends with %y = nn.relu");
  }

  @Test
  void yieldCannotEndAGraphAndReturnCannotEndABlock() {
    Graph g = graphWithX("f32[2]");
    Value flag = g.addParam(PrimType.BOOL, "flag");
    Node ifNode = Builder.atEnd(g.body()).createTyped(ControlOps.IF, List.of(flag), Map.of(), List.of(t("f32[2]")));
    named(ifNode.result(), "r");
    Builder.atEnd(ifNode.block(0)).ret(g.params().get(0));
    yieldIn(ifNode.block(1), g.params().get(0));
    yieldIn(g.body(), ifNode.result());
    assertProblems(g,
        "block 0 of %r = if must end with yield, but ends with return (node 0 of block 0 of %r = if)",
        "the body of graph @g must end with return, but ends with yield (node 1 of the body of graph @g)");
  }

  @Test
  void emptyNestedBlock() {
    Graph g = graphWithX("f32[2]");
    Value flag = g.addParam(PrimType.BOOL, "flag");
    Node ifNode = Builder.atEnd(g.body()).createTyped(ControlOps.IF, List.of(flag), Map.of(), List.of());
    yieldIn(ifNode.block(0));
    Builder.atEnd(g.body()).ret();
    assertProblems(g, "block 1 of if (node 0 of the body of graph @g) is empty; it must end with yield");
  }
}
