package dev.kiln.frontend.torchscript;

import dev.kiln.frontend.archive.PyTuple;
import dev.kiln.frontend.archive.StoredTensor;
import dev.kiln.frontend.archive.TorchObject;
import dev.kiln.ir.DType;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import java.util.List;

/**
 * The packed weight, bias and geometry of a quantized 2-D convolution as the import sees them. An archive holds them
 * either in a quantized conv module's pickled state (see {@link QuantizedModuleState}), or as a TorchBind
 * {@code __torch__.torch.classes.quantized.Conv2dPackedParamsBase} whose state is the C++ serialization format 2
 * {@code ("2", [int16 params, qint8 weight], [bias or None])} with params {@code [2, stride(2), padding(2),
 * dilation(2), output_padding(2), groups, transposed]}; {@code ops.quantized.conv2d_prepack} builds the same from
 * run-time values.
 */
public final class PackedConvParams {
  private PackedConvParams() {}

  /** The TorchBind class this decoder reads (the {@code __torch__.} prefix included). */
  public static final String CLASS = "__torch__.torch.classes.quantized.Conv2dPackedParamsBase";

  /** Packed parameters: a qi8 weight [O, C/groups, kh, kw], an f32 bias [O] or null, and the geometry. */
  public record Packed(Value weight, Value bias, long[] stride, long[] padding, long[] dilation, long groups) {}

  /** Weight and bias tensors still in the archive, with the geometry. */
  record State(StoredTensor weight, StoredTensor bias, long[] stride, long[] padding, long[] dilation, long groups) {
    Packed values(LoweringContext cx, String path) {
      Value w = cx.weight(weight, path + ".weight");
      Value b = bias == null ? null : cx.weight(bias, path + ".bias");
      return new Packed(w, b, stride, padding, dilation, groups);
    }
  }

  /** Checks a stored weight and bias: a 4-D qint8 weight (per tensor or per channel along 0), a float bias [O]. */
  static void check(String owner, Object w, Object b) {
    if (!(w instanceof StoredTensor wt) || wt.dtype() != DType.QI8 || wt.rank() != 4)
      throw new IllegalArgumentException(owner + ": weight is " + describe(w) + ", expected a 4-D qint8 tensor");
    if (wt.quant().perChannel() && wt.quant().axis() != 0)
      throw new IllegalArgumentException(owner + ": weight is quantized per channel along dim " + wt.quant().axis() + ", expected 0");
    if (b != null && (!(b instanceof StoredTensor bt) || bt.dtype() != DType.F32 || bt.rank() != 1 || bt.sizes()[0] != wt.sizes()[0]))
      throw new IllegalArgumentException(owner + ": bias is " + describe(b) + ", expected a float tensor [" + wt.sizes()[0] + "] or None");
  }

  /**
   * Decodes a Conv2dPackedParamsBase object.
   *
   * @throws IllegalArgumentException naming the class and what the state held when it is not format 2
   */
  static State decode(TorchObject o) {
    if (!o.qualifiedName().equals(CLASS)) throw new IllegalArgumentException("expected a " + CLASS + ", got " + o.qualifiedName());
    if (!(o.state() instanceof PyTuple t) || t.size() != 3 || !(t.get(1) instanceof List<?> tensors) || tensors.size() != 2
        || !(t.get(2) instanceof List<?> optional) || optional.size() != 1 || !(tensors.get(0) instanceof StoredTensor params))
      throw new IllegalArgumentException(CLASS + ": state is " + describe(o.state()) + ", expected (version, [params, weight], [bias])");
    long[] p = params.toLongArray();
    if (p.length != 11 || p[0] != 2)
      throw new IllegalArgumentException(CLASS + ": params are " + java.util.Arrays.toString(p) + ", expected 11 values of a 2-D conv");
    if (p[10] != 0) throw new IllegalArgumentException(CLASS + ": transposed convolutions are not supported");
    check(CLASS, tensors.get(1), optional.get(0));
    return new State((StoredTensor) tensors.get(1), (StoredTensor) optional.get(0), new long[] {p[1], p[2]}, new long[] {p[3], p[4]},
        new long[] {p[5], p[6]}, p[9]);
  }

  static String describe(Object v) {
    return switch (v) {
      case null -> "None";
      case StoredTensor s -> s.toString();
      case PyTuple p -> "a tuple of " + p.size();
      case List<?> l -> "a list of " + l.size();
      default -> v.getClass().getSimpleName();
    };
  }

  /**
   * The packed-params argument of a quantized conv op as IR values: a {@link Packed} as it is, or an archive's
   * Conv2dPackedParamsBase object whose tensors become weights named after its module path.
   */
  public static Packed values(LoweringContext cx, Object arg) {
    if (arg instanceof Packed p) return p;
    if (!(arg instanceof TorchObject o)) throw cx.fail("packed params must be a " + CLASS + ", got " + Callables.describe(arg));
    try {
      String path = cx.modulePath(o) != null ? cx.modulePath(o) : "packed_params";
      return decode(o).values(cx, path);
    } catch (IllegalArgumentException e) {
      throw cx.fail(e.getMessage());
    }
  }

  /** Packs run-time values (ops.quantized.conv2d_prepack): the weight must be a 4-D qi8 tensor. */
  public static Packed pack(LoweringContext cx, Value weight, Value bias, long[] stride, long[] padding, long[] dilation, long groups) {
    TensorType t = cx.typeOf(weight);
    if (t.dtype() != DType.QI8 || !t.shape().isRanked() || t.rank() != 4) throw cx.fail("weight must be a 4-D qi8 tensor, got " + t.text());
    return new Packed(weight, bias, stride, padding, dilation, groups);
  }
}
