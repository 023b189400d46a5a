package dev.kiln.ir.verify;

import static dev.kiln.ir.Builder.attrs;

import dev.kiln.ir.Attr;
import dev.kiln.ir.Block;
import dev.kiln.ir.Builder;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.PrimType;
import dev.kiln.ir.Type;
import dev.kiln.ir.Value;
import dev.kiln.ir.ops.ControlOps;
import dev.kiln.ir.ops.ElementwiseOps;
import dev.kiln.ir.ops.NnOps;
import dev.kiln.ir.ops.PrimOps;
import dev.kiln.ir.ops.ReduceOps;
import dev.kiln.ir.ops.ShapeOps;
import dev.kiln.ir.ops.TypeText;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** Graphs for verifier tests, built with {@link Builder} and {@link Node#create} (not the text parser). */
final class Graphs {
  private Graphs() {}

  static Type t(String text) { return TypeText.type(text); }

  static Value named(Value v, String name) {
    v.setName(name);
    return v;
  }

  static Node yieldIn(Block b, Value... vs) {
    return Builder.atEnd(b).createTyped(ControlOps.YIELD, Arrays.asList(vs), Map.of(), List.of());
  }

  /** Appends a node with explicit result types, bypassing inference and schema checks. */
  static Node raw(Block b, dev.kiln.ir.OpDef op, List<Value> operands, Map<String, Attr> attrs, String... types) {
    return b.append(Node.create(op, operands, attrs, Arrays.stream(types).map(Graphs::t).toList(), op.numBlocks()));
  }

  /**
   * The example of docs/ir.md: a weight, a literal, conv, if, chunk and loop.
   *
   * <pre>
   * graph @forward(%x: f32[N,3,8,8], %flag: bool) -> (f32[N,4], int) {
   *   %w = const {name="conv.weight"} : f32[4,3,3,3]
   *   %b = const {value=[0.0,0.5,1.0,1.5]} : f32[4]
   *   %0 = nn.conv2d(%x, %w, %b) {stride=[1,1], padding=[1,1]} : f32[N,4,8,8]
   *   ...
   *   %5 = loop(%trip, %true, %3) : f32[N,4] { ^(%i: int, %acc: f32[N,4]): ... yield(%true, %6) }
   *   return(%5, %n)
   * }
   * </pre>
   */
  static Graph docsExample() {
    Graph g = new Graph("forward");
    Value x = g.addParam(t("f32[N,3,8,8]"), "x");
    Value flag = g.addParam(PrimType.BOOL, "flag");
    Builder b = Builder.atEnd(g.body());
    Value w = named(b.weight("conv.weight", t("f32[4,3,3,3]")), "w");
    Value bias = named(b.literal(Attr.floats(0.0, 0.5, 1.0, 1.5), t("f32[4]")), "b");
    Value c0 = named(b.op(NnOps.CONV2D, attrs("stride", new long[] {1, 1}, "padding", new long[] {1, 1}), x, w, bias), "0");
    Value r1 = named(b.op(ElementwiseOps.RELU, c0), "1");
    Value m2 = named(b.op(ReduceOps.MEAN, attrs("dims", new long[] {2, 3}, "keepdim", false), r1), "2");
    Value n = named(b.op(PrimOps.SIZE, attrs("dim", 0), x), "n");

    Node ifNode = b.createTyped(ControlOps.IF, List.of(flag), Map.of(), List.of(t("f32[N,4]")));
    Value r3 = named(ifNode.result(), "3");
    Value neg = named(Builder.atEnd(ifNode.block(0)).op(ElementwiseOps.NEG, m2), "4");
    yieldIn(ifNode.block(0), neg);
    yieldIn(ifNode.block(1), m2);

    Node chunk = b.create(ShapeOps.CHUNK, List.of(r3), attrs("chunks", 2, "dim", 1));
    named(chunk.result(0), "h0");
    named(chunk.result(1), "h1");
    Value trip = named(b.literal(Attr.of(3L), PrimType.INT), "trip");
    Value yes = named(b.literal(Attr.of(true), PrimType.BOOL), "true");
    Node loop = b.createTyped(ControlOps.LOOP, List.of(trip, yes, r3), Map.of(), List.of(t("f32[N,4]")));
    Value r5 = named(loop.result(), "5");
    Block body = loop.block(0);
    body.addArg(PrimType.INT, "i");
    Value acc = body.addArg(t("f32[N,4]"), "acc");
    Value next = named(Builder.atEnd(body).op(ElementwiseOps.ADD, attrs("alpha", 1), acc, m2), "6");
    yieldIn(body, yes, next);
    b.ret(r5, n);
    return g;
  }
}
