package dev.kiln.passes.lower;

import dev.kiln.ir.kernel.Expr;
import dev.kiln.ir.kernel.KBuffer;
import dev.kiln.ir.kernel.Kernel;
import dev.kiln.ir.kernel.Stmt;
import java.util.List;

/**
 * Weights re-laid out once, by an init kernel, for products with few rows: {@code x W^T} with a row-major W [N,K]
 * reads W through GEMM's transB, which at a handful of rows costs a horizontal sum per output (or a packing copy of
 * all of W per call); with W^T [K,N] stored instead, each row of the product is a sum of scaled rows of W^T, plain
 * vertical FMAs. Costs one extra copy of the weight in memory.
 */
final class WeightLayouts {
  private WeightLayouts() {}

  /** Products with at most this many rows read transposed weights. */
  static final long MAX_ROWS = 16;

  /** True when {@code w} is a named weight (its values are fixed once the model is made) stored row-major. */
  static boolean isWeight(LowerContext c, View w) {
    KBuffer b = c.buffers.get(w.buffer());
    return b != null && b.role() == KBuffer.Role.WEIGHT && w.isRowMajor() && w.rank() == 2;
  }

  /** A const [K,N] buffer holding W^T of row-major weight {@code w} [N,K], filled by an init kernel; its dense view. */
  static View transposed(LowerContext c, View w) {
    long n = w.shape()[0], k = w.shape()[1];
    long[] shape = {k, n};
    String t = c.addBuffer(w.buffer() + "_T", w.type(), shape, KBuffer.Role.CONST, null);
    View out = View.dense(t, w.type(), shape, false);
    List<Stmt> body = c.nest(w.shape(), new int[] {0, 1}, idx -> List.of(new Stmt.Store(t, out.index(new Expr[] {idx[1], idx[0]}), w.load(idx))));
    c.init.add(new Kernel("init_" + t, Params.of(body), body, w.buffer() + " transposed for products with few rows"));
    return out;
  }
}
