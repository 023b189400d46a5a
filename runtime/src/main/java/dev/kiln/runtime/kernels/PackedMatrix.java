package dev.kiln.runtime.kernels;

/**
 * A constant GEMM operand (typically a weight) packed once into the micro-kernel's panel order, so repeated products
 * with it skip {@link GemmPack}. Made by {@link Gemm#prepackA} or {@link Gemm#prepackB}; used by
 * {@link Gemm#sgemmPackedA} / {@link Gemm#sgemmPackedB}. The layout is the one {@link Gemm}'s blocked loop would
 * build per call, for the whole matrix: for the depth block starting at {@code pc} (multiples of {@code Gemm.KC}) the
 * panels of all rows (A) or columns (B) follow one another from {@code data[pc * padded]}, each micro-panel k-major
 * and its ragged edge zero-padded. Any row/column range starting at a multiple of MR/NR is then a contiguous slice,
 * which is what every tile of the blocked loop asks for, so the kernel reads the same values in the same order as
 * without prepacking and results are bit-identical.
 *
 * <p>The source array is kept (not copied) for products small enough to skip packing altogether; it must not change
 * after packing. Immutable and thread-safe.
 */
public final class PackedMatrix {
  final boolean isA, trans;
  /** op() rows and columns: m x k for A, k x n for B. */
  final int rows, cols;
  /** m (A) or n (B) rounded up to MR (A) or NR (B). */
  final int padded;
  final float[] data, src;
  final int srcOff, ld;

  PackedMatrix(boolean isA, boolean trans, int rows, int cols, int padded, float[] data, float[] src, int srcOff, int ld) {
    this.isA = isA;
    this.trans = trans;
    this.rows = rows;
    this.cols = cols;
    this.padded = padded;
    this.data = data;
    this.src = src;
    this.srcOff = srcOff;
    this.ld = ld;
  }

  /** Rows of op(A) or of op(B). */
  public int rows() { return rows; }

  /** Columns of op(A) or of op(B). */
  public int cols() { return cols; }

  /** True for an A operand (from {@link Gemm#prepackA}), false for a B operand. */
  public boolean isA() { return isA; }

  /** Index in {@link #data} of the panel for depth block {@code pc} starting at row/column {@code start}. */
  int at(int pc, int kc, int start) { return pc * padded + start * kc; }
}
