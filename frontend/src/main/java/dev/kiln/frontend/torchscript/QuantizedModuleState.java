package dev.kiln.frontend.torchscript;

import dev.kiln.frontend.archive.PyTuple;
import dev.kiln.frontend.archive.StoredTensor;
import dev.kiln.frontend.archive.TorchObject;
import dev.kiln.frontend.script.ClassMember;
import dev.kiln.frontend.script.TypeExpr;

/**
 * Attributes of quantized conv modules ({@code torch.ao.nn.quantized.Conv2d}, {@code ConvReLU2d}...), which pickle
 * through their own {@code __getstate__}: the archive holds the tuple {@code (in_channels, out_channels, kernel_size,
 * stride, padding, dilation, transposed, output_padding, groups, padding_mode, weight, bias, scale, zero_point,
 * training)} instead of an attribute dict, and {@code __setstate__} rebuilds {@code _packed_params} with
 * {@code conv2d_prepack}. The import reads the same fields by name without running {@code __setstate__}.
 */
final class QuantizedModuleState {
  private QuantizedModuleState() {}

  /** Returned when {@code self} is not such a module or has no such field. */
  static final Object ABSENT = new Object();

  private static final String[] FIELDS = {"in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "transposed",
      "output_padding", "groups", "padding_mode", null, null, "scale", "zero_point", "training"};

  /** True if the class of {@code self} declares {@code _packed_params : ...Conv2dPackedParamsBase}. */
  static boolean isQuantizedConv(Lowering cx, TorchObject self) {
    if (!self.hasRawState() || self.isTorchBind()) return false;
    CodeIndex.ClassRef cls = cx.index.findClass(self.qualifiedName());
    if (cls == null) return false;
    ClassMember.AttributeDecl d = cls.def().attribute("_packed_params");
    return d != null && d.type() instanceof TypeExpr.ClassRef c && c.qualifiedName().equals(PackedConvParams.CLASS);
  }

  /**
   * {@code self.name} read from the pickled conv state, or {@link #ABSENT}; {@code _packed_params} gives a
   * {@link PackedConvParams.Packed} whose weight and bias are named {@code <module path>.weight} and {@code .bias}.
   */
  static Object attribute(Lowering cx, TorchObject self, String name, String path) {
    if (!isQuantizedConv(cx, self)) return ABSENT;
    String owner = self.qualifiedName() + " ('" + path + "')";
    if (!(self.state() instanceof PyTuple t) || t.size() != FIELDS.length)
      throw cx.error(owner + ": pickled state is " + PackedConvParams.describe(self.state()) + ", expected the 15 fields of a quantized conv");
    if (name.equals("_packed_params")) {
      try {
        PackedConvParams.check(owner, t.get(10), t.get(11));
      } catch (IllegalArgumentException e) {
        throw cx.error(e.getMessage());
      }
      if (Boolean.TRUE.equals(t.get(6))) throw cx.error(owner + ": transposed quantized convolutions are not supported");
      if (!"zeros".equals(t.get(9))) throw cx.error(owner + ": padding_mode " + t.get(9) + " is not supported, expected zeros");
      return new PackedConvParams.State((StoredTensor) t.get(10), (StoredTensor) t.get(11), pair(cx, owner, t.get(3)), pair(cx, owner, t.get(4)),
          pair(cx, owner, t.get(5)), (Long) t.get(8)).values(cx, path);
    }
    for (int i = 0; i < FIELDS.length; i++) if (name.equals(FIELDS[i])) return t.get(i);
    return ABSENT;
  }

  private static long[] pair(Lowering cx, String owner, Object o) {
    if (o instanceof PyTuple p && p.size() == 2 && p.get(0) instanceof Long a && p.get(1) instanceof Long b) return new long[] {a, b};
    throw cx.error(owner + ": expected a pair of ints in the pickled state, got " + PackedConvParams.describe(o));
  }
}
