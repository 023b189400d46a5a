package dev.kiln.ir.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.Attr;
import dev.kiln.ir.Block;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.OpDef;
import dev.kiln.ir.PrimType;
import dev.kiln.ir.Type;
import dev.kiln.ir.Value;
import dev.kiln.ir.ops.ControlOps;
import dev.kiln.ir.ops.Ops;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Builds one small graph per registered op from its schema (operands, every declared attribute, its blocks) and
 * checks print(parse(print(g))) == print(g). Types are written, not inferred, so the graphs need not be
 * well-typed: this tests the text form, not the type rules. Values are left unnamed so numbering is exercised.
 */
class AllOpsRoundTripTest {
  @TestFactory
  Stream<DynamicTest> everyOpRoundTrips() {
    return Ops.all().stream().map(op -> DynamicTest.dynamicTest(op.name(), () -> {
      Graph g = graphFor(op);
      String printed = IrPrinter.print(g);
      assertTrue(printed.contains(" " + op.name()), "op missing from\n" + printed);
      Graph back = IrParser.parse(printed, op.name() + ".kir");
      assertEquals(printed, IrPrinter.print(back));
      assertEquals(g.allNodes().size(), back.allNodes().size());
    }));
  }

  static Graph graphFor(OpDef op) {
    Graph g = new Graph(op.name().replace('.', '_'));
    Type t = Type.tensor(DType.F32, 2, 3);
    List<Value> operands = new ArrayList<>();
    for (OpDef.OperandSpec s : op.operandSpecs()) {
      int n = s.arity() == OpDef.Arity.VARIADIC ? 2 : 1;
      for (int i = 0; i < n; i++) operands.add(g.addParam(t, null));
    }
    Map<String, Attr> attrs = new LinkedHashMap<>();
    for (OpDef.AttrSpec s : op.attrSpecs().values()) attrs.put(s.name(), s.dflt() != null ? s.dflt() : sample(s.kind()));
    boolean terminator = op.hasTrait(OpDef.Trait.TERMINATOR);
    List<Type> resultTypes = terminator ? List.of() : List.of(t);
    Node n = Node.create(op, operands, attrs, resultTypes, op.numBlocks());
    if (op == ControlOps.YIELD) {
      // yield only ends nested blocks: put it in an if.
      Value c = g.addParam(PrimType.BOOL, null);
      Node iff = Node.create(ControlOps.IF, List.of(c), Map.of(), List.of(), 2);
      iff.block(0).append(n);
      iff.block(1).append(Node.create(ControlOps.YIELD, List.of(), Map.of(), List.of(), 0));
      g.body().append(iff);
    } else if (op != ControlOps.RETURN) {
      g.body().append(n);
      for (int i = 0; i < n.blocks().size(); i++) fillBlock(n.block(i), op, t);
    }
    g.body().append(op == ControlOps.RETURN ? n : Node.create(ControlOps.RETURN, n.results(), Map.of(), List.of(), 0));
    return g;
  }

  private static void fillBlock(Block b, OpDef op, Type t) {
    List<Value> out = new ArrayList<>();
    if (op == ControlOps.LOOP) {
      b.addArg(PrimType.INT, "i");
      out.add(b.addArg(t, null));
    }
    Node y = Node.create(ControlOps.YIELD, out, Map.of(), List.of(), 0);
    b.append(y);
  }

  private static Attr sample(OpDef.AttrKind k) {
    return switch (k) {
      case INT -> Attr.of(-2L);
      case FLOAT -> Attr.of(0.125);
      case BOOL -> Attr.of(true);
      case STR -> Attr.of("s \"q\"");
      case INTS -> Attr.ints(2, -1);
      case FLOATS -> Attr.floats(0.5, 1.0E-5);
      case DTYPE -> new Attr.DTypeAttr(DType.BF16);
      case ANY -> new Attr.None();
    };
  }
}
