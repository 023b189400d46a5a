package dev.kiln.runtime.kernels;

/**
 * The geometry of one 2-D pooling: batch n, channels c, input h x w, window kh x kw, strides, (symmetric) padding,
 * dilations (1 for average pooling) and output oh x ow. Build it with {@link #of}, which applies PyTorch's
 * output-size rule including ceil_mode.
 */
public record PoolParams(int n, int c, int h, int w, int kh, int kw, int strideH, int strideW, int padH, int padW,
    int dilH, int dilW, int oh, int ow) {

  public PoolParams {
    if (n < 0 || c < 0 || h <= 0 || w <= 0 || kh <= 0 || kw <= 0 || strideH <= 0 || strideW <= 0 || dilH <= 0 || dilW <= 0
        || padH < 0 || padW < 0 || oh <= 0 || ow <= 0)
      throw new IllegalArgumentException("pool sizes must be positive (paddings non-negative): n=" + n + " c=" + c + " in=" + h + "x" + w
          + " kernel=" + kh + "x" + kw + " stride=" + strideH + "x" + strideW + " pad=" + padH + "x" + padW + " out=" + oh + "x" + ow);
    if (2 * padH > kh || 2 * padW > kw)
      throw new IllegalArgumentException("pool padding " + padH + "x" + padW + " must be at most half the kernel " + kh + "x" + kw);
  }

  /**
   * PyTorch's pooling output size: {@code (in + 2p - d(k-1) - 1) / s + 1} rounded down, or up with ceil_mode, in
   * which case a last window that would start in the right padding is dropped. May be <= 0 (window does not fit).
   */
  public static int outSize(int in, int k, int s, int p, int d, boolean ceilMode) {
    int span = in + 2 * p - d * (k - 1) - 1;
    if (span < 0) return 0;
    int out = (ceilMode ? Math.ceilDiv(span, s) : Math.floorDiv(span, s)) + 1;
    if (ceilMode && (out - 1) * s >= in + p) out--;
    return out;
  }

  /** The params with oh and ow derived by {@link #outSize}; throws if the window does not fit. */
  public static PoolParams of(int n, int c, int h, int w, int kh, int kw, int strideH, int strideW, int padH, int padW,
      int dilH, int dilW, boolean ceilMode) {
    return new PoolParams(n, c, h, w, kh, kw, strideH, strideW, padH, padW, dilH, dilW,
        outSize(h, kh, strideH, padH, dilH, ceilMode), outSize(w, kw, strideW, padW, dilW, ceilMode));
  }

  /** Floats in x: n*c*h*w. */
  public long inputSize() { return (long) n * c * h * w; }

  /** Floats in y: n*c*oh*ow. */
  public long outputSize() { return (long) n * c * oh * ow; }
}
