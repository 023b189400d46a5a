package dev.kiln.runtime.kernels;

import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The int8 product behind quantized linear and convolution: {@code sum_p (x[i][p] - xz)(w[j][p] - wz[j]) + bias[j]}
 * in int32, with x 8-bit unsigned or signed activations and w signed 8-bit weights (rows of W are output channels,
 * as PyTorch stores them). Both operands are first made unsigned, {@code x' = x + ox} (ox = 0 for u8, 128 for s8)
 * and {@code w' = w + 128}, so the loop multiplies values in [0, 255]; zero points are not subtracted inside it:
 * with {@code rx[i] = sum_p x'[i][p]} and {@code cw[j] = sum_p w'[j][p]} (kept in {@link Packed}),
 *
 * <pre>sum_p (x' - xz')(w' - wz') = acc - wz' * rx - xz' * cw + k * xz' * wz'   (mod 2^32)
 * where acc = sum_p x' w', xz' = xz + ox, wz' = wz + 128</pre>
 *
 * which {@link #correct} applies. Everything is int32 arithmetic that wraps, and addition modulo 2^32 does not
 * depend on its order, so the result equals the reference kernels' loop bit for bit whatever the lane count.
 *
 * <p>The loop works on 16-bit lanes: a product of two values in [0, 255] is below 2^16, so one
 * {@code ShortVector.mul} makes 2L exact (unsigned) products. Reinterpreted as L ints, each lane holds
 * {@code v = lo + 65536 * hi} for two products; {@code hi = v >>> 16}, so {@code lo + hi = v - 65535 * hi}: the
 * loop only sums v and {@code v >>> 16} (one shift and two adds per 2L products). Activation rows and weight rows
 * are padded with zeros to a multiple of the short lane count, so there is no scalar tail (padding adds nothing to
 * the sums and the corrections use the true depth k).
 */
public final class QGemm {
  private QGemm() {}

  private static final VectorSpecies<Short> SS = ShortVector.SPECIES_PREFERRED;
  private static final VectorSpecies<Integer> IS = IntVector.SPECIES_PREFERRED;
  /** Shorts per vector; rows are padded to a multiple of it. */
  static final int SL = SS.length();

  /**
   * Weights widened and padded once (at model build): row j of {@code w} at {@code j * kp}, zeros past k.
   *
   * @param colSums {@code cw[j] = sum_p w[j][p]}
   */
  public record Packed(int n, int k, int kp, short[] w, int[] colSums) {}

  /** The padded row length for depth {@code k}. */
  public static int padded(int k) { return Math.max(SL, Math.ceilDiv(k, SL) * SL); }

  /**
   * Packs signed 8-bit weights {@code w[j * k + p]} (n rows of k) as {@code w + 128}.
   *
   * @param w raw two's-complement values, not changed
   */
  public static Packed pack(byte[] w, int wOff, int n, int k) {
    int kp = padded(k);
    short[] out = new short[Math.multiplyExact(n, kp)];
    int[] sums = new int[n];
    for (int j = 0; j < n; j++) {
      int s = 0;
      for (int p = 0; p < k; p++) {
        short v = (short) (w[wOff + j * k + p] + 128);
        out[j * kp + p] = v;
        s += v;
      }
      sums[j] = s;
    }
    return new Packed(n, k, kp, out, sums);
  }

  /**
   * Widens m rows of k 8-bit activations ({@code x[xOff + i * k + p]}) into {@code out} (m rows of kp, zero
   * padded), made unsigned ({@link #offset}), and returns their row sums.
   *
   * @param unsigned true for qu8 (bytes read as 0..255), false for qi8 (read as -128..127, stored plus 128)
   */
  public static int[] widen(byte[] x, int xOff, int m, int k, int kp, boolean unsigned, short[] out) {
    int[] sums = new int[m];
    int ox = offset(unsigned);
    for (int i = 0; i < m; i++) {
      int s = 0, o = i * kp;
      for (int p = 0; p < k; p++) {
        int v = unsigned ? x[xOff + i * k + p] & 0xff : x[xOff + i * k + p] + ox;
        out[o + p] = (short) v;
        s += v;
      }
      for (int p = k; p < kp; p++) out[o + p] = 0;
      sums[i] = s;
    }
    return sums;
  }

  /** What activations are stored plus: 0 for unsigned (u8) values, 128 for signed (s8) ones. */
  public static int offset(boolean unsigned) { return unsigned ? 0 : 128; }

  /**
   * {@code acc[i * n + j] = sum_p x[i * kp + p] * w[j * kp + p]} for m rows of widened activations against all
   * n packed weight rows.
   */
  public static void dots(short[] x, int m, Packed w, int[] acc) {
    int n = w.n(), kp = w.kp();
    short[] wv = w.w();
    int i = 0;
    for (; i + 4 <= m; i += 4)
      for (int j = 0; j < n; j++) dots4(x, i * kp, kp, wv, j * kp, acc, i * n + j, n);
    for (; i < m; i++)
      for (int j = 0; j < n; j++) acc[i * n + j] = dot(x, i * kp, wv, j * kp, kp);
  }

  /** One row against one weight row. */
  private static int dot(short[] x, int xi, short[] w, int wi, int kp) {
    IntVector a = IntVector.zero(IS), h = a;
    for (int p = 0; p < kp; p += SL) {
      IntVector v = ShortVector.fromArray(SS, x, xi + p).mul(ShortVector.fromArray(SS, w, wi + p)).reinterpretAsInts();
      a = a.add(v);
      h = h.add(v.lanewise(VectorOperators.LSHR, 16));
    }
    return sum(a, h);
  }

  /** Four rows of x (at xi, xi + kp, ...) against one weight row: each weight load feeds four products. */
  private static void dots4(short[] x, int xi, int kp, short[] w, int wi, int[] acc, int ai, int n) {
    IntVector a0 = IntVector.zero(IS), a1 = a0, a2 = a0, a3 = a0, h0 = a0, h1 = a0, h2 = a0, h3 = a0;
    for (int p = 0; p < kp; p += SL) {
      ShortVector wv = ShortVector.fromArray(SS, w, wi + p);
      IntVector v0 = ShortVector.fromArray(SS, x, xi + p).mul(wv).reinterpretAsInts();
      IntVector v1 = ShortVector.fromArray(SS, x, xi + kp + p).mul(wv).reinterpretAsInts();
      IntVector v2 = ShortVector.fromArray(SS, x, xi + 2 * kp + p).mul(wv).reinterpretAsInts();
      IntVector v3 = ShortVector.fromArray(SS, x, xi + 3 * kp + p).mul(wv).reinterpretAsInts();
      a0 = a0.add(v0);
      a1 = a1.add(v1);
      a2 = a2.add(v2);
      a3 = a3.add(v3);
      h0 = h0.add(v0.lanewise(VectorOperators.LSHR, 16));
      h1 = h1.add(v1.lanewise(VectorOperators.LSHR, 16));
      h2 = h2.add(v2.lanewise(VectorOperators.LSHR, 16));
      h3 = h3.add(v3.lanewise(VectorOperators.LSHR, 16));
    }
    acc[ai] = sum(a0, h0);
    acc[ai + n] = sum(a1, h1);
    acc[ai + 2 * n] = sum(a2, h2);
    acc[ai + 3 * n] = sum(a3, h3);
  }

  /** The products summed by a loop: {@code sum(v) - 65535 * sum(v >>> 16)} (see the class comment). */
  private static int sum(IntVector a, IntVector h) {
    return a.add(h.mul(-65535)).reduceLanes(VectorOperators.ADD);
  }

  /**
   * Turns raw products into {@code sum_p (x - xz)(w - wz[j]) + bias[j]} in place (see the class comment).
   *
   * @param rowSums the sums {@link #widen} returned
   * @param xz the activations' zero point (as the dtype reads it: 0..255 or -128..127)
   * @param unsigned the activations' kind, as given to {@link #widen}
   * @param wz per output channel weight zero points (length n)
   * @param bias int32 bias per output channel, or null
   */
  public static void correct(int[] acc, int m, Packed w, int[] rowSums, int xz, boolean unsigned, int[] wz, int[] bias) {
    int n = w.n(), k = w.k(), x0 = xz + offset(unsigned);
    int[] cw = w.colSums();
    for (int i = 0; i < m; i++)
      for (int j = 0; j < n; j++) {
        int w0 = wz[j] + 128;
        int v = acc[i * n + j] - w0 * rowSums[i] - x0 * cw[j] + k * x0 * w0;
        acc[i * n + j] = bias == null ? v : v + bias[j];
      }
  }
}
