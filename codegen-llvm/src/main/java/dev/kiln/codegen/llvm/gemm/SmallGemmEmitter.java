package dev.kiln.codegen.llvm.gemm;

import dev.kiln.codegen.llvm.IrBuilder;
import dev.kiln.codegen.llvm.LlvmModule;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.llvm.LLVM.LLVMTypeRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * The GEMM for products with a handful of rows (batch-1 linear layers, an LSTM step), row-major A and B:
 * <pre>
 *   void NAME(ptr A, ptr B, ptr C, i64 M, i64 N, i64 K, i64 lda, i64 ldb, i64 ldc, ptr work)
 *     C[i*ldc + j] += sum_k A[i*lda + k] * B[k*ldb + j]
 * </pre>
 * (the signature of {@link GemmEmitter#DESCRIPTOR}; {@code work} is not used).
 * No packing: the blocked GEMM ({@link GemmEmitter}) copies all of B into panels on every call, which at one row
 * costs as much as the arithmetic. Here each row of C is a sum of scaled rows of B: per {@link #ROWS} rows and
 * block of {@link #VECTORS} vectors of columns, accumulators start from C, and each k loads B's row k once and adds
 * A[i][k] times it to every row (explicit {@code llvm.fma}, masked loads past N), then one store. The
 * {@link #ROWS} x {@link #VECTORS} independent FMA chains hide the FMA latency.
 */
public final class SmallGemmEmitter {
  /** Vectors of columns per block (independent accumulators). */
  public static final int VECTORS = 4;

  /**
   * Rows up to which callers should prefer this GEMM over the blocked one: B is then read M / ROWS times in place,
   * against once read and once written by the blocked GEMM's packing on every call.
   */
  public static final int MAX_ROWS = 16;

  private SmallGemmEmitter() {}

  /** Rows sharing each load of B in the main loop (the rest, M mod ROWS, one at a time). */
  public static final int ROWS = 4;

  /** Emits {@code name}; returns the function. */
  public static LLVMValueRef emit(LlvmModule m, String name, int lanes) {
    LLVMTypeRef p = m.ptr(), i64 = m.i64();
    LLVMValueRef fn = m.addFunction(name, m.fnType(m.voidType(), p, p, p, i64, i64, i64, i64, i64, i64, p));
    m.bufferParam(fn, 0, 4);
    m.bufferParam(fn, 1, 4);
    m.bufferParam(fn, 2, 4);
    try (IrBuilder b = new IrBuilder(m)) {
      b.enter(fn);
      LLVMValueRef mm = b.param(3);
      LLVMValueRef full = b.and(mm, b.i64(-ROWS)); // M rounded down to a multiple of ROWS (a power of two)
      IrBuilder.Loop i = b.loop("i", b.i64(0), full, b.i64(ROWS));
      rows(m, b, lanes, i.iv(), ROWS);
      b.endLoop(i);
      IrBuilder.Loop r = b.loop("r", full, mm, b.i64(1));
      rows(m, b, lanes, r.iv(), 1);
      b.endLoop(r);
      b.retVoid();
    }
    return fn;
  }

  /** Rows {@code i0 .. i0+rows-1} of C: per block of columns, rows x VECTORS accumulators over all of k. */
  private static void rows(LlvmModule m, IrBuilder b, int lanes, LLVMValueRef i0, int rows) {
    LLVMTypeRef f32 = m.f32(), vt = m.vec(f32, lanes);
    LLVMValueRef a = b.param(0), bm = b.param(1), c = b.param(2), nn = b.param(4), kk = b.param(5);
    LLVMValueRef lda = b.param(6), ldb = b.param(7), ldc = b.param(8);
    int block = VECTORS * lanes;
    IrBuilder.Loop j = b.loop("j", b.i64(0), nn, b.i64(block));
    LLVMValueRef[] masks = new LLVMValueRef[VECTORS];
    LLVMValueRef[] cRow = new LLVMValueRef[rows];
    List<LLVMValueRef> init = new ArrayList<>();
    for (int v = 0; v < VECTORS; v++) masks[v] = b.laneMask(lanes, b.add(j.iv(), b.i64((long) v * lanes)), nn);
    for (int r = 0; r < rows; r++) {
      cRow[r] = b.gep(f32, c, b.add(b.mul(b.add(i0, b.i64(r)), ldc), j.iv()));
      for (int v = 0; v < VECTORS; v++) init.add(b.maskedLoad(vt, b.gep(f32, cRow[r], b.i64((long) v * lanes)), masks[v], 4));
    }
    IrBuilder.Loop k = b.loop("k", b.i64(0), kk, b.i64(1), init);
    LLVMValueRef bRow = b.gep(f32, bm, b.add(b.mul(k.iv(), ldb), j.iv()));
    LLVMValueRef[] bv = new LLVMValueRef[VECTORS];
    for (int v = 0; v < VECTORS; v++) bv[v] = b.maskedLoad(vt, b.gep(f32, bRow, b.i64((long) v * lanes)), masks[v], 4);
    List<LLVMValueRef> next = new ArrayList<>();
    for (int r = 0; r < rows; r++) {
      LLVMValueRef av = b.splat(b.load(f32, b.gep(f32, a, b.add(b.mul(b.add(i0, b.i64(r)), lda), k.iv())), 4), lanes);
      for (int v = 0; v < VECTORS; v++) next.add(b.fma(av, bv[v], k.values().get(r * VECTORS + v)));
    }
    b.endLoop(k, next);
    for (int r = 0; r < rows; r++)
      for (int v = 0; v < VECTORS; v++)
        b.maskedStore(k.values().get(r * VECTORS + v), b.gep(f32, cRow[r], b.i64((long) v * lanes)), masks[v], 4);
    b.endLoop(j);
  }
}
