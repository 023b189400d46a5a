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
  /**
   * Below this many multiply-adds (4M, roughly 0.1-0.2 ms on one core) a product runs on the calling thread. Waking a
   * pool worker costs tens of microseconds, far more on a loaded machine; at the earlier 1M threshold the
   * transformer layer's products (80 x 384 x 128 at batch 8) were split and ran slower on 2 threads than on 1.
   */
  static final long PARALLEL_WORK = 1L << 22;

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
    blocked(transA, transB, m, n, k, alpha, a, offA, lda, null, b, offB, ldb, null, beta, c, offC, ldc);
  }

  /**
   * Whether a product of this shape packs B on every call (the blocked path), so that a constant B is worth packing
   * once with {@link #prepackB}; false for the few-row products that read B in place.
   */
  public static boolean packsB(int m, int n, int k) { return m > 0 && n > 0 && k > 0 && !GemmSmall.takes(m, n, k); }

  /**
   * Packs op(A) (m x k; {@code a[offA + i*lda + p]}, or {@code a[offA + p*lda + i]} when transA) once for
   * {@link #sgemmPackedA}; alpha is taken as 1. a must not be null and must not change afterwards (it is kept for
   * products too small to use packing).
   */
  public static PackedMatrix prepackA(boolean transA, int m, int k, float[] a, int offA, int lda) {
    if (m < 0 || k < 0) throw new IllegalArgumentException("negative size m=" + m + " k=" + k);
    if (m > 0 && k > 0) extent("A", a, offA, lda, transA ? k : m, transA ? m : k);
    int padded = roundUp(m, MR);
    float[] data = new float[padded * k];
    for (int pc = 0; pc < k; pc += KC) {
      int kc = Math.min(KC, k - pc);
      float[] blk = new float[padded * kc];
      GemmPack.packA(transA, 1f, a, offA, lda, 0, m, pc, kc, blk);
      System.arraycopy(blk, 0, data, pc * padded, blk.length);
    }
    return new PackedMatrix(true, transA, m, k, padded, data, a, offA, lda);
  }

  /**
   * Packs op(B) (k x n; {@code b[offB + p*ldb + j]}, or {@code b[offB + j*ldb + p]} when transB) once for
   * {@link #sgemmPackedB}. b must not be null and must not change afterwards. The first call in a JVM also runs the
   * kernel warm-up ({@link #warmUp}; off with {@code -Dkiln.kernels.warmup=false}).
   */
  public static PackedMatrix prepackB(boolean transB, int k, int n, float[] b, int offB, int ldb) {
    if (n < 0 || k < 0) throw new IllegalArgumentException("negative size k=" + k + " n=" + n);
    // A model is being built whose products take the packed path: get its kernels compiled now, once per JVM (see
    // Warmup), rather than during the model's first calls, which would otherwise run them interpreted (boxed vectors).
    if (Warmup.AUTO) Warmup.run();
    if (n > 0 && k > 0) extent("B", b, offB, ldb, transB ? n : k, transB ? k : n);
    int padded = roundUp(n, NR);
    float[] data = new float[padded * k];
    for (int pc = 0; pc < k; pc += KC) {
      int kc = Math.min(KC, k - pc);
      float[] blk = new float[padded * kc];
      GemmPack.packB(transB, b, offB, ldb, pc, kc, 0, n, blk);
      System.arraycopy(blk, 0, data, pc * padded, blk.length);
    }
    return new PackedMatrix(false, transB, k, n, padded, data, b, offB, ldb);
  }

  /**
   * {@code C = A * op(B) + beta * C} with A prepacked ({@link #prepackA}, m x k): bit-identical to {@link #sgemm}
   * with A's original arguments and alpha 1. Thread-safe.
   */
  public static void sgemmPackedA(PackedMatrix a, boolean transB, int n, float[] b, int offB, int ldb, float beta,
      float[] c, int offC, int ldc) {
    if (!a.isA) throw new IllegalArgumentException("sgemmPackedA: operand was packed as B");
    int m = a.rows, k = a.cols;
    if (n < 0) throw new IllegalArgumentException("negative size n=" + n);
    if (m == 0 || n == 0 || k == 0 || GemmSmall.takes(m, n, k)) {
      sgemm(a.trans, transB, m, n, k, 1f, a.src, a.srcOff, a.ld, b, offB, ldb, beta, c, offC, ldc);
      return;
    }
    extent("C", c, offC, ldc, m, n);
    extent("B", b, offB, ldb, transB ? n : k, transB ? k : n);
    blocked(a.trans, transB, m, n, k, 1f, a.src, a.srcOff, a.ld, a, b, offB, ldb, null, beta, c, offC, ldc);
  }

  /**
   * {@code C = alpha * op(A) * B + beta * C} with B prepacked ({@link #prepackB}, k x n): bit-identical to
   * {@link #sgemm} with B's original arguments. Thread-safe.
   */
  public static void sgemmPackedB(boolean transA, int m, float alpha, float[] a, int offA, int lda, PackedMatrix b,
      float beta, float[] c, int offC, int ldc) {
    if (b.isA) throw new IllegalArgumentException("sgemmPackedB: operand was packed as A");
    int k = b.rows, n = b.cols;
    if (m < 0) throw new IllegalArgumentException("negative size m=" + m);
    if (m == 0 || n == 0 || k == 0 || alpha == 0f || GemmSmall.takes(m, n, k)) {
      sgemm(transA, b.trans, m, n, k, alpha, a, offA, lda, b.src, b.srcOff, b.ld, beta, c, offC, ldc);
      return;
    }
    extent("C", c, offC, ldc, m, n);
    extent("A", a, offA, lda, transA ? k : m, transA ? m : k);
    blocked(transA, b.trans, m, n, k, alpha, a, offA, lda, null, b.src, b.srcOff, b.ld, b, beta, c, offC, ldc);
  }

  /** The packed path, serial or split into output tiles; pa/pb (may be null) replace packing A/B per call. */
  private static void blocked(boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a, int offA,
      int lda, PackedMatrix pa, float[] b, int offB, int ldb, PackedMatrix pb, float beta, float[] c, int offC, int ldc) {
    long work = (long) m * n * k;
    Warmup.ensure(work);
    if (work < PARALLEL_WORK || Threads.threads() == 1 || Threads.inPool()) {
      region(transA, transB, 0, m, 0, n, k, alpha, a, offA, lda, pa, b, offB, ldb, pb, beta, c, offC, ldc);
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
      region(transA, transB, i0, Math.min(m, i0 + tm), j0, Math.min(n, j0 + tn), k, alpha, a, offA, lda, pa, b, offB, ldb, pb, beta, c, offC, ldc);
    });
  }

  /**
   * Gets the vector kernels compiled now rather than during the first large call: runs small products until they
   * run at compiled speed (typically under a second; at most 3 s). Idempotent and thread-safe; useful on a
   * background thread while a model loads. Returns the number of small products run (0 if already warm).
   */
  public static int warmUp() { return Warmup.run(); }

  /**
   * The blocked product for output rows [i0, i1) and columns [j0, j1) on the calling thread. i0 and j0 are multiples
   * of MR and NR, so a prepacked operand's panels line up with the blocks packed here.
   */
  private static void region(boolean transA, boolean transB, int i0, int i1, int j0, int j1, int k, float alpha,
      float[] a, int offA, int lda, PackedMatrix pa, float[] b, int offB, int ldb, PackedMatrix pb, float beta,
      float[] c, int offC, int ldc) {
    Workspace ws = WORKSPACE.get();
    float[] ap = ws.ap, bp = ws.bp, tmp = ws.tmp;
    // beta other than 0 and 1 is applied up front, so the kernel only overwrites (first depth block, beta 0) or adds.
    if (beta != 0f && beta != 1f) scale(i1 - i0, j1 - j0, beta, c, offC + i0 * ldc + j0, ldc);
    for (int jc = j0; jc < j1; jc += NC) {
      int nc = Math.min(NC, j1 - jc);
      for (int pc = 0; pc < k; pc += KC) {
        int kc = Math.min(KC, k - pc);
        boolean accumulate = pc > 0 || beta != 0f;
        float[] bArr = bp;
        int bBase = 0;
        if (pb == null) GemmPack.packB(transB, b, offB, ldb, pc, kc, jc, nc, bp);
        else {
          bArr = pb.data;
          bBase = pb.at(pc, kc, jc);
        }
        for (int ic = i0; ic < i1; ic += MC) {
          int mc = Math.min(MC, i1 - ic);
          float[] aArr = ap;
          int aBase = 0;
          if (pa == null) GemmPack.packA(transA, alpha, a, offA, lda, ic, mc, pc, kc, ap);
          else {
            aArr = pa.data;
            aBase = pa.at(pc, kc, ic);
          }
          for (int ir = 0; ir < mc; ir += MR) {
            int mr = Math.min(MR, mc - ir), cRow = offC + (ic + ir) * ldc + jc;
            for (int jr = 0; jr < nc; jr += NR) {
              int nr = Math.min(NR, nc - jr);
              if (mr == MR && nr == NR) GemmKernel.tile(kc, aArr, aBase + ir * kc, bArr, bBase + jr * kc, c, cRow + jr, ldc, accumulate);
              else GemmKernel.raggedTile(kc, aArr, aBase + ir * kc, bArr, bBase + jr * kc, c, cRow + jr, ldc, accumulate, mr, nr, tmp);
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
