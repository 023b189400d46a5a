package dev.kiln.ir.verify;

import static dev.kiln.ir.Builder.attrs;
import static dev.kiln.ir.verify.Graphs.named;
import static dev.kiln.ir.verify.Graphs.raw;
import static dev.kiln.ir.verify.Graphs.t;
import static dev.kiln.ir.verify.Graphs.yieldIn;
import static dev.kiln.ir.verify.VerifierStructureTest.assertProblems;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.ir.Attr;
import dev.kiln.ir.Block;
import dev.kiln.ir.Builder;
import dev.kiln.ir.Graph;
import dev.kiln.ir.ListType;
import dev.kiln.ir.Node;
import dev.kiln.ir.PrimType;
import dev.kiln.ir.Value;
import dev.kiln.ir.ops.ControlOps;
import dev.kiln.ir.ops.ElementwiseOps;
import dev.kiln.ir.ops.ShapeOps;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Written result types against the type rules, and the block signatures of if and loop. */
class VerifierTypesTest {
  private static Graph graph(String... paramTypes) {
    Graph g = new Graph("g");
    for (int i = 0; i < paramTypes.length; i++) g.addParam(t(paramTypes[i]), "p" + i);
    return g;
  }

  private static Value p(Graph g, int i) { return g.params().get(i); }

  @Test
  void brokenBroadcastNamesTheNodeAndBothTypes() {
    Graph g = graph("f32[1,64]", "f32[1,32]");
    Value r = named(raw(g.body(), ElementwiseOps.ADD, List.of(p(g, 0), p(g, 1)), Map.of(), "f32[1,64]").result(), "7");
    Builder.atEnd(g.body()).ret(r);
    assertProblems(g, "%7 = nn.add: shapes f32[1,64] and f32[1,32] do not broadcast");
  }

  @Test
  void writtenTypeDisagreeingWithTheRule() {
    Graph g = graph("f32[2,3]", "f32[N,4]", "f32[M,4]");
    named(raw(g.body(), ElementwiseOps.RELU, List.of(p(g, 0)), Map.of(), "f32[2,4]").result(), "dims");
    named(raw(g.body(), ElementwiseOps.RELU, List.of(p(g, 0)), Map.of(), "i64[2,3]").result(), "dtype");
    named(raw(g.body(), ElementwiseOps.RELU, List.of(p(g, 0)), Map.of(), "f32[6]").result(), "rank");
    named(raw(g.body(), ElementwiseOps.RELU, List.of(p(g, 0)), Map.of(), "f32[?,3]").result(), "vaguer");
    named(raw(g.body(), ElementwiseOps.RELU, List.of(p(g, 0)), Map.of(), "f32[*]").result(), "unranked");
    named(raw(g.body(), ElementwiseOps.RELU, List.of(p(g, 0)), Map.of(), "int").result(), "kind");
    // Refinements the written type may make: a symbol or size for an inferred '?', any shape for an unranked one.
    raw(g.body(), ElementwiseOps.ADD, List.of(p(g, 1), p(g, 2)), Map.of(), "f32[N,4]");
    Value shape = named(Builder.atEnd(g.body()).op(dev.kiln.ir.ops.PrimOps.SHAPE, p(g, 0)), "s");
    raw(g.body(), ShapeOps.RESHAPE, List.of(p(g, 0), shape), Map.of(), "f32[3,2]");
    Builder.atEnd(g.body()).ret(p(g, 0));
    assertProblems(g,
        "%dims = nn.relu: result 0 is written f32[2,4] but inferred f32[2,3]",
        "%dtype = nn.relu: result 0 is written i64[2,3] but inferred f32[2,3]",
        "%rank = nn.relu: result 0 is written f32[6] but inferred f32[2,3]",
        "%vaguer = nn.relu: result 0 is written f32[?,3] but inferred f32[2,3]",
        "%unranked = nn.relu: result 0 is written f32[*] but inferred f32[2,3]",
        "%kind = nn.relu: result 0 is written int but inferred f32[2,3]");
  }

  @Test
  void resultCountMustMatchTheRule() {
    Graph g = graph("f32[1,4]");
    Node chunk = raw(g.body(), ShapeOps.CHUNK, List.of(p(g, 0)), attrs("chunks", 2, "dim", 1), "f32[1,2]");
    named(chunk.result(), "a");
    Builder.atEnd(g.body()).ret(chunk.result());
    assertProblems(g, "%a = nn.chunk: has 1 results, but its type rule gives 2 [f32[1,2], f32[1,2]]");
  }

  private static Node ifNode(Graph g, Value cond, String... resultTypes) {
    Node n = Builder.atEnd(g.body()).createTyped(ControlOps.IF, List.of(cond), Map.of(),
        java.util.Arrays.stream(resultTypes).map(Graphs::t).toList());
    if (!n.results().isEmpty()) named(n.result(0), "r");
    return n;
  }

  @Test
  void ifConditionArgumentsAndYields() {
    Graph g = graph("f32[4]", "f32[3]", "int");
    Node n = ifNode(g, p(g, 2), "f32[4]");
    named(p(g, 1), "a");
    yieldIn(n.block(0), p(g, 0), p(g, 0));
    n.block(1).addArg(PrimType.INT, "k");
    yieldIn(n.block(1), p(g, 1));
    Builder.atEnd(g.body()).ret(n.result());
    assertProblems(g,
        "%r = if: condition %p2 is int, expected bool",
        "yield (node 0 of block 0 of %r = if): yields 2 values, expected 1 (one per result of %r = if)",
        "block 1 of %r = if has 1 arguments; the blocks of if take none",
        "yield (node 0 of block 1 of %r = if): operand 0 (%a) is f32[3], but result 0 of %r = if is f32[4]");
  }

  @Test
  void ifResultMayBeVaguerThanWhatTheBranchesYield() {
    Graph g = graph("f32[4]", "f32[3]", "bool");
    Node n = ifNode(g, p(g, 2), "f32[?]");
    yieldIn(n.block(0), p(g, 0));
    yieldIn(n.block(1), p(g, 1));
    Builder.atEnd(g.body()).ret(n.result());
    assertProblems(g);
  }

  private static Node loop(Graph g, List<Value> operands, String... resultTypes) {
    Node n = raw(g.body(), ControlOps.LOOP, operands, Map.of(), resultTypes);
    named(n.result(0), "r");
    return n;
  }

  @Test
  void loopBodySignatureAndYield() {
    Graph g = graph("int", "bool", "f32[4]");
    Node n = loop(g, List.of(p(g, 0), p(g, 1), p(g, 2)), "f32[4]");
    Block body = n.block(0);
    Value i = body.addArg(PrimType.FLOAT, "i");
    body.addArg(t("f32[3]"), "acc");
    yieldIn(body, i, p(g, 2));
    Builder.atEnd(g.body()).ret(n.result());
    assertProblems(g,
        "block 0 of %r = loop: argument %i is float, expected int (the iteration number)",
        "block 0 of %r = loop: argument %acc is f32[3] but carries result 0 of type f32[4]",
        "yield (node 0 of block 0 of %r = loop): operand 0 (%i) is float, expected bool (the next condition)");
  }

  @Test
  void loopArgumentCountYieldCountAndResultsAgainstInits() {
    Graph g = graph("float", "bool", "f32[4]");
    Node n = loop(g, List.of(p(g, 0), p(g, 1), p(g, 2)), "f32[5]");
    yieldIn(n.block(0), p(g, 1), p(g, 2), p(g, 2));
    n.block(0).addArg(PrimType.INT, "i");
    Node m = loop(g, List.of(intConst(g), p(g, 1), p(g, 2)), "f32[5]");
    named(m.result(0), "r2");
    m.block(0).addArg(PrimType.INT, "j");
    m.block(0).addArg(t("f32[4]"), "acc");
    yieldIn(m.block(0), p(g, 1), p(g, 2));
    Builder.atEnd(g.body()).ret(n.result());
    assertProblems(g,
        "%r = loop: trip count must be int, got float",
        "block 0 of %r = loop has 1 arguments, expected 2 (the iteration number, then one per carried value)",
        "yield (node 0 of block 0 of %r = loop): yields 3 values, expected 2 (the condition, then 1 carried values of %r = loop)",
        "%r2 = loop: result 0 is written f32[5] but inferred f32[4]",
        "block 0 of %r2 = loop: argument %acc is f32[4] but carries result 0 of type f32[5]",
        "yield (node 0 of block 0 of %r2 = loop): operand 1 (%p2) is f32[4], but result 0 of %r2 = loop is f32[5]");
  }

  private static Value intConst(Graph g) {
    return named(Builder.atEnd(g.body()).literal(Attr.of(2L), PrimType.INT), "two");
  }

  @Test
  void listAndTupleResultsAreComparedElementwise() {
    Graph g = graph("f32[2]", "int");
    named(raw(g.body(), dev.kiln.ir.ops.PrimOps.LIST, List.of(p(g, 1), p(g, 1)), Map.of(), "list<float>").result(), "l");
    named(raw(g.body(), dev.kiln.ir.ops.PrimOps.TUPLE, List.of(p(g, 1), p(g, 0)), Map.of(), "tuple<int,f32[3]>").result(), "tu");
    Value ok = named(Builder.atEnd(g.body()).op(dev.kiln.ir.ops.PrimOps.LIST, p(g, 1)), "ok");
    Builder.atEnd(g.body()).ret(ok);
    assertProblems(g,
        "%l = prim.list: result 0 is written list<float> but inferred list<int>",
        "%tu = prim.tuple: result 0 is written tuple<int,f32[3]> but inferred tuple<int,f32[2]>");
    assertEquals(new ListType(PrimType.INT), ok.type());
  }
}
