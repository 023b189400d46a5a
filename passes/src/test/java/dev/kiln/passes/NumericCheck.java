package dev.kiln.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.kiln.ir.DType;
import dev.kiln.ir.Dim;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.PrimType;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Type;
import dev.kiln.ir.Value;
import dev.kiln.ir.text.IrParser;
import dev.kiln.ir.text.IrPrinter;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.Tuple;
import dev.kiln.runtime.interp.Interpreter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The numeric check every pass gets: the interpreter's outputs on random inputs are the same before and after the
 * pipeline, within 1e-5 relative (to the largest magnitude of each output).
 */
public final class NumericCheck {
  private NumericCheck() {}

  public static final double RTOL = 1e-5;

  /** Random weights for every {@code const {name=...}} of {@code g}: normal values, variances made positive. */
  public static Map<String, Tensor> randomWeights(Graph g, long seed) {
    Random r = new Random(seed);
    Map<String, Tensor> w = new HashMap<>();
    for (Node n : g.allNodes()) {
      if (!n.op().name().equals("const") || n.attrIsNone("name")) continue;
      String name = n.attrStr("name");
      TensorType t = (TensorType) n.result().type();
      boolean positive = name.contains("var");
      w.putIfAbsent(name, random(t, r, positive, Map.of()));
    }
    return w;
  }

  /** A random tensor of {@code t}, symbolic dims taken from {@code symbols}. */
  public static Tensor random(TensorType t, Random r, boolean positive, Map<String, Long> symbols) {
    long[] shape = new long[t.rank()];
    for (int i = 0; i < shape.length; i++) {
      Dim d = t.shape().dim(i);
      shape[i] = d.isStatic() ? d.size() : symbols.getOrDefault(d.symbol(), 2L);
    }
    int n = (int) Tensor.numel(shape);
    if (t.dtype().isFloat()) {
      double[] v = new double[n];
      for (int i = 0; i < n; i++) v[i] = positive ? 0.1 + r.nextDouble() : r.nextGaussian();
      return Tensor.ofDoubles(t.dtype(), v, shape);
    }
    long[] v = new long[n];
    for (int i = 0; i < n; i++) v[i] = t.dtype() == DType.BOOL ? r.nextInt(2) : r.nextInt(5);
    return Tensor.ofLongs(t.dtype(), v, shape);
  }

  /** Random inputs for the parameters of {@code g}: tensors (symbols bound by {@code symbols}, else 2), ints, bools. */
  public static List<Object> randomInputs(Graph g, Map<String, Long> symbols, long seed) {
    Random r = new Random(seed);
    List<Object> out = new ArrayList<>();
    for (Value p : g.params()) {
      Type t = p.type();
      if (t instanceof TensorType tt) out.add(random(tt, r, false, symbols));
      else if (t == PrimType.INT) out.add((long) r.nextInt(4));
      else if (t == PrimType.BOOL) out.add(r.nextBoolean());
      else if (t == PrimType.FLOAT) out.add(r.nextGaussian());
      else fail("no random input for " + t.text());
    }
    return out;
  }

  /**
   * Runs {@code pipeline} on a copy of {@code g} (re-parsed from its text) and checks both give the same outputs
   * on {@code inputs}; also checks that the pass manager verified and the result reads back.
   *
   * @return the optimized program
   */
  public static Program assertPreserved(Graph g, Map<String, Tensor> weights, String pipeline, List<Object> inputs) {
    String before = IrPrinter.print(g);
    Graph copy = IrParser.parse(before, "copy of @" + g.name());
    List<Object> want = new Interpreter(g, weights).run(inputs);
    Program out = PassManager.parse(pipeline).run(Program.of(copy, weights));
    List<Object> got;
    try {
      got = new Interpreter(out.graph(), out.weights()).run(inputs);
    } catch (RuntimeException e) {
      throw new AssertionError(pipeline + " on @" + g.name() + " broke the graph:\n" + IrPrinter.print(out.graph()), e);
    }
    assertEquals(want.size(), got.size());
    for (int i = 0; i < want.size(); i++) assertClose(want.get(i), got.get(i), pipeline + " on @" + g.name() + ", output " + i);
    String printed = IrPrinter.print(out.graph());
    assertEquals(printed, IrPrinter.print(IrParser.parse(printed, "optimized")), "optimized graph reads back");
    return out;
  }

  /** Values equal: tensors within {@link #RTOL} of the largest magnitude, everything else exactly. */
  public static void assertClose(Object want, Object got, String what) {
    switch (want) {
      case Tensor w -> {
        assertTrue(got instanceof Tensor, what + ": expected a tensor, got " + got);
        Tensor g = (Tensor) got;
        assertEquals(w.dtype(), g.dtype(), what + ": dtype");
        double scale = 0;
        for (double d : w.toDoubleArray()) scale = Math.max(scale, Math.abs(d));
        assertTrue(g.allClose(w, RTOL * Math.max(scale, 1e-6), RTOL),
            what + ": max |diff| " + g.maxAbsDiff(w) + " exceeds " + RTOL + " of " + scale);
      }
      case List<?> l -> {
        assertTrue(got instanceof List<?> gl && gl.size() == l.size(), what + ": expected a list of " + l.size());
        for (int i = 0; i < l.size(); i++) assertClose(l.get(i), ((List<?>) got).get(i), what + "[" + i + "]");
      }
      case Tuple t -> {
        assertTrue(got instanceof Tuple gt && gt.size() == t.size(), what + ": expected a tuple of " + t.size());
        for (int i = 0; i < t.size(); i++) assertClose(t.get(i), ((Tuple) got).get(i), what + "[" + i + "]");
      }
      case null, default -> assertEquals(want, got, what);
    }
  }

  public static int count(Graph g, String op) { return (int) g.allNodes().stream().filter(n -> n.op().name().equals(op)).count(); }
}
