package dev.kiln.frontend.torchscript.ops;

import dev.kiln.frontend.torchscript.OpLowering;
import java.util.Collections;
import java.util.Map;
import java.util.Set;

/**
 * Every TorchScript builtin Kiln lowers, by the name archive code spells it ({@code torch.conv2d},
 * {@code torch.relu_}, {@code ops.prim.NumToTensor} ...). Assembled once from the family files; each family
 * registers its names with small lambdas.
 *
 * <p>In-place forms ({@code torch.relu_}, {@code torch.add_}, {@code torch.hardtanh_} ...) lower like their pure
 * forms and return the new value: aliasing is not modelled, which is right for the inference graphs imported
 * here, where the mutated tensor is never read again through another name.
 *
 * <p>Not here, on purpose: Python builtins the lowering engine handles itself ({@code annotate},
 * {@code unchecked_cast}, {@code uninitialized}, {@code int}, {@code float}, {@code bool}, {@code str},
 * {@code range}, {@code getattr}, {@code isinstance}, {@code torch.__is__}, {@code torch.__isnot__},
 * {@code torch.__not__}, {@code ops.prim.RaiseException}), and the fp16 forms of {@code ops.quantized.linear_*}
 * (not lowered yet: int8 dynamic linear and LSTM are); see {@link #EXCLUDED}.
 */
public final class BuiltinTable {
  private BuiltinTable() {}

  /** Builtins the archives call that this table leaves to the engine or to later work. */
  public static final Set<String> EXCLUDED = Set.of("torch.__is__", "torch.__isnot__", "torch.__not__",
      "ops.prim.RaiseException", "ops.quantized.linear_dynamic_fp16",
      "ops.quantized.linear_prepack_fp16", "ops.quantized.linear_unpack_fp16");

  private static final Map<String, OpLowering> TABLE;

  static {
    Registrar r = new Registrar();
    ElementwiseLowerings.register(r);
    CompareLowerings.register(r);
    ReduceLowerings.register(r);
    ShapeLowerings.register(r);
    ViewLowerings.register(r);
    ConvPoolLowerings.register(r);
    NormLowerings.register(r);
    LinalgLowerings.register(r);
    SequenceLowerings.register(r);
    TransformerLowerings.register(r);
    PrimLowerings.register(r);
    TensorFactoryLowerings.register(r);
    QuantizedLowerings.register(r);
    TABLE = Collections.unmodifiableMap(r.table());
  }

  /** @return the lowering for {@code qualifiedName} as archive code spells it, or null if there is none */
  public static OpLowering find(String qualifiedName) { return TABLE.get(qualifiedName); }

  /** Every name with a lowering, in registration order; unmodifiable. */
  public static Set<String> names() { return TABLE.keySet(); }
}
