package dev.kiln.runtime.interp;

import dev.kiln.runtime.Tensor;
import java.util.Arrays;

/** PyTorch broadcasting of shapes, and the element index maps that read an operand at every output position. */
final class Broadcasting {
  private Broadcasting() {}

  /** Aligns from the right; a size of 1 stretches. */
  static long[] shape(KernelArgs a, long[]... shapes) {
    int r = 0;
    for (long[] s : shapes) r = Math.max(r, s.length);
    long[] out = new long[r];
    Arrays.fill(out, 1);
    for (long[] s : shapes) {
      for (int i = 0; i < s.length; i++) {
        int o = r - s.length + i;
        if (s[i] == out[o] || s[i] == 1) continue;
        if (out[o] != 1) throw a.fail(shapesText(shapes) + " do not broadcast");
        out[o] = s[i];
      }
    }
    return out;
  }

  private static String shapesText(long[][] shapes) {
    StringBuilder sb = new StringBuilder("shapes");
    for (int i = 0; i < shapes.length; i++) sb.append(i == 0 ? " " : " and ").append(Tensor.dims(shapes[i]));
    return sb.toString();
  }

  /**
   * For each row-major position of {@code out}, the row-major position in a contiguous tensor of shape {@code in}
   * that broadcasts to it; null when {@code in} equals {@code out} (the identity).
   */
  static int[] index(long[] in, long[] out) {
    if (Arrays.equals(in, out)) return null;
    int n = Math.toIntExact(Tensor.numel(out));
    int[] map = new int[n];
    int r = out.length;
    long[] stride = new long[r];
    long s = 1;
    for (int i = in.length - 1; i >= 0; i--) {
      int o = r - in.length + i;
      stride[o] = in[i] == 1 ? 0 : s;
      s *= in[i];
    }
    long[] idx = new long[r];
    long pos = 0;
    for (int k = 0; k < n; k++) {
      map[k] = (int) pos;
      for (int d = r - 1; d >= 0; d--) {
        pos += stride[d];
        if (++idx[d] < out[d]) break;
        pos -= stride[d] * idx[d];
        idx[d] = 0;
      }
    }
    return map;
  }
}
