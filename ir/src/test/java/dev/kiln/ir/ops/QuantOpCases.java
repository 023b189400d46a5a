package dev.kiln.ir.ops;

import static dev.kiln.ir.ops.OpCase.bad;
import static dev.kiln.ir.ops.OpCase.ok;

import dev.kiln.ir.DType;
import java.util.List;

/**
 * Type-rule rows for quantize, dequantize, requantize, int_repr and dynamically quantized linear (QuantOps), followed by
 * the rows of the statically quantized layers ({@link QuantNnOpCases}).
 */
final class QuantOpCases {
  private QuantOpCases() {}

  private static double[] d(double... v) { return v; }

  private static long[] l(long... v) { return v; }

  static List<OpCase> cases() {
    List<OpCase> all = new java.util.ArrayList<>(tensorCases());
    all.addAll(QuantNnOpCases.cases());
    return all;
  }

  private static List<OpCase> tensorCases() {
    return List.of(
        ok("q.quantize_per_tensor", "f32[N,4]", "qi8[N,4]{q=0.05:3}", "scale", 0.05, "zero_point", 3, "dtype", DType.QI8),
        ok("q.quantize_per_tensor", "f64[2]", "qu8[2]{q=0.5:128}", "scale", 0.5, "zero_point", 128, "dtype", DType.QU8),
        bad("q.quantize_per_tensor", "i64[2]", "x must be floating point, got i64[2]", "scale", 0.5, "zero_point", 0, "dtype", DType.QI8),
        bad("q.quantize_per_tensor", "f32[2]", "dtype must be qi8, qu8 or qi32, got i8", "scale", 0.5, "zero_point", 0, "dtype", DType.I8),
        bad("q.quantize_per_tensor", "f32[2]", "zero point 128 is outside the qi8 range [-128,127]", "scale", 0.5, "zero_point", 128, "dtype", DType.QI8),
        bad("q.quantize_per_tensor", "f32[2]", "scale must be positive and finite, got 0.0", "scale", 0.0, "zero_point", 0, "dtype", DType.QI8),
        bad("q.quantize_per_tensor", "f32[2]", "missing attribute 'zero_point'", "scale", 0.5, "dtype", DType.QI8),

        ok("q.quantize_per_channel", "f32[2,3]", "qi8[2,3]{q(axis=0)=[0.1:0,0.2:-1]}",
            "scales", d(0.1, 0.2), "zero_points", l(0, -1), "axis", 0, "dtype", DType.QI8),
        ok("q.quantize_per_channel", "f32[N,3]", "qu8[N,3]{q(axis=1)=[0.1:0,0.2:1,0.3:2]}",
            "scales", d(0.1, 0.2, 0.3), "zero_points", l(0, 1, 2), "axis", -1, "dtype", DType.QU8),
        bad("q.quantize_per_channel", "f32[2,3]", "3 scales for dim 0 of size 2 in f32[2,3]",
            "scales", d(0.1, 0.2, 0.3), "zero_points", l(0, 0, 0), "axis", 0, "dtype", DType.QI8),
        bad("q.quantize_per_channel", "f32[2,3]", "needs as many scales as zero points, at least one; got 2 and 1",
            "scales", d(0.1, 0.2), "zero_points", l(0), "axis", 0, "dtype", DType.QI8),
        bad("q.quantize_per_channel", "f32[2,3]", "dim 2 is out of range for rank 2",
            "scales", d(0.1, 0.2), "zero_points", l(0, 0), "axis", 2, "dtype", DType.QI8),
        bad("q.quantize_per_channel", "f32[2,3]", "scale must be positive and finite, got -0.1",
            "scales", d(-0.1, 0.2), "zero_points", l(0, 0), "axis", 0, "dtype", DType.QI8),

        ok("q.dequantize", "qi8[N,4]{q=0.05:3}", "f32[N,4]"),
        ok("q.dequantize", "qu8[2,3]{q(axis=0)=[0.1:0,0.2:1]}", "f32[2,3]"),
        bad("q.dequantize", "f32[2]", "q must be quantized, got f32[2]"),

        ok("q.requantize", "qi8[4]{q=0.05:3}", "qu8[4]{q=0.1:0}", "scale", 0.1, "zero_point", 0, "dtype", DType.QU8),
        ok("q.requantize", "qi8[2,3]{q(axis=0)=[0.1:0,0.2:1]}", "qi8[2,3]{q=0.25:-2}", "scale", 0.25, "zero_point", -2, "dtype", DType.QI8),
        bad("q.requantize", "f32[4]", "q must be quantized, got f32[4]", "scale", 0.1, "zero_point", 0, "dtype", DType.QU8),
        bad("q.requantize", "qi8[4]{q=0.05:3}", "zero point -1 is outside the qu8 range [0,255]", "scale", 0.1, "zero_point", -1, "dtype", DType.QU8),

        ok("q.int_repr", "qi8[4]{q=0.05:3}", "i8[4]"),
        ok("q.int_repr", "qu8[N,2]{q=0.05:3}", "u8[N,2]"),
        ok("q.int_repr", "qi32[3]{q=0.001:0}", "i32[3]"),
        bad("q.int_repr", "i8[4]", "q must be quantized, got i8[4]"),

        ok("q.linear_dynamic", "f32[N,64], qi8[10,64]{q=0.01:0}, f32[10]", "f32[N,10]"),
        ok("q.linear_dynamic", "f32[2,5,3], qi8[2,3]{q(axis=0)=[0.1:0,0.2:0]}", "f32[2,5,2]"),
        bad("q.linear_dynamic", "f32[N,32], qi8[10,64]{q=0.01:0}", "input features f32[N,32] do not match weight"),
        bad("q.linear_dynamic", "f32[N,64], f32[10,64]", "weight must be qi8, got f32[10,64]"),
        bad("q.linear_dynamic", "f64[N,64], qi8[10,64]{q=0.01:0}", "x must be f32, got f64[N,64]"),
        bad("q.linear_dynamic", "f32[2,3], qi8[2,3]{q(axis=1)=[0.1:0,0.2:0,0.3:0]}", "weight must be quantized per output channel (axis 0)"),
        bad("q.linear_dynamic", "f32[N,64], qi8[10,64]{q=0.01:0}, f32[5]", "bias does not match weight: 5 vs 10"));
  }
}
