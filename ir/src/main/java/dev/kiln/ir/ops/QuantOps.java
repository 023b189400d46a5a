package dev.kiln.ir.ops;

import static dev.kiln.ir.OpDef.AttrKind.DTYPE;
import static dev.kiln.ir.OpDef.AttrKind.FLOAT;
import static dev.kiln.ir.OpDef.AttrKind.FLOATS;
import static dev.kiln.ir.OpDef.AttrKind.INT;
import static dev.kiln.ir.OpDef.AttrKind.INTS;
import static dev.kiln.ir.OpDef.Trait.PURE;

import dev.kiln.ir.Attr;
import dev.kiln.ir.DType;
import dev.kiln.ir.Dim;
import dev.kiln.ir.Layout;
import dev.kiln.ir.OpDef;
import dev.kiln.ir.Quant;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Type;
import dev.kiln.ir.TypeContext;
import java.util.ArrayList;
import java.util.List;

/**
 * Affine quantization ({@code real = scale * (q - zero_point)}) as PyTorch does it. Scales and zero points are static:
 * they live in the quantized result type ({@code qi8[4]{q=0.05:3}}), so a quantized value's type says how to read
 * its integers. Rounding is PyTorch's: {@code q = clamp(zp + rint(x * (1f / (float) scale)), qmin, qmax)} in float,
 * half to even.
 */
public final class QuantOps {
  private QuantOps() {}

  /** The integer range of a quantized dtype: qi8 [-128,127], qu8 [0,255], qi32 the int range. */
  public static long qmin(DType d) {
    return switch (d) {
      case QI8 -> -128;
      case QU8 -> 0;
      case QI32 -> Integer.MIN_VALUE;
      default -> throw new IllegalArgumentException(d + " is not a quantized dtype");
    };
  }

  public static long qmax(DType d) {
    return switch (d) {
      case QI8 -> 127;
      case QU8 -> 255;
      case QI32 -> Integer.MAX_VALUE;
      default -> throw new IllegalArgumentException(d + " is not a quantized dtype");
    };
  }

  /** The plain integer dtype holding a quantized dtype's raw values: qi8 -> i8, qu8 -> u8, qi32 -> i32. */
  public static DType storage(DType d) {
    return switch (d) {
      case QI8 -> DType.I8;
      case QU8 -> DType.U8;
      case QI32 -> DType.I32;
      default -> throw new IllegalArgumentException(d + " is not a quantized dtype");
    };
  }

  private static TensorType floats(TypeContext c, int i) {
    TensorType t = c.tensor(i);
    if (!t.dtype().isFloat()) throw c.fail(c.operandName(i) + " must be floating point, got " + t.text());
    return t;
  }

  private static TensorType quantized(TypeContext c, int i) {
    TensorType t = c.tensor(i);
    if (!t.dtype().isQuantized()) throw c.fail(c.operandName(i) + " must be quantized, got " + t.text());
    return t;
  }

  private static DType qdtype(TypeContext c) {
    DType d = c.attrDType("dtype");
    if (!d.isQuantized()) throw c.fail("dtype must be qi8, qu8 or qi32, got " + d);
    return d;
  }

  private static void checkPair(TypeContext c, DType d, double scale, long zp) {
    if (!(scale > 0) || Double.isInfinite(scale)) throw c.fail("scale must be positive and finite, got " + Attr.formatDouble(scale));
    if (zp < qmin(d) || zp > qmax(d)) throw c.fail("zero point " + zp + " is outside the " + d + " range [" + qmin(d) + "," + qmax(d) + "]");
  }

  /** Per-tensor parameters from the {@code scale}, {@code zero_point} and {@code dtype} attributes. */
  private static Quant perTensor(TypeContext c, DType d) {
    double scale = c.attrFloat("scale");
    long zp = c.attrInt("zero_point");
    checkPair(c, d, scale, zp);
    return Quant.perTensor(scale, zp);
  }

  private static TensorType qtype(DType d, Shape s, Quant q) { return new TensorType(d, s, Layout.CONTIGUOUS, q); }

  /** x -> q with one scale and zero point. */
  public static final OpDef QUANTIZE_PER_TENSOR = OpDef.op("q.quantize_per_tensor")
      .summary("float to quantized, one scale: %q = q.quantize_per_tensor(%x) {scale=0.05, zero_point=3, dtype=qi8} : qi8[4]{q=0.05:3}")
      .operands("x").attr("scale", FLOAT).attr("zero_point", INT).attr("dtype", DTYPE).traits(PURE).rule(c -> {
        TensorType x = floats(c, 0);
        DType d = qdtype(c);
        return List.of(qtype(d, x.shape(), perTensor(c, d)));
      }).build();

  /** x -> q with one scale and zero point per index of {@code axis}. */
  public static final OpDef QUANTIZE_PER_CHANNEL = OpDef.op("q.quantize_per_channel")
      .summary("float to quantized, a scale per channel: %q = q.quantize_per_channel(%w) {scales=[0.1,0.2], zero_points=[0,0], axis=0, dtype=qi8} : qi8[2,3]{q(axis=0)=[0.1:0,0.2:0]}")
      .operands("x").attr("scales", FLOATS).attr("zero_points", INTS).attr("axis", INT).attr("dtype", DTYPE).traits(PURE).rule(c -> {
        TensorType x = floats(c, 0);
        if (!x.shape().isRanked()) throw c.fail("x needs a known rank, got " + x.text());
        DType d = qdtype(c);
        int axis = c.dim(c.attrInt("axis"), x.rank());
        if (x.rank() == 0) throw c.fail("per-channel quantization needs at least one dim, got " + x.text());
        double[] scales = c.attr("scales") instanceof Attr.Floats f ? f.toArray() : toDoubles(c.attrInts("scales"));
        long[] zps = c.attrInts("zero_points");
        if (scales.length != zps.length || scales.length == 0)
          throw c.fail("needs as many scales as zero points, at least one; got " + scales.length + " and " + zps.length);
        Dim ch = x.shape().dim(axis);
        if (ch.isStatic() && ch.size() != scales.length)
          throw c.fail(scales.length + " scales for dim " + axis + " of size " + ch.size() + " in " + x.text());
        List<Double> s = new ArrayList<>();
        List<Long> z = new ArrayList<>();
        for (int i = 0; i < scales.length; i++) {
          checkPair(c, d, scales[i], zps[i]);
          s.add(scales[i]);
          z.add(zps[i]);
        }
        return List.of(qtype(d, x.shape(), new Quant(axis, s, z)));
      }).build();

  private static double[] toDoubles(long[] v) {
    double[] out = new double[v.length];
    for (int i = 0; i < v.length; i++) out[i] = v[i];
    return out;
  }

  /** q -> scale * (q - zero_point) as f32. */
  public static final OpDef DEQUANTIZE = OpDef.op("q.dequantize")
      .summary("quantized to f32: %x = q.dequantize(%q) : f32[4]")
      .operands("q").traits(PURE).rule(c -> List.of(Type.tensor(DType.F32, quantized(c, 0).shape()))).build();

  /** quantize(dequantize(q)) with new per-tensor parameters (and possibly another quantized dtype). */
  public static final OpDef REQUANTIZE = OpDef.op("q.requantize")
      .summary("new scale and zero point: %r = q.requantize(%q) {scale=0.1, zero_point=0, dtype=qu8} : qu8[4]{q=0.1:0}")
      .operands("q").attr("scale", FLOAT).attr("zero_point", INT).attr("dtype", DTYPE).traits(PURE).rule(c -> {
        TensorType q = quantized(c, 0);
        DType d = qdtype(c);
        return List.of(qtype(d, q.shape(), perTensor(c, d)));
      }).build();

  /** The raw integers of a quantized tensor (torch.int_repr): qi8 -> i8, qu8 -> u8, qi32 -> i32. */
  public static final OpDef INT_REPR = OpDef.op("q.int_repr")
      .summary("raw integers of a quantized tensor: %i = q.int_repr(%q) : i8[4]")
      .operands("q").traits(PURE).rule(c -> {
        TensorType q = quantized(c, 0);
        return List.of(Type.tensor(storage(q.dtype()), q.shape()));
      }).build();

  /**
   * Dynamically quantized linear (quantized::linear_dynamic under the qnnpack engine): x is quantized to qu8 per
   * call with scale and zero point chosen from its min and max over the full [0,255] range (qnnpack ignores
   * reduce_range), multiplied in integers with the qi8 weight [out, in] (per tensor, or per channel along axis 0),
   * and the int32 sums scaled back to f32: {@code y = float(acc) * (float)(x_scale * w_scale) + bias}.
   */
  public static final OpDef LINEAR_DYNAMIC = OpDef.op("q.linear_dynamic")
      .summary("x W^T + b, x quantized per call: %y = q.linear_dynamic(%x, %w, %b) : f32[N,10]")
      .operands("x", "weight", "bias?").traits(PURE).rule(c -> {
        TensorType x = c.ranked(0);
        if (x.dtype() != DType.F32) throw c.fail("x must be f32, got " + x.text());
        if (x.rank() == 0) throw c.fail("x must have at least one dim");
        TensorType w = c.rank(1, 2);
        if (w.dtype() != DType.QI8) throw c.fail("weight must be qi8, got " + w.text());
        if (w.quant().perChannel() && w.quant().axis() != 0) throw c.fail("weight must be quantized per output channel (axis 0), got " + w.text());
        LinalgOps.sameDim(c, x.shape().dim(-1), w.shape().dim(1), "input features " + x.text() + " do not match weight " + w.text());
        if (c.has(2)) {
          TensorType b = c.rank(2, 1);
          if (b.dtype() != DType.F32) throw c.fail("bias must be f32, got " + b.text());
          LinalgOps.sameDim(c, b.shape().dim(0), w.shape().dim(0), "bias does not match weight");
        }
        List<Dim> out = new ArrayList<>(x.shape().dims());
        out.set(out.size() - 1, w.shape().dim(0));
        return List.of(Type.tensor(DType.F32, Shape.of(out)));
      }).build();

  public static final List<OpDef> ALL = List.of(QUANTIZE_PER_TENSOR, QUANTIZE_PER_CHANNEL, DEQUANTIZE, REQUANTIZE, INT_REPR,
      LINEAR_DYNAMIC);
}
