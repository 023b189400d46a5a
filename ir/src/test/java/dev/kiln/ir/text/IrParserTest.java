package dev.kiln.ir.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.Attr;
import dev.kiln.ir.DType;
import dev.kiln.ir.Dim;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Layout;
import dev.kiln.ir.ListType;
import dev.kiln.ir.Node;
import dev.kiln.ir.OptionalType;
import dev.kiln.ir.PrimType;
import dev.kiln.ir.Quant;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.TupleType;
import dev.kiln.ir.Type;
import dev.kiln.ir.Value;
import dev.kiln.ir.ops.ControlOps;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What the parser builds: types, attribute records, names, use lists and nesting. */
class IrParserTest {
  @Test
  void typesBecomeTheirRecords() {
    Graph g = IrParser.parse("""
        graph @t(%a: f32[N,?,3], %b: f64[*], %c: i64[], %d: qu8[1,2]{nhwc,q=0.5:-3}, %e: qi8[2]{q(axis=0)=[0.1:0,0.2:1]}, %f: tuple<int,bool[2]>, %g: list<optional<str>>, %h: none) -> () {
          return()
        }
        """, "t.kir");
    List<Value> p = g.params();
    assertEquals(new TensorType(DType.F32, Shape.of(List.of(Dim.sym("N"), Dim.UNKNOWN, Dim.of(3))), Layout.CONTIGUOUS, null), p.get(0).type());
    assertEquals(Shape.UNRANKED, p.get(1).tensorType().shape());
    assertEquals(Shape.SCALAR, p.get(2).tensorType().shape());
    TensorType d = p.get(3).tensorType();
    assertEquals(Layout.NHWC, d.layout());
    assertEquals(Quant.perTensor(0.5, -3), d.quant());
    assertEquals(new Quant(0, List.of(0.1, 0.2), List.of(0L, 1L)), p.get(4).tensorType().quant());
    assertEquals(new TupleType(List.of(PrimType.INT, Type.tensor(DType.BOOL, 2))), p.get(5).type());
    assertEquals(new ListType(new OptionalType(PrimType.STR)), p.get(6).type());
    assertSame(PrimType.NONE, p.get(7).type());
    assertEquals("h", p.get(7).name());
  }

  @Test
  void attributesBecomeTheirRecordsInWrittenOrder() {
    Graph g = IrParser.parse("""
        graph @a() -> () {
          %0 = const {i=-3, f=1.0E-5, b=true, s="a\\"b\\\\c\\nd\\te", is=[1,-2], fs=[1.5,-inf], mix=[1,2.5], e=[], d=bool, n=none, big=-9223372036854775808, nan=nan} : int
          return()
        }
        """, "a.kir");
    Node c = g.body().nodes().get(0);
    assertEquals(List.of("i", "f", "b", "s", "is", "fs", "mix", "e", "d", "n", "big", "nan"), List.copyOf(c.attrs().keySet()));
    assertEquals(new Attr.Int(-3), c.attr("i"));
    assertEquals(new Attr.Float(1e-5), c.attr("f"));
    assertEquals(new Attr.Bool(true), c.attr("b"));
    assertEquals(new Attr.Str("a\"b\\c\nd\te"), c.attr("s"));
    assertEquals(Attr.ints(1, -2), c.attr("is"));
    assertEquals(Attr.floats(1.5, Double.NEGATIVE_INFINITY), c.attr("fs"));
    assertEquals(Attr.floats(1.0, 2.5), c.attr("mix"));
    assertEquals(Attr.ints(), c.attr("e"));
    assertEquals(new Attr.DTypeAttr(DType.BOOL), c.attr("d"));
    assertEquals(new Attr.None(), c.attr("n"));
    assertEquals(new Attr.Int(Long.MIN_VALUE), c.attr("big"));
    assertTrue(Double.isNaN(((Attr.Float) c.attr("nan")).value()));
  }

  @Test
  void commentsAreIgnoredAndUsesAreRecorded() {
    Graph g = IrParser.parse("""
        // RUN: kiln-opt %s -p dce
        graph @c(%x: f32[2]) -> (f32[2]) { // trailing comment
          // CHECK: nn.relu
          %y = nn.relu(%x) : f32[2] // the relu
          %z = nn.add(%y, %y) : f32[2]
          return(%z)
        }
        // end
        """, "c.kir");
    Value x = g.params().get(0);
    Node relu = g.body().nodes().get(0);
    assertSame(x, relu.operand(0));
    assertEquals(2, relu.result().uses().size());
    assertEquals("z", g.results().get(0).name());
    assertEquals("""
        graph @c(%x: f32[2]) -> (f32[2]) {
          %y = nn.relu(%x) : f32[2]
          %z = nn.add(%y, %y) : f32[2]
          return(%z)
        }
        """, IrPrinter.print(g));
  }

  @Test
  void nestedBlocksSeeOuterValuesAndHoldTheirArguments() {
    Graph g = IrParser.parse("""
        graph @l(%n: int, %go: bool, %x: f32[2]) -> (f32[2]) {
          %r = loop(%n, %go, %x) : f32[2] {
          ^(%i: int, %acc: f32[2]):
            %s = nn.add(%acc, %x) : f32[2]
            yield(%go, %s)
          }
          return(%r)
        }
        """, "l.kir");
    Node loop = g.body().nodes().get(0);
    assertSame(ControlOps.LOOP, loop.op());
    assertEquals(1, loop.blocks().size());
    assertSame(loop, loop.block(0).parent());
    assertEquals(List.of("i", "acc"), loop.block(0).args().stream().map(Value::name).toList());
    Node add = loop.block(0).nodes().get(0);
    assertSame(loop.block(0).arg(1), add.operand(0));
    assertSame(g.params().get(2), add.operand(1));
    assertSame(g, loop.block(0).graph());
    assertEquals(List.of("loop", "nn.add", "yield", "return"), g.allNodes().stream().map(n -> n.op().name()).toList());
  }

  @Test
  void operandlessOpsMayBeWrittenWithOrWithoutParentheses() {
    String withParens = "graph @p() -> (f32[2]) {\n  %z = nn.full() {shape=[2]} : f32[2]\n  return(%z)\n}\n";
    String canonical = "graph @p() -> (f32[2]) {\n  %z = nn.full {shape=[2]} : f32[2]\n  return(%z)\n}\n";
    assertEquals(canonical, IrPrinter.print(IrParser.parse(withParens, "p.kir")));
    assertEquals(canonical, IrPrinter.print(IrParser.parse(canonical, "p.kir")));
  }

  @Test
  void aBodyWithoutReturnParsesWhenNoResultsAreDeclared() {
    Graph g = IrParser.parse("graph @e() -> () {\n}\n", "e.kir");
    assertTrue(g.body().nodes().isEmpty());
    assertNull(g.body().terminator());
    assertEquals("graph @e() -> () {\n}\n", IrPrinter.print(g));
  }
}
