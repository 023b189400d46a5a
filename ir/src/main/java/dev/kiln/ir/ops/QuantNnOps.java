package dev.kiln.ir.ops;

import static dev.kiln.ir.OpDef.AttrKind.BOOL;
import static dev.kiln.ir.OpDef.AttrKind.DTYPE;
import static dev.kiln.ir.OpDef.AttrKind.FLOAT;
import static dev.kiln.ir.OpDef.AttrKind.INT;
import static dev.kiln.ir.OpDef.AttrKind.INTS;
import static dev.kiln.ir.OpDef.Trait.PURE;

import dev.kiln.ir.Attr;
import dev.kiln.ir.DType;
import dev.kiln.ir.Layout;
import dev.kiln.ir.OpDef;
import dev.kiln.ir.Quant;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Type;
import dev.kiln.ir.TypeContext;
import dev.kiln.ir.TypeError;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Statically quantized layers (PyTorch's quantized::conv2d, linear, add, matmul and the quantized relu and pooling):
 * integer tensors in, integer tensors out. Ops that requantize carry the result's parameters as attributes
 * {@code scale}, {@code zero_point} and {@code dtype}, exactly as {@code q.quantize_per_tensor}; relu and pooling keep
 * their input's parameters. Shapes follow the float op of the same name ({@code nn.conv2d}, {@code nn.max_pool2d}...),
 * whose attributes these ops share. The reference kernels reproduce the qnnpack engine's integers.
 */
public final class QuantNnOps {
  private QuantNnOps() {}

  private static TensorType activation(TypeContext c, int i) {
    TensorType t = c.tensor(i);
    if (t.dtype() != DType.QU8 && t.dtype() != DType.QI8) throw c.fail(c.operandName(i) + " must be qu8 or qi8, got " + t.text());
    if (t.quant().perChannel()) throw c.fail(c.operandName(i) + " must be quantized per tensor, got " + t.text());
    return t;
  }

  private static TensorType weight(TypeContext c, int i) {
    TensorType t = c.tensor(i);
    if (t.dtype() != DType.QI8) throw c.fail(c.operandName(i) + " must be qi8, got " + t.text());
    if (t.quant().perChannel() && t.quant().axis() != 0)
      throw c.fail(c.operandName(i) + " must be quantized per output channel (axis 0), got " + t.text());
    return t;
  }

  private static Type asFloat(Type t) {
    return t instanceof TensorType tt ? Type.tensor(DType.F32, tt.shape()) : t;
  }

  /** The result shape of {@code floatOp} on the operands with quantized types read as f32, and the given attributes. */
  private static Shape floatShape(TypeContext c, OpDef floatOp, String... attrs) {
    List<Type> ops = new ArrayList<>();
    for (Type t : c.operandTypes()) ops.add(asFloat(t));
    Map<String, Attr> given = new LinkedHashMap<>();
    for (String n : attrs) if (c.attr(n) != null) given.put(n, c.attr(n));
    try {
      return ((TensorType) floatOp.inferTypes(ops, given).get(0)).shape();
    } catch (TypeError e) {
      String m = e.getMessage();
      if (m.startsWith(floatOp.name() + ": ")) m = m.substring(floatOp.name().length() + 2);
      // The float rule names the f32 stand-ins; say the operands' own types.
      for (int i = c.numOperands() - 1; i >= 0; i--) m = m.replace(ops.get(i).text(), c.type(i).text());
      throw c.fail(m);
    }
  }

  /** The result type from the {@code scale}, {@code zero_point} and {@code dtype} attributes. */
  private static TensorType result(TypeContext c, Shape s) {
    DType d = c.attrDType("dtype");
    if (d != DType.QU8 && d != DType.QI8) throw c.fail("dtype must be qu8 or qi8, got " + d);
    double scale = c.attrFloat("scale");
    long zp = c.attrInt("zero_point");
    if (!(scale > 0) || Double.isInfinite(scale)) throw c.fail("scale must be positive and finite, got " + Attr.formatDouble(scale));
    if (zp < QuantOps.qmin(d) || zp > QuantOps.qmax(d))
      throw c.fail("zero point " + zp + " is outside the " + d + " range [" + QuantOps.qmin(d) + "," + QuantOps.qmax(d) + "]");
    return new TensorType(d, s, Layout.CONTIGUOUS, Quant.perTensor(scale, zp));
  }

  private static void floatBias(TypeContext c, int i) {
    if (c.has(i) && c.tensor(i).dtype() != DType.F32) throw c.fail("bias must be f32, got " + c.tensor(i).text());
  }

  private static OpDef.Builder requantizing(OpDef.Builder op, String summary, String... operands) {
    return op.summary(summary).operands(operands).attr("scale", FLOAT).attr("zero_point", INT).attr("dtype", DTYPE)
        .traits(PURE);
  }

  private static OpDef linear(OpDef.Builder op, String name, String what) {
    return requantizing(op, what + ": %y = " + name + "(%x, %w, %b) {scale=0.1, zero_point=0, dtype=qu8} : qu8[N,10]{q=0.1:0}",
        "x", "weight", "bias?").rule(c -> {
          activation(c, 0);
          weight(c, 1);
          floatBias(c, 2);
          return List.of(result(c, floatShape(c, LinalgOps.LINEAR)));
        }).build();
  }

  /** quantized::linear: int32 sums of (x - x_zp)(w - w_zp) plus the bias quantized to x_scale * w_scale, requantized. */
  public static final OpDef LINEAR = linear(OpDef.op("q.linear"), "q.linear", "quantized x W^T + b");
  public static final OpDef LINEAR_RELU = linear(OpDef.op("q.linear_relu"), "q.linear_relu", "quantized relu(x W^T + b)");

  private static OpDef conv(OpDef.Builder op, String name, String what) {
    return requantizing(op, what + ": %y = " + name + "(%x, %w, %b) {stride=[1,1], padding=[1,1], dilation=[1,1], groups=1, "
        + "scale=0.1, zero_point=0, dtype=qu8} : qu8[N,16,32,32]{q=0.1:0}", "x", "weight", "bias?")
        .attr("stride", INTS, Attr.ints(1, 1)).attr("padding", INTS, Attr.ints(0, 0)).attr("dilation", INTS, Attr.ints(1, 1))
        .attr("groups", INT, Attr.of(1L)).rule(c -> {
          activation(c, 0);
          weight(c, 1);
          floatBias(c, 2);
          return List.of(result(c, floatShape(c, NnOps.CONV2D, "stride", "padding", "dilation", "groups")));
        }).build();
  }

  /** quantized::conv2d on NCHW: like q.linear per output pixel; padding reads the input zero point. */
  public static final OpDef CONV2D = conv(OpDef.op("q.conv2d"), "q.conv2d", "quantized 2-D convolution");
  public static final OpDef CONV2D_RELU = conv(OpDef.op("q.conv2d_relu"), "q.conv2d_relu", "quantized relu(conv2d)");

  /** quantized::matmul: through f32 (dequantize, matmul, quantize), as PyTorch 1.13 does. */
  public static final OpDef MATMUL = requantizing(OpDef.op("q.matmul"),
      "quantized matrix product: %c = q.matmul(%a, %b) {scale=0.1, zero_point=0, dtype=qu8} : qu8[2,4,5]{q=0.1:0}", "a", "b").rule(c -> {
        TensorType a = activation(c, 0), b = activation(c, 1);
        if (a.dtype() != b.dtype()) throw c.fail("operands must have one dtype, got " + a.text() + " and " + b.text());
        return List.of(result(c, floatShape(c, LinalgOps.MATMUL)));
      }).build();

  private static OpDef add(OpDef.Builder op, String name, String what) {
    return requantizing(op, what + ": %y = " + name + "(%a, %b) {scale=0.1, zero_point=0, dtype=qu8} : qu8[N,8,4,4]{q=0.1:0}", "a", "b")
        .rule(c -> {
          TensorType a = activation(c, 0), b = activation(c, 1);
          if (a.dtype() != b.dtype()) throw c.fail("operands must have one dtype, got " + a.text() + " and " + b.text());
          if (!a.shape().equals(b.shape())) throw c.fail("operands must have one shape, got " + a.text() + " and " + b.text());
          return List.of(result(c, a.shape()));
        }).build();
  }

  /** quantized::add: qnnpack's fixed-point sum of both inputs rescaled to the output scale. */
  public static final OpDef ADD = add(OpDef.op("q.add"), "q.add", "quantized a + b");
  public static final OpDef ADD_RELU = add(OpDef.op("q.add_relu"), "q.add_relu", "quantized relu(a + b)");

  private static TensorType keep(TensorType x, Shape s) { return new TensorType(x.dtype(), s, Layout.CONTIGUOUS, x.quant()); }

  /** max(q, zero_point): the result keeps the input's parameters. */
  public static final OpDef RELU = OpDef.op("q.relu").summary("quantized relu: %y = q.relu(%x) : qu8[N,16]{q=0.1:3}")
      .operands("x").traits(PURE).rule(c -> {
        TensorType x = activation(c, 0);
        return List.of(keep(x, x.shape()));
      }).build();

  /** Max over windows of the raw integers (padding ignored); keeps the input's parameters. */
  public static final OpDef MAX_POOL2D = OpDef.op("q.max_pool2d")
      .summary("quantized max pooling: %y = q.max_pool2d(%x) {kernel_size=[2,2], stride=[2,2], padding=[0,0], dilation=[1,1], ceil_mode=false} : qu8[N,16,8,8]{q=0.1:3}")
      .operands("x").attr("kernel_size", INTS).attr("stride", INTS, Attr.ints()).attr("padding", INTS, Attr.ints(0, 0))
      .attr("dilation", INTS, Attr.ints(1, 1)).attr("ceil_mode", BOOL, Attr.of(false)).traits(PURE).rule(c -> {
        TensorType x = activation(c, 0);
        return List.of(keep(x, floatShape(c, NnOps.MAX_POOL2D, "kernel_size", "stride", "padding", "dilation", "ceil_mode")));
      }).build();

  /**
   * Adaptive average of the raw integers, rounded as PyTorch does on the channels-last tensors quantized convolutions
   * produce (qnnpack's average pooling when the windows tile the input, else the NHWC kernel); keeps the parameters.
   */
  public static final OpDef ADAPTIVE_AVG_POOL2D = OpDef.op("q.adaptive_avg_pool2d")
      .summary("quantized adaptive average pooling: %y = q.adaptive_avg_pool2d(%x) {output_size=[1,1]} : qu8[N,32,1,1]{q=0.1:3}")
      .operands("x").attr("output_size", INTS).traits(PURE).rule(c -> {
        TensorType x = activation(c, 0);
        return List.of(keep(x, floatShape(c, NnOps.ADAPTIVE_AVG_POOL2D, "output_size")));
      }).build();

  public static final List<OpDef> ALL = List.of(LINEAR, LINEAR_RELU, CONV2D, CONV2D_RELU, MATMUL, ADD, ADD_RELU, RELU, MAX_POOL2D,
      ADAPTIVE_AVG_POOL2D);
}
