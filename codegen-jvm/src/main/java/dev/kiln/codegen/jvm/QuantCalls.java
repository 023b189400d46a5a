package dev.kiln.codegen.jvm;

import dev.kiln.ir.Graph;
import dev.kiln.ir.kernel.KernelProgram;
import dev.kiln.ir.text.IrParser;
import dev.kiln.runtime.interp.QuantCall;
import dev.kiln.runtime.interp.QuantOpCall;
import java.util.BitSet;

/**
 * Reference calls that run on the int8 primitives instead of the interpreter. Kernel IR has no 8-bit buffers and
 * no statement for a quantized product, so quantized linear and convolution nodes reach the backend as reference
 * calls (a graph of one node); those whose graph {@link QuantCall#accepts} get a {@code QuantCall} field in place
 * of the {@code Interpreter} one. Both take {@code (Graph, Map)} in their constructor and run
 * {@code List -> List}, so the class calls them the same way; the results are the reference kernels' bit for bit.
 * Quantize, dequantize, requantize, add, relu and pooling nodes that {@link QuantOpCall#accepts} get a
 * {@code QuantOpCall} (byte-array loops with the reference's arithmetic) the same way.
 * {@code -Dkiln.jvm.int8=false} keeps every reference call on the interpreter (for comparisons);
 * {@code -Dkiln.jvm.int8Ops=false} only the ones QuantOpCall would run.
 */
final class QuantCalls {
  static final String INTERP = "dev/kiln/runtime/interp/Interpreter";
  static final String QUANT = "dev/kiln/runtime/interp/QuantCall";
  static final String OPS = "dev/kiln/runtime/interp/QuantOpCall";

  private final BitSet quant = new BitSet(), ops = new BitSet();

  QuantCalls(KernelProgram p) {
    if (!Boolean.parseBoolean(System.getProperty("kiln.jvm.int8", "true"))) return;
    for (int i = 0; i < p.references().size(); i++) {
      Graph g = IrParser.parse(p.references().get(i), p.name() + " reference #" + i);
      if (QuantCall.accepts(g)) quant.set(i);
      else if (!"false".equals(System.getProperty("kiln.jvm.int8Ops")) && QuantOpCall.accepts(g)) ops.set(i);
    }
  }

  /** The internal name of the class that runs reference {@code ref}: QuantCall, QuantOpCall or Interpreter. */
  String owner(int ref) { return quant.get(ref) ? QUANT : ops.get(ref) ? OPS : INTERP; }

  /** How many reference calls run on the int8 primitives. */
  int count() { return quant.cardinality() + ops.cardinality(); }
}
