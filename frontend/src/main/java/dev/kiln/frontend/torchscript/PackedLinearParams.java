package dev.kiln.frontend.torchscript;

import dev.kiln.frontend.archive.PyTuple;
import dev.kiln.frontend.archive.StoredTensor;
import dev.kiln.frontend.archive.TorchObject;
import dev.kiln.ir.DType;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;

/**
 * The packed weight and bias of a quantized linear layer as the import sees them. In an archive they are a TorchBind
 * {@code __torch__.torch.classes.quantized.LinearPackedParamsBase} whose pickled state is the C++ {@code __getstate__}
 * result {@code (qint8 weight qtensor [out, in], float bias [out] or None)}; {@code ops.quantized.linear_prepack}
 * builds the same pair from run-time values. Either way the lowering sees a {@link Packed}.
 */
public final class PackedLinearParams {
  private PackedLinearParams() {}

  /** The TorchBind class this decoder reads (the {@code __torch__.} prefix included). */
  public static final String CLASS = "__torch__.torch.classes.quantized.LinearPackedParamsBase";

  /** The decoded state: a qi8 weight [out, in] (per tensor or per channel along 0) and an f32 bias [out] or null. */
  public record State(StoredTensor weight, StoredTensor bias) {}

  /** Packed parameters as IR values: a qi8 weight and an f32 bias, which may be null. */
  public record Packed(Value weight, Value bias) {}

  /**
   * Decodes the state of a LinearPackedParamsBase object.
   *
   * @param o a TorchBind object from the archive, not null
   * @throws IllegalArgumentException naming the class and what the state held when it is not (weight, bias)
   */
  public static State decode(TorchObject o) {
    if (!o.qualifiedName().equals(CLASS)) throw new IllegalArgumentException("expected a " + CLASS + ", got " + o.qualifiedName());
    if (!(o.state() instanceof PyTuple t) || t.size() < 1 || t.size() > 2)
      throw new IllegalArgumentException(CLASS + ": state is " + describe(o.state()) + ", expected (qint8 weight, float bias or None)");
    if (!(t.get(0) instanceof StoredTensor w) || w.dtype() != DType.QI8 || w.rank() != 2)
      throw new IllegalArgumentException(CLASS + ": weight is " + describe(t.get(0)) + ", expected a 2-D qint8 tensor");
    if (w.quant().perChannel() && w.quant().axis() != 0)
      throw new IllegalArgumentException(CLASS + ": weight is quantized per channel along dim " + w.quant().axis() + ", expected 0");
    Object b = t.size() > 1 ? t.get(1) : null;
    if (b == null) return new State(w, null);
    if (!(b instanceof StoredTensor bias) || bias.dtype() != DType.F32 || bias.rank() != 1 || bias.sizes()[0] != w.sizes()[0])
      throw new IllegalArgumentException(CLASS + ": bias is " + describe(b) + ", expected a float tensor [" + w.sizes()[0] + "] or None");
    return new State(w, bias);
  }

  private static String describe(Object v) {
    return switch (v) {
      case null -> "None";
      case StoredTensor s -> s.toString();
      case PyTuple p -> "a tuple of " + p.size();
      default -> v.getClass().getSimpleName();
    };
  }

  /**
   * The argument of a quantized linear op as IR values: a {@link Packed} as it is, or an archive's
   * LinearPackedParamsBase object whose weight and bias become weights named after the object's module path
   * ({@code fc1._packed_params._packed_params.weight}).
   *
   * @param cx the lowering context of an archive import (or of a script that packs its own parameters)
   * @param arg the packed-params argument; anything else fails naming what it got
   */
  public static Packed values(LoweringContext cx, Object arg) {
    if (arg instanceof Packed p) return p;
    if (!(arg instanceof TorchObject o))
      throw cx.fail("packed params must be a " + CLASS + ", got " + Callables.describe(arg));
    State s;
    try {
      s = decode(o);
    } catch (IllegalArgumentException e) {
      throw cx.fail(e.getMessage());
    }
    String path = cx.modulePath(o) != null ? cx.modulePath(o) : "packed_params";
    Value w = cx.weight(s.weight(), path + ".weight");
    Value b = s.bias() == null ? null : cx.weight(s.bias(), path + ".bias");
    return new Packed(w, b);
  }

  /** Packs run-time values (ops.quantized.linear_prepack): the weight must be a 2-D qi8 tensor. */
  public static Packed pack(LoweringContext cx, Value weight, Value bias) {
    TensorType t = cx.typeOf(weight);
    if (t.dtype() != DType.QI8 || !t.shape().isRanked() || t.rank() != 2)
      throw cx.fail("weight must be a 2-D qi8 tensor, got " + t.text());
    return new Packed(weight, bias);
  }
}
