package dev.kiln.runtime.nativelib;

import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.interp.QuantCall;
import java.lang.foreign.MemorySegment;

/**
 * A reference call of one {@code nn.stack} run as copies between the executor's storages instead of the interpreter
 * (the unrolled LSTM stacks its per-step states so): for each index of the dims before {@code dim}, each operand's
 * block of the dims from {@code dim} on is copied after the previous operand's. Bound once per plan step
 * ({@link #of}); the bytes are the interpreter's, as nothing is converted (every operand has the result's dtype).
 * ({@code nn.cat} is lowered to kernels, so it never reaches here.)
 */
final class CopyStep {
  private final MemorySegment[] src;
  private final MemorySegment out;
  /** Bytes of each operand's block, and of one output row (their sum). */
  private final long[] block;
  private final long row, outer;

  private CopyStep(MemorySegment[] src, MemorySegment out, long[] block, long row, long outer) {
    this.src = src;
    this.out = out;
    this.block = block;
    this.row = row;
    this.outer = outer;
  }

  /**
   * The copies that run reference graph {@code g}, or null when it is not one stack of parameters with static shapes
   * of the result's dtype, or a size differs, or an operand overlaps the result.
   *
   * @param params per graph parameter, its storage sliced to the buffer's bytes, or null (an object)
   * @param out the result's storage sliced to its bytes, or null
   */
  static CopyStep of(Graph g, MemorySegment[] params, MemorySegment out) {
    Node n = QuantCall.single(g);
    if (n == null || out == null || !n.op().name().equals("nn.stack") || n.numOperands() == 0) return null;
    if (!(n.result(0).type() instanceof TensorType y) || !y.shape().isStatic()) return null;
    long total = Tensor.numel(y.shape().sizes());
    if (total == 0 || out.byteSize() % total != 0) return null;
    long esize = out.byteSize() / total;
    int rank = y.rank() - 1;
    long d = n.attrInt("dim");
    int dim = (int) (d < 0 ? d + y.rank() : d);
    if (dim < 0 || dim >= y.rank()) return null;
    MemorySegment[] src = new MemorySegment[n.numOperands()];
    long[] block = new long[src.length];
    long outer = -1, row = 0;
    for (int i = 0; i < src.length; i++) {
      Value v = n.operand(i);
      int pi = g.params().indexOf(v);
      if (v.definingNode() != null || pi < 0 || pi >= params.length || params[pi] == null) return null;
      if (!(v.type() instanceof TensorType t) || !t.shape().isStatic() || t.dtype() != y.dtype() || t.rank() != rank) return null;
      long[] s = t.shape().sizes();
      if (params[pi].byteSize() != Tensor.numel(s) * esize || Int8Direct.overlap(params[pi], out)) return null;
      long o = 1, in = 1;
      for (int k = 0; k < rank; k++) {
        if (k < dim) o *= s[k];
        else in *= s[k];
      }
      if (outer >= 0 && o != outer) return null;
      outer = o;
      src[i] = params[pi];
      block[i] = in * esize;
      row += block[i];
    }
    if (outer * row != out.byteSize()) return null;
    return new CopyStep(src, out, block, row, outer);
  }

  void run() {
    for (long o = 0; o < outer; o++) {
      long at = o * row;
      for (int i = 0; i < src.length; i++) {
        MemorySegment.copy(src[i], o * block[i], out, at, block[i]);
        at += block[i];
      }
    }
  }
}
