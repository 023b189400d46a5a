package dev.kiln.runtime.kernels;

/**
 * The geometry of one 2-D convolution: batch n, input channels c and size h x w, output channels oc, kernel
 * kh x kw, strides, (symmetric) zero padding, dilations, groups, and the output size oh x ow. The same record
 * describes NCHW and NHWC calls; only the memory order of the arrays differs ({@link Conv2d}).
 */
public record ConvParams(int n, int c, int h, int w, int oc, int kh, int kw, int strideH, int strideW, int padH, int padW,
    int dilH, int dilW, int groups, int oh, int ow) {

  /** Checks the sizes are positive, channels divide into groups, and oh/ow match PyTorch's output-size rule. */
  public ConvParams {
    // Fields are not assigned yet inside a compact constructor, so messages spell the values out.
    String desc = "n=" + n + " c=" + c + " h=" + h + " w=" + w + " oc=" + oc + " kernel=" + kh + "x" + kw + " stride=" + strideH + "x"
        + strideW + " pad=" + padH + "x" + padW + " dilation=" + dilH + "x" + dilW + " groups=" + groups + " out=" + oh + "x" + ow;
    if (n < 0 || c <= 0 || h <= 0 || w <= 0 || oc <= 0 || kh <= 0 || kw <= 0 || strideH <= 0 || strideW <= 0
        || padH < 0 || padW < 0 || dilH <= 0 || dilW <= 0 || groups <= 0)
      throw new IllegalArgumentException("conv sizes must be positive (paddings non-negative): " + desc);
    if (c % groups != 0 || oc % groups != 0)
      throw new IllegalArgumentException("channels c=" + c + " and oc=" + oc + " must both divide by groups=" + groups);
    if (oh != outSize(h, kh, strideH, padH, dilH) || ow != outSize(w, kw, strideW, padW, dilW) || oh <= 0 || ow <= 0)
      throw new IllegalArgumentException("output " + oh + "x" + ow + " does not match input " + h + "x" + w + ", expected "
          + outSize(h, kh, strideH, padH, dilH) + "x" + outSize(w, kw, strideW, padW, dilW) + " (" + desc + ")");
  }

  /** {@code floor((in + 2*pad - dil*(k-1) - 1) / stride) + 1}, the convolution output size (may be <= 0). */
  public static int outSize(int in, int k, int stride, int pad, int dil) {
    return Math.floorDiv(in + 2 * pad - dil * (k - 1) - 1, stride) + 1;
  }

  /** The params for a convolution whose output size follows from the rest. */
  public static ConvParams of(int n, int c, int h, int w, int oc, int kh, int kw, int strideH, int strideW, int padH, int padW,
      int dilH, int dilW, int groups) {
    return new ConvParams(n, c, h, w, oc, kh, kw, strideH, strideW, padH, padW, dilH, dilW, groups,
        outSize(h, kh, strideH, padH, dilH), outSize(w, kw, strideW, padW, dilW));
  }

  /** Input channels per group. */
  public int cg() { return c / groups; }

  /** Output channels per group. */
  public int og() { return oc / groups; }

  /** Length of one filter: cg * kh * kw. */
  public int kdim() { return cg() * kh * kw; }

  /** Output pixels per image and channel: oh * ow. */
  public int plane() { return oh * ow; }

  /** A 1x1 kernel at stride 1 without padding: the input already is the im2col matrix. */
  public boolean pointwise() { return kh == 1 && kw == 1 && strideH == 1 && strideW == 1 && padH == 0 && padW == 0; }

  /** One filter per channel, each seeing only its own channel. */
  public boolean depthwise() { return groups == c && oc == c; }

  /** Floats in x: n*c*h*w. */
  public long inputSize() { return (long) n * c * h * w; }

  /** Floats in the weight: oc * cg * kh * kw. */
  public long weightSize() { return (long) oc * kdim(); }

  /** Floats in y: n*oc*oh*ow. */
  public long outputSize() { return (long) n * oc * oh * ow; }
}
