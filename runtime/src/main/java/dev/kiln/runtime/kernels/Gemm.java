package dev.kiln.runtime.kernels;

/**
 * Single-precision matrix product, row-major: {@code C = alpha * op(A) * op(B) + beta * C} with op(A) m x k and
 * op(B) k x n. The structure is the classic packed GEMM: op(B) is cut into KC x NC panels and op(A) into MC x KC
 * blocks, both packed ({@link GemmPack}) so the {@link GemmKernel} micro-kernel streams them sequentially; A's
 * micro-panel (MR x KC) stays in L1 while B's panel (KC x NC) stays in L2. Large products are split over
 * {@link Threads} by output tiles; every tile sums over k in the same KC blocks in the same order, so results are
 * bit-identical for any thread count.
 */
public final class Gemm {
  private Gemm() {}

  private static final int MR = GemmKernel.MR, NR = GemmKernel.NR;
  // Block sizes, tuned on a Zen 4 core (32 KB L1d, 1 MB L2); -Dkiln.gemm.kc/mc/nc override them for experiments.
  /** Depth block: A's micro-panel MR*KC floats (8 KB) sits in L1 beside the B stream. */
  static final int KC = Math.max(1, Integer.getInteger("kiln.gemm.kc", 256));
  /** Rows per packed A block (multiple of MR). */
  static final int MC = roundUp(Math.max(1, Integer.getInteger("kiln.gemm.mc", 128)), MR);
  /** Columns per packed B panel (multiple of NR): KC*NC floats = 512 KB, half of this CPU's 1 MB L2. */
  static final int NC = roundUp(Math.max(1, Integer.getInteger("kiln.gemm.nc", 512)), NR);
  /** Below this many multiply-adds a product runs on the calling thread (hand-off costs more than it saves). */
  static final long PARALLEL_WORK = 1L << 20;

  /** Per-thread packing buffers, reused across calls. */
  private static final class Workspace {
    final float[] ap = new float[MC * KC], bp = new float[KC * NC], tmp = new float[MR * NR];
  }

  private static final ThreadLocal<Workspace> WORKSPACE = ThreadLocal.withInitial(Workspace::new);

  /**
   * {@code C = alpha * op(A) op(B) + beta * C}, all row-major. op(A)[i][p] is {@code a[offA + i*lda + p]}, or
   * {@code a[offA + p*lda + i]} when transA; likewise op(B)[p][j] is {@code b[offB + p*ldb + j]}, or
   * {@code b[offB + j*ldb + p]} when transB; C[i][j] is {@code c[offC + i*ldc + j]}. When beta is 0 C is only
   * written, never read. No argument may be null (a and b are not read when k == 0). Thread-safe; may be called
   * from many threads at once and from inside kernel tasks (then it runs serially).
   */
  public static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a, int offA, int lda,
      float[] b, int offB, int ldb, float beta, float[] c, int offC, int ldc) {
    if (m < 0 || n < 0 || k < 0) throw new IllegalArgumentException("negative size m=" + m + " n=" + n + " k=" + k);
    if (m == 0 || n == 0) return;
    extent("C", c, offC, ldc, m, n);
    if (k > 0) {
      extent("A", a, offA, lda, transA ? k : m, transA ? m : k);
      extent("B", b, offB, ldb, transB ? n : k, transB ? k : n);
    }
    if (k == 0 || alpha == 0f) {
      scale(m, n, beta, c, offC, ldc);
      return;
    }
    if (GemmSmall.takes(m, n, k)) {
      GemmSmall.run(transA, transB, m, n, k, alpha, a, offA, lda, b, offB, ldb, beta, c, offC, ldc);
      return;
    }
    long work = (long) m * n * k;
    Warmup.ensure(work);
    if (work < PARALLEL_WORK || Threads.threads() == 1 || Threads.inPool()) {
      region(transA, transB, 0, m, 0, n, k, alpha, a, offA, lda, b, offB, ldb, beta, c, offC, ldc);
      return;
    }
    // Output tiles, two per thread (so a thread slowed by other work can hand its second tile over). Each tile packs
    // its own A rows and B columns, so a split along n repacks A (k*m floats) and one along m repacks B (k*n): cut
    // the longer side. Within a tile, region() still blocks by MC/NC/KC.
    int mt = 1, nt = 1, want = 2 * Threads.threads();
    while (mt * nt < want) {
      int rowsPer = Math.ceilDiv(m, mt), colsPer = Math.ceilDiv(n, nt);
      if (colsPer >= rowsPer && colsPer > NR) nt++;
      else if (rowsPer > MR) mt++;
      else if (colsPer > NR) nt++;
      else break;
    }
    int tm = roundUp(Math.ceilDiv(m, mt), MR), tn = roundUp(Math.ceilDiv(n, nt), NR);
    int rowTiles = Math.ceilDiv(m, tm), colTiles = Math.ceilDiv(n, tn);
    Threads.forEach(rowTiles * colTiles, t -> {
      int i0 = t / colTiles * tm, j0 = t % colTiles * tn;
      region(transA, transB, i0, Math.min(m, i0 + tm), j0, Math.min(n, j0 + tn), k, alpha, a, offA, lda, b, offB, ldb, beta, c, offC, ldc);
    });
  }

  /**
   * Gets the vector kernels compiled now rather than during the first large call: runs small products until they
   * run at compiled speed (typically under a second; at most 3 s). Idempotent and thread-safe; useful on a
   * background thread while a model loads. Returns the number of small products run (0 if already warm).
   */
  public static int warmUp() { return Warmup.run(); }

  /** The blocked product for output rows [i0, i1) and columns [j0, j1) on the calling thread. */
  private static void region(boolean transA, boolean transB, int i0, int i1, int j0, int j1, int k, float alpha,
      float[] a, int offA, int lda, float[] b, int offB, int ldb, float beta, float[] c, int offC, int ldc) {
    Workspace ws = WORKSPACE.get();
    float[] ap = ws.ap, bp = ws.bp, tmp = ws.tmp;
    // beta other than 0 and 1 is applied up front, so the kernel only overwrites (first depth block, beta 0) or adds.
    if (beta != 0f && beta != 1f) scale(i1 - i0, j1 - j0, beta, c, offC + i0 * ldc + j0, ldc);
    for (int jc = j0; jc < j1; jc += NC) {
      int nc = Math.min(NC, j1 - jc);
      for (int pc = 0; pc < k; pc += KC) {
        int kc = Math.min(KC, k - pc);
        boolean accumulate = pc > 0 || beta != 0f;
        GemmPack.packB(transB, b, offB, ldb, pc, kc, jc, nc, bp);
        for (int ic = i0; ic < i1; ic += MC) {
          int mc = Math.min(MC, i1 - ic);
          GemmPack.packA(transA, alpha, a, offA, lda, ic, mc, pc, kc, ap);
          for (int ir = 0; ir < mc; ir += MR) {
            int mr = Math.min(MR, mc - ir), cRow = offC + (ic + ir) * ldc + jc;
            for (int jr = 0; jr < nc; jr += NR) {
              int nr = Math.min(NR, nc - jr);
              if (mr == MR && nr == NR) GemmKernel.tile(kc, ap, ir * kc, bp, jr * kc, c, cRow + jr, ldc, accumulate);
              else GemmKernel.raggedTile(kc, ap, ir * kc, bp, jr * kc, c, cRow + jr, ldc, accumulate, mr, nr, tmp);
            }
          }
        }
      }
    }
  }

  /** A rows x cols row-major matrix at arr[off] with leading dimension ld must fit in arr. */
  private static void extent(String name, float[] arr, int off, int ld, int rows, int cols) {
    if (ld < cols || off < 0 || off + (long) (rows - 1) * ld + cols > arr.length)
      throw new IllegalArgumentException("sgemm: " + name + " is " + rows + "x" + cols + " with leading dimension " + ld + " from offset " + off
          + ", which needs ld >= " + cols + " and " + (off + (long) (rows - 1) * ld + cols) + " floats; the array has " + arr.length);
  }

  /** C = beta * C (C = 0 when beta is 0, whatever C held). */
  private static void scale(int m, int n, float beta, float[] c, int offC, int ldc) {
    if (beta == 1f) return;
    for (int i = 0; i < m; i++) {
      int row = offC + i * ldc;
      if (beta == 0f) java.util.Arrays.fill(c, row, row + n, 0f);
      else for (int j = 0; j < n; j++) c[row + j] *= beta;
    }
  }

  static int roundUp(int x, int to) { return Math.ceilDiv(x, to) * to; }
}
