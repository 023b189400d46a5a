package dev.kiln.runtime.kernels;

import jdk.incubator.vector.FloatVector;

/**
 * Channels-last convolution as an implicit GEMM: y (n*oh*ow x oc) = A (n*oh*ow x kh*kw*c) * W^T, where row q of A is
 * the input patch of output pixel q, read in place by {@link ConvTile} (a run of c input channels per kernel tap),
 * and W^T is the weight packed once ({@link Conv2d#prepack}). Nothing of A is materialized: a padded convolution
 * reads from a zero-bordered copy of the input (one copy of x instead of kh*kw), an unpadded one reads x itself.
 * Along a row of the kernel the taps are adjacent in memory (kw * c floats), so A streams in runs of that length.
 *
 * <p>The bias starts the accumulators, and an optional epilogue {@code y = max(min(y + residual, hi), lo)} is applied
 * to the accumulators of the last depth block before they are stored: no pass over y for either. Every output element sums its
 * depth blocks in the same order whatever the thread count, so results do not depend on it.
 */
final class ConvNhwc {
  private ConvNhwc() {}

  private static final int MR = GemmKernel.MR, NR = GemmKernel.NR, L = GemmKernel.L;
  /** Rows per block (a multiple of MR): the epilogue runs per block; blocks go to threads. */
  private static final int MC = 128;
  /** Per-thread scratch: the zero-bordered input copy and the ragged-tile staging area. */
  private static final class Scratch {
    float[] padded = new float[0];
    final float[] tmp = new float[MR * NR];
  }

  private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

  /** -Dkiln.conv.implicit=false sends every convolution to the im2col + GEMM path, to measure what this saves. */
  private static final boolean ON = !"false".equals(System.getProperty("kiln.conv.implicit"));

  /** Whether {@link #run} handles this convolution (one group; prepacked B of the whole weight). */
  static boolean takes(ConvParams p, PackedMatrix[] packed) {
    return ON && packed != null && p.groups() == 1 && !p.depthwise() && p.n() > 0;
  }

  /**
   * y[n][oh][ow][oc] from {@code y[yOff]} = conv(x) + bias, then the epilogue (residual at the same index as y, or
   * null; lo/hi clamp, -inf/+inf for none). For {@link #takes} convolutions only.
   */
  static void run(ConvParams p, float[] x, int xOff, PackedMatrix pb, float[] bias, float[] y, int yOff, float[] res, float lo, float hi) {
    int c = p.c(), oc = p.oc(), kdim = p.kdim(), plane = p.plane(), m = p.n() * plane;
    Scratch scratch = SCRATCH.get();
    int[] rows = new int[Gemm.roundUp(m, MR)];
    // A's source: x itself when there is no padding, else a zero-bordered copy of it (per thread, reused).
    int hp = p.h() + 2 * p.padH(), wp = p.w() + 2 * p.padW(), base = 0;
    float[] a;
    if (p.padH() == 0 && p.padW() == 0) {
      a = x;
      base = xOff;
    } else {
      long need = (long) p.n() * hp * wp * c;
      if (need > Integer.MAX_VALUE - 16) throw new IllegalArgumentException("conv input too large to pad: " + need + " floats");
      if (scratch.padded.length < need) scratch.padded = new float[(int) need];
      a = scratch.padded;
      pad(p, x, xOff, a);
    }
    int q = 0;
    for (int img = 0; img < p.n(); img++)
      for (int oy = 0; oy < p.oh(); oy++)
        for (int ox = 0; ox < p.ow(); ox++) rows[q++] = base + ((img * hp + oy * p.strideH()) * wp + ox * p.strideW()) * c;
    // Segments of A's depth index k = (ky*kw + kx)*c + ci: with dilation 1 along w, one kernel row's taps are
    // kw*c consecutive floats of the input row (and consecutive k), so a segment is a whole kernel row; otherwise
    // one tap's c channels.
    boolean rowSegments = p.dilW() == 1;
    int segLen = rowSegments ? p.kw() * c : c;
    int[] tapOff = new int[rowSegments ? p.kh() : p.kh() * p.kw()];
    for (int ky = 0; ky < p.kh(); ky++)
      if (rowSegments) tapOff[ky] = ky * p.dilH() * wp * c;
      else for (int kx = 0; kx < p.kw(); kx++) tapOff[ky * p.kw() + kx] = (ky * p.dilH() * wp + kx * p.dilW()) * c;
    // Ragged last block: repeat a real row so the tile reads valid memory; only real rows are written back.
    for (int r = m; r < rows.length; r++) rows[r] = rows[m - 1];

    // Depth segments per depth block of Gemm.KC (the blocks prepackB laid out): block b is segments
    // [blockSeg[b], blockSeg[b+1]), each a run of one tap's channels.
    int blocks = Math.ceilDiv(kdim, Gemm.KC);
    int[] blockSeg = new int[blocks + 1];
    int maxSegs = tapOff.length + blocks;
    int[] segOff = new int[maxSegs], segLenArr = new int[maxSegs];
    int ns = 0;
    for (int b = 0; b < blocks; b++) {
      blockSeg[b] = ns;
      int k0 = b * Gemm.KC, k1 = Math.min(kdim, k0 + Gemm.KC);
      for (int k = k0; k < k1; ) {
        int t = k / segLen, ci = k % segLen, len = Math.min(segLen - ci, k1 - k);
        segOff[ns] = tapOff[t] + ci;
        segLenArr[ns++] = len;
        k += len;
      }
    }
    blockSeg[blocks] = ns;

    float[] biasPad = new float[Gemm.roundUp(oc, NR)];
    if (bias != null) System.arraycopy(bias, 0, biasPad, 0, oc);
    float[] aa = a;
    int rowBlocks = Math.ceilDiv(m, MC);
    Threads.TaskBody block = rb -> {
      int i0 = rb * MC, i1 = Math.min(m, i0 + MC);
      rowBlock(i0, i1, aa, rows, segOff, segLenArr, blockSeg, pb, biasPad, y, yOff, oc, res, lo, hi, SCRATCH.get().tmp);
    };
    long work = (long) m * oc * kdim;
    if (rowBlocks > 1 && Threads.threads() > 1 && !Threads.inPool() && work >= Gemm.PARALLEL_WORK) Threads.forEach(rowBlocks, block);
    else for (int rb = 0; rb < rowBlocks; rb++) block.run(rb);
  }

  /** Output rows [i0, i1) for all columns: every depth block, the last one applying the epilogue. */
  private static void rowBlock(int i0, int i1, float[] a, int[] rows, int[] segOff, int[] segLen, int[] blockSeg, PackedMatrix pb,
      float[] bias, float[] y, int yOff, int oc, float[] res, float lo, float hi, float[] tmp) {
    int blocks = blockSeg.length - 1, kdim = pb.rows;
    boolean epilogue = res != null || lo != Float.NEGATIVE_INFINITY || hi != Float.POSITIVE_INFINITY;
    for (int jc = 0; jc < oc; jc += Gemm.NC) {
      int nc = Math.min(Gemm.NC, oc - jc);
      for (int b = 0; b < blocks; b++) {
        int pc = b * Gemm.KC, kc = Math.min(Gemm.KC, kdim - pc);
        int bBase = pb.at(pc, kc, jc);
        boolean accumulate = b > 0, epi = b == blocks - 1 && epilogue;
        // A last panel exactly one vector wide goes by 16-row narrow tiles (no half-empty MR x NR tiles).
        int wide = nc % NR == L ? nc - L : nc;
        for (int ir = i0; ir < i1; ir += MR) {
          int mr = Math.min(MR, i1 - ir), cRow = yOff + ir * oc + jc;
          for (int jr = 0; jr < wide; jr += NR) {
            int nr = Math.min(NR, nc - jr);
            if (mr == MR && nr == NR)
              ConvTile.tile(a, rows, ir, segOff, segLen, blockSeg[b], blockSeg[b + 1], pb.data, bBase + jr * kc, y, cRow + jr, oc, accumulate, bias, jc + jr,
                  epi, res, lo, hi);
            else
              ConvTile.raggedTile(a, rows, ir, segOff, segLen, blockSeg[b], blockSeg[b + 1], pb.data, bBase + jr * kc, y, cRow + jr, oc, accumulate,
                  bias, jc + jr, mr, nr, tmp, epi, res, lo, hi);
          }
        }
        if (wide < nc) {
          int ir = i0, bIdx = bBase + wide * kc;
          for (; ir + ConvNarrowTile.ROWS <= i1; ir += ConvNarrowTile.ROWS)
            ConvNarrowTile.tile(a, rows, ir, segOff, segLen, blockSeg[b], blockSeg[b + 1], pb.data, bIdx, y, yOff + ir * oc + jc + wide, oc,
                accumulate, bias, jc + wide, epi, res, lo, hi);
          for (; ir < i1; ir += MR)
            ConvTile.raggedTile(a, rows, ir, segOff, segLen, blockSeg[b], blockSeg[b + 1], pb.data, bIdx, y, yOff + ir * oc + jc + wide, oc,
                accumulate, bias, jc + wide, Math.min(MR, i1 - ir), L, tmp, epi, res, lo, hi);
        }
      }
    }
  }

  /** {@code y[i] = max(min(y[i] + res[i], hi), lo)} for i in [off, off + len) (res may be null). */
  static void epilogue(float[] y, int off, int len, float[] res, float lo, float hi) {
    FloatVector vlo = FloatVector.broadcast(GemmKernel.S, lo), vhi = FloatVector.broadcast(GemmKernel.S, hi);
    int i = off, end = off + len;
    for (; i + L <= end; i += L) {
      FloatVector v = FloatVector.fromArray(GemmKernel.S, y, i);
      if (res != null) v = v.add(FloatVector.fromArray(GemmKernel.S, res, i));
      v.min(vhi).max(vlo).intoArray(y, i);
    }
    for (; i < end; i++) {
      float v = y[i];
      if (res != null) v += res[i];
      y[i] = Math.max(Math.min(v, hi), lo);
    }
  }

  /** x (n images, h x w x c from xOff) into the zero-bordered [n][h+2ph][w+2pw][c] at the start of xp. */
  private static void pad(ConvParams p, float[] x, int xOff, float[] xp) {
    int c = p.c(), h = p.h(), w = p.w(), ph = p.padH(), pw = p.padW(), hp = h + 2 * ph, wp = w + 2 * pw;
    int rowLen = wp * c;
    for (int img = 0; img < p.n(); img++) {
      int dst = img * hp * rowLen, src = xOff + img * h * w * c;
      java.util.Arrays.fill(xp, dst, dst + ph * rowLen, 0f);
      for (int iy = 0; iy < h; iy++) {
        int d = dst + (ph + iy) * rowLen;
        java.util.Arrays.fill(xp, d, d + pw * c, 0f);
        System.arraycopy(x, src + iy * w * c, xp, d + pw * c, w * c);
        java.util.Arrays.fill(xp, d + (pw + w) * c, d + rowLen, 0f);
      }
      java.util.Arrays.fill(xp, dst + (ph + h) * rowLen, dst + hp * rowLen, 0f);
    }
  }
}
