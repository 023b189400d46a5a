package dev.kiln.runtime.interp;

import dev.kiln.runtime.Tensor;

/**
 * Kernels for ops that passes insert. ({@code fused} itself has no kernel: the {@link Interpreter} runs its block.)
 */
final class FusedKernels {
  private FusedKernels() {}

  /**
   * nn.to_layout: the values are unchanged, because shapes are logical; only the memory order changes. For
   * {@code "nhwc"} the result is a tensor of the same logical [N,C,H,W] shape whose storage is channels-last
   * (strides [H*W*C, 1, W*C, C]), so kernels downstream read it through strides as they read any view; for
   * {@code "contiguous"} it is a row-major copy (or the operand itself when already row-major).
   */
  static Object toLayout(KernelArgs a) {
    Tensor x = a.tensor(0);
    String layout = a.attrStr("layout");
    return switch (layout) {
      case "contiguous" -> x.contiguous();
      case "nhwc" -> {
        if (x.rank() != 4) throw a.fail("nhwc needs a 4-D tensor, got " + Values.describe(x));
        // permute to [N,H,W,C], store that row-major, and view it back as [N,C,H,W].
        yield x.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);
      }
      default -> throw a.fail("layout must be \"nhwc\" or \"contiguous\", got \"" + layout + "\"");
    };
  }
}
