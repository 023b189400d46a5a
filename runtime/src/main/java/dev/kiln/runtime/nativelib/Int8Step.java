package dev.kiln.runtime.nativelib;

import dev.kiln.ir.Graph;
import dev.kiln.runtime.KilnRuntimeException;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.interp.QuantGemmNode;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.List;
import java.util.Map;

/**
 * A reference call run on native int8 code the LLVM backend emits (plan step
 * {@code {"reference": k, ..., "int8": symbol}}): the whole node in one call ({@code kiln_q8_linear},
 * {@code kiln_q8_conv}: {@link Int8Node}; add, max pool, quantize, dequantize: {@link Int8Simple}), or, for
 * {@code kiln_q8_gemm} (-Dkiln.llvm.int8=gemm and older artifacts), {@link QuantGemmNode} does the parts that must
 * round as the interpreter does (activation quantization, im2col, corrections, requantization) in Java, and each product runs in
 * native code on off-heap copies of its operands. The weights are packed once here, per group, into the panel
 * layout the routine reads: panel t of 16 output channels holds, per group of 4 depths q, {@code w[16t + c][4q + e]}
 * at byte {@code (t kq + q) 64 + 4c + e}, zeros past the channels and the depth.
 *
 * <p>Arguments block read by the routine ({@code void symbol(ptr args, i32 tid, i32 nthreads)}): {@code ptr a, ptr b,
 * ptr c, i64 m, i64 nb, i64 kq} (A: m rows of 4 kq u8; B: nb panels; C: m rows of 16 nb int32). One instance per
 * executor instance; not thread-safe (the executor's run is synchronized).
 */
final class Int8Step {
  /** Runs the routine on one thread or a gang (the executor's rule for segments). */
  interface Gang {
    void run(MethodHandle h, MemorySegment args, long work) throws Throwable;
  }

  private final QuantGemmNode node;
  private final MethodHandle gemm;
  private final MemorySegment[] panels;
  private final MemorySegment a, c, args;
  private final int nb, kq;
  private final String what;
  /** The whole node in one native call ({@code kiln_q8_linear}, {@code kiln_q8_conv}); null for the GEMM alone. */
  private final Int8Node whole;
  /** Add, max pool, quantize, dequantize ({@link Int8Simple}); null otherwise. */
  private final Int8Simple simple;

  /**
   * @param symbol the routine the plan names: {@code kiln_q8_gemm} (the product only, this class's Java around it) or
   *     a whole-node routine ({@link Int8Node})
   */
  Int8Step(String symbol, Graph g, Map<String, Tensor> weights, MethodHandle gemm, Arena arena, String what) {
    if (!symbol.equals("kiln_q8_gemm")) {
      boolean gemmNode = symbol.equals(Int8Node.LINEAR) || symbol.equals(Int8Node.CONV) || symbol.equals(Int8Node.CONVC);
      whole = gemmNode ? new Int8Node(symbol, g, weights, gemm, arena, what) : null;
      simple = gemmNode ? null : new Int8Simple(symbol, g, gemm, arena, what);
      node = null;
      this.gemm = null;
      panels = null;
      a = c = args = null;
      nb = kq = 0;
      this.what = what;
      return;
    }
    whole = null;
    simple = null;
    this.node = new QuantGemmNode(g, weights);
    this.gemm = gemm;
    this.what = what;
    int og = node.columns(), k = node.depth();
    kq = node.paddedDepth() / 4;
    nb = node.ldc() / 16;
    panels = new MemorySegment[node.groups()];
    for (int gi = 0; gi < panels.length; gi++) {
      byte[] w = node.weights(gi), packed = new byte[Math.multiplyExact(nb * 64, kq)];
      for (int j = 0; j < og; j++)
        for (int p = 0; p < k; p++) packed[((j / 16) * kq + p / 4) * 64 + (j % 16) * 4 + p % 4] = w[j * k + p];
      panels[gi] = NativeBuffers.scratch(arena, packed.length);
      MemorySegment.copy(packed, 0, panels[gi], ValueLayout.JAVA_BYTE, 0, packed.length);
    }
    int rows = Math.max(1, node.rows());
    a = NativeBuffers.scratch(arena, (long) rows * node.paddedDepth());
    c = NativeBuffers.scratch(arena, (long) rows * node.ldc() * 4);
    args = arena.allocate(48, 8);
    args.set(ValueLayout.ADDRESS, 0, a);
    args.set(ValueLayout.ADDRESS, 16, c);
    args.set(ValueLayout.JAVA_LONG, 32, nb);
    args.set(ValueLayout.JAVA_LONG, 40, kq);
  }

  /**
   * The step for reference graph {@code text}: the one already made for the same graph under another name (reference
   * graphs are named by their index) when that is a {@code q.linear_dynamic}, else (or when {@code made} is null) a new
   * one. The unrolled LSTM's per-step nodes then share one packed weight (and its cache lines) instead of a copy
   * each. Only linear_dynamic is shared: its f32 result is copied out of the node's buffer (or written straight to the
   * step's storage, {@link #direct}) before the next step runs, where a quantized result would be kept as an object
   * over that buffer.
   */
  static Int8Step shared(Map<String, Int8Step> made, String symbol, String text, Map<String, Tensor> weights, MethodHandle fn, Arena arena,
      String what) {
    String key = symbol + "\n" + text.replaceFirst("^graph @[^(]*\\(", "graph @_(");
    Int8Step s = made == null ? null : made.get(key);
    if (s != null) return s;
    s = new Int8Step(symbol, dev.kiln.ir.text.IrParser.parse(text, what), weights, fn, arena, what);
    if (made != null && s.whole != null && s.whole.dynamic()) made.put(key, s);
    return s;
  }

  /**
   * The node bound to fixed native buffers ({@link Int8Node#direct}: one downcall per run), or null when this step
   * must take the general path ({@link #run}).
   */
  Int8Direct direct(MemorySegment[] params, MemorySegment out) { return whole == null ? null : whole.direct(params, out); }

  /** Runs the node; {@code inputs} as for the reference interpreter. */
  List<Object> run(List<Object> inputs, Gang gang) {
    if (whole != null) return whole.run(inputs, gang);
    if (simple != null) return simple.run(inputs, gang);
    return node.run(inputs, (group, x, m, kp, acc, ldc) -> {
      MemorySegment.copy(x, 0, a, ValueLayout.JAVA_BYTE, 0, m * kp);
      args.set(ValueLayout.ADDRESS, 8, panels[group]);
      args.set(ValueLayout.JAVA_LONG, 24, m);
      try {
        gang.run(gemm, args, (long) m * kp * ldc);
      } catch (Throwable t) {
        throw new KilnRuntimeException("native int8 GEMM of " + what + " failed: " + t, t);
      }
      MemorySegment.copy(c, ValueLayout.JAVA_INT, 0, acc, 0, m * ldc);
    });
  }
}
