package dev.kiln.ir.verify;

import static dev.kiln.ir.Builder.attrs;
import static dev.kiln.ir.verify.Graphs.named;
import static dev.kiln.ir.verify.Graphs.raw;
import static dev.kiln.ir.verify.Graphs.t;
import static dev.kiln.ir.verify.Graphs.yieldIn;
import static dev.kiln.ir.verify.VerifierStructureTest.assertProblems;

import dev.kiln.ir.Attr;
import dev.kiln.ir.Builder;
import dev.kiln.ir.DType;
import dev.kiln.ir.Dim;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Layout;
import dev.kiln.ir.Node;
import dev.kiln.ir.PrimType;
import dev.kiln.ir.Quant;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.ops.ControlOps;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** const nodes (name or literal, literal against type) and well-formed parameter, argument and result types. */
class VerifierConstAndTypesTest {
  private static int count;

  /** Appends {@code %cN = const {attrs} : type} with no schema check, so bad attributes reach the verifier. */
  private static Value konst(Graph g, String type, Map<String, Attr> attrs) {
    return named(raw(g.body(), ControlOps.CONST, List.of(), attrs, type).result(), "c" + count++);
  }

  @Test
  void constNeedsExactlyOneOfNameAndValueAndANonEmptyName() {
    count = 0;
    Graph g = new Graph("g");
    konst(g, "f32[2]", attrs("name", "w", "value", Attr.floats(1, 2)));
    konst(g, "f32[2]", Map.of());
    konst(g, "f32[2]", attrs("name", ""));
    konst(g, "f32[2]", attrs("name", new Attr.None()));
    Node two = g.body().append(Node.create(ControlOps.CONST, List.of(), attrs("value", 1), List.of(PrimType.INT, PrimType.INT), 0));
    named(two.result(0), "two");
    Builder.atEnd(g.body()).ret();
    assertProblems(g,
        "%c0 = const: needs exactly one of 'name' (a weight) and 'value' (a literal), has both",
        "%c1 = const: needs exactly one of 'name' (a weight) and 'value' (a literal), has neither",
        "%c2 = const: name must be a non-empty string, got \"\"",
        "%c3 = const: name must be a non-empty string, got none",
        "%two = const: has 2 results, a const has exactly 1");
  }

  @Test
  void literalsThatFitTheirTypes() {
    count = 0;
    Graph g = new Graph("g");
    konst(g, "int", attrs("value", 3));
    konst(g, "float", attrs("value", 3));
    konst(g, "float", attrs("value", 2.5));
    konst(g, "bool", attrs("value", true));
    konst(g, "str", attrs("value", "relu"));
    konst(g, "none", attrs("value", new Attr.None()));
    konst(g, "optional<int>", attrs("value", new Attr.None()));
    konst(g, "list<int>", attrs("value", new long[] {1, 2}));
    konst(g, "list<float>", attrs("value", new long[] {}));
    konst(g, "f32[]", attrs("value", 0.5));
    konst(g, "i64[]", attrs("value", 7));
    konst(g, "f32[2,2]", attrs("value", new double[] {1, 2, 3, 4}));
    konst(g, "i32[3]", attrs("value", new long[] {1, 2, 3}));
    konst(g, "f32[0]", attrs("value", new long[] {}));
    Builder.atEnd(g.body()).ret();
    assertProblems(g);
  }

  @Test
  void literalsThatDoNotFitTheirTypes() {
    count = 0;
    Graph g = new Graph("g");
    konst(g, "int", attrs("value", 2.5));
    konst(g, "bool", attrs("value", 1));
    konst(g, "str", attrs("value", 1));
    konst(g, "none", attrs("value", 0));
    konst(g, "list<int>", attrs("value", new double[] {1.5}));
    konst(g, "list<int>", attrs("value", 3));
    konst(g, "f32[2,2]", attrs("value", new double[] {1, 2, 3}));
    konst(g, "f32[4]", attrs("value", 0.0));
    konst(g, "i64[2]", attrs("value", new double[] {1.5, 2}));
    konst(g, "i64[]", attrs("value", 0.5));
    konst(g, "f32[N]", attrs("value", new double[] {1}));
    konst(g, "tuple<int>", attrs("value", new long[] {1}));
    Builder.atEnd(g.body()).ret();
    assertProblems(g,
        "%c0 = const: value 2.5 does not fit int: expected an integer",
        "%c1 = const: value 1 does not fit bool: expected true or false",
        "%c2 = const: value 1 does not fit str: expected a string",
        "%c3 = const: value 0 does not fit none: expected none",
        "%c4 = const: value [1.5] does not fit list<int>: expected integer elements",
        "%c5 = const: value 3 does not fit list<int>: expected a list",
        "%c6 = const: value [1.0,2.0,3.0] does not fit f32[2,2]: expected 4 elements, got 3",
        "%c7 = const: value 0.0 does not fit f32[4]: expected a flat list of 4 elements",
        "%c8 = const: value [1.5,2.0] does not fit i64[2]: expected integer elements for i64",
        "%c9 = const: value 0.5 does not fit i64[]: expected an integer for i64",
        "%c10 = const: value [1.0] does not fit f32[N]: a literal tensor needs a static shape",
        "%c11 = const: value [1] does not fit tuple<int>: tuples have no literal form; build them with prim.tuple");
  }

  @Test
  void malformedParameterArgumentAndResultTypes() {
    Graph g = new Graph("g");
    g.addParam(f32Of(new Dim(5, "N")), "sized");
    g.addParam(f32Of(Dim.sym("1N")), "digit");
    g.addParam(new TensorType(DType.F32, Shape.of(2, 3), Layout.NHWC, null), "nhwc");
    g.addParam(new TensorType(DType.QU8, Shape.of(4), Layout.CONTIGUOUS, Quant.perTensor(0.1, 300)), "zp");
    g.addParam(new TensorType(DType.QI8, Shape.of(3, 4), Layout.CONTIGUOUS, new Quant(0, List.of(0.1, 0.2), List.of(0L, 0L))), "axis");
    Value flag = g.addParam(PrimType.BOOL, "flag");
    Node ifNode = Builder.atEnd(g.body()).createTyped(ControlOps.IF, List.of(flag), Map.of(), List.of());
    ifNode.block(0).addArg(t("f32[2]{nhwc}"), "k");
    yieldIn(ifNode.block(0));
    yieldIn(ifNode.block(1));
    Node q = raw(g.body(), ControlOps.CONST, List.of(), attrs("name", "q.weight"), "int");
    q.result().setType(new TensorType(DType.QI8, Shape.of(2), Layout.CONTIGUOUS, Quant.perTensor(0.0, 0)));
    named(q.result(), "q");
    Builder.atEnd(g.body()).ret();
    assertProblems(g,
        "parameter %sized has a malformed type f32[N]: dim N has both a symbol and a size 5",
        "parameter %digit has a malformed type f32[1N]: dim symbol '1N' is not a name",
        "parameter %nhwc has a malformed type f32[2,3]{nhwc}: nhwc layout needs a 4-D shape",
        "parameter %zp has a malformed type qu8[4]{q=0.1:300}: zero point 300 is outside qu8 [0,255]",
        "parameter %axis has a malformed type qi8[3,4]{q(axis=0)=[0.1:0,0.2:0]}: 2 channel scales for dim 0 of size 3",
        "block 0 of if (node 0 of the body of graph @g) has 1 arguments; the blocks of if take none",
        "block 0 of if (node 0 of the body of graph @g): argument %k has a malformed type f32[2]{nhwc}: nhwc layout needs a 4-D shape",
        "%q = const: result %q has a malformed type qi8[2]{q=0.0:0}: quantization scale 0.0 is not a positive finite number");
  }

  /** A one-dim f32 tensor type with a given dim, for dims the type text cannot write. */
  private static TensorType f32Of(Dim d) { return new TensorType(DType.F32, Shape.of(List.of(d)), Layout.CONTIGUOUS, null); }
}
