package dev.kiln.ir.text;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
import dev.kiln.ir.ops.ShapeOps;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How the printer names values: own names, fresh numbers for unnamed ones, suffixes for repeated names. */
class PrinterNamingTest {
  @Test
  void unnamedValuesAreNumberedInOrderSkippingNumbersUsedAsNames() {
    Graph g = new Graph("f");
    Value x = g.addParam(Type.tensor(DType.F32, 4), null);
    Builder b = Builder.atEnd(g.body());
    Value r0 = b.op(ElementwiseOps.RELU, x);
    Value r1 = b.op(ElementwiseOps.NEG, r0);
    r1.setName("1");
    Value r2 = b.op(ElementwiseOps.TANH, r1);
    b.ret(r2);
    String expected = """
        graph @f(%0: f32[4]) -> (f32[4]) {
          %2 = nn.relu(%0) : f32[4]
          %1 = nn.neg(%2) : f32[4]
          %3 = nn.tanh(%1) : f32[4]
          return(%3)
        }
        """;
    assertEquals(expected, IrPrinter.print(g));
    Graph back = IrParser.parse(expected, "numbered.kir");
    assertEquals(expected, IrPrinter.print(back));
    assertEquals("2", back.body().nodes().get(0).result().name());
  }

  @Test
  void repeatedNamesGetSuffixesThatDoNotCollide() {
    Graph g = new Graph("dup");
    Value x = g.addParam(Type.tensor(DType.F32, 2), "x");
    Builder b = Builder.atEnd(g.body());
    Value a = b.op(ElementwiseOps.RELU, x);
    a.setName("x");
    Value c = b.op(ElementwiseOps.NEG, a);
    c.setName("x.1");
    Value d = b.op(ElementwiseOps.ABS, c);
    d.setName("x");
    b.ret(d);
    String printed = IrPrinter.print(g);
    assertEquals("""
        graph @dup(%x: f32[2]) -> (f32[2]) {
          %x.2 = nn.relu(%x) : f32[2]
          %x.1 = nn.neg(%x.2) : f32[2]
          %x.3 = nn.abs(%x.1) : f32[2]
          return(%x.3)
        }
        """, printed);
    assertEquals(printed, IrPrinter.print(IrParser.parse(printed, "dup.kir")));
    assertEquals("x", d.name(), "printing must not rename the graph's values");
  }

  @Test
  void namesWithCharactersTheLexerRejectsAreSanitized() {
    Graph g = new Graph("s");
    Value x = g.addParam(PrimType.INT, "input-1");
    Builder.atEnd(g.body()).ret(x);
    String printed = IrPrinter.print(g);
    assertEquals("graph @s(%input_1: int) -> (int) {\n  return(%input_1)\n}\n", printed);
    assertEquals(printed, IrPrinter.print(IrParser.parse(printed, "s.kir")));
  }

  @Test
  void blockArgumentsAndNestedResultsAreNumberedInPrintOrder() {
    Graph g = new Graph("loop");
    Value trip = g.addParam(PrimType.INT, null);
    Value cond = g.addParam(PrimType.BOOL, null);
    Value init = g.addParam(Type.tensor(DType.F32, 3), null);
    Node loop = Node.create(ControlOps.LOOP, List.of(trip, cond, init), Map.of(), List.of(init.type()), 1);
    g.body().append(loop);
    loop.block(0).addArg(PrimType.INT, null);
    Value acc = loop.block(0).addArg(init.type(), null);
    Builder inner = Builder.atEnd(loop.block(0));
    Value next = inner.op(ElementwiseOps.EXP, acc);
    inner.createTyped(ControlOps.YIELD, List.of(cond, next), Map.of(), List.of());
    Builder.atEnd(g.body()).ret(loop.result());
    String printed = IrPrinter.print(g);
    assertEquals("""
        graph @loop(%0: int, %1: bool, %2: f32[3]) -> (f32[3]) {
          %3 = loop(%0, %1, %2) : f32[3] {
          ^(%4: int, %5: f32[3]):
            %6 = nn.exp(%5) : f32[3]
            yield(%1, %6)
          }
          return(%3)
        }
        """, printed);
    assertEquals(printed, IrPrinter.print(IrParser.parse(printed, "loop.kir")));
  }

  @Test
  void attributesPrintInTheOrderTheyWereSet() {
    Graph g = new Graph("attrs");
    Value x = g.addParam(Type.tensor(DType.F32, 2, 6), "x");
    Builder b = Builder.atEnd(g.body());
    Node n = b.create(ShapeOps.SLICE, List.of(x), Builder.attrs("step", 2L, "end", 6L, "dim", 1L));
    n.result().setName("y");
    b.ret(n.result());
    assertEquals("  %y = nn.slice(%x) {step=2, end=6, dim=1} : f32[2,3]", IrPrinter.print(g).lines().toList().get(1));
  }

  @Test
  void severalGraphsAreSeparatedByOneBlankLine() {
    Graph a = new Graph("a");
    Builder.atEnd(a.body()).ret();
    Graph c = new Graph("c");
    Value v = Builder.atEnd(c.body()).literal(Attr.of(2.5), PrimType.FLOAT);
    v.setName("v");
    Builder.atEnd(c.body()).ret(v);
    String text = IrPrinter.print(List.of(a, c));
    assertEquals("""
        graph @a() -> () {
          return()
        }

        graph @c() -> (float) {
          %v = const {value=2.5} : float
          return(%v)
        }
        """, text);
    assertEquals(text, IrPrinter.print(IrParser.parseModule(text, "two.kir")));
    assertEquals("", IrPrinter.print(List.of()));
  }
}
