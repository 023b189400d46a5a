package dev.kiln.ir.ops;

import static dev.kiln.ir.ops.OpCase.bad;
import static dev.kiln.ir.ops.OpCase.ok;

import dev.kiln.ir.DType;
import java.util.List;

/** Type-rule rows for the statically quantized layers (QuantNnOps). */
final class QuantNnOpCases {
  private QuantNnOpCases() {}

  private static long[] l(long... v) { return v; }

  private static final Object[] OUT_U8 = {"scale", 0.1, "zero_point", 3, "dtype", DType.QU8};

  private static Object[] out(Object... more) {
    Object[] r = new Object[OUT_U8.length + more.length];
    System.arraycopy(more, 0, r, 0, more.length);
    System.arraycopy(OUT_U8, 0, r, more.length, OUT_U8.length);
    return r;
  }

  static List<OpCase> cases() {
    return List.of(
        ok("q.linear", "qu8[N,64]{q=0.05:128}, qi8[10,64]{q=0.01:0}, f32[10]", "qu8[N,10]{q=0.1:3}", out()),
        ok("q.linear_relu", "qu8[2,5,3]{q=0.05:0}, qi8[2,3]{q(axis=0)=[0.1:0,0.2:0]}", "qu8[2,5,2]{q=0.1:3}", out()),
        ok("q.linear", "qi8[4,3]{q=0.05:0}, qi8[2,3]{q=0.1:0}", "qi8[4,2]{q=0.5:-2}", "scale", 0.5, "zero_point", -2, "dtype", DType.QI8),
        bad("q.linear", "f32[N,64], qi8[10,64]{q=0.01:0}", "x must be qu8 or qi8, got f32[N,64]", out()),
        bad("q.linear", "qu8[N,32]{q=0.05:0}, qi8[10,64]{q=0.01:0}", "input features qu8[N,32]{q=0.05:0} do not match weight qi8[10,64]{q=0.01:0}", out()),
        bad("q.linear", "qu8[N,64]{q=0.05:0}, qu8[10,64]{q=0.01:0}", "weight must be qi8, got qu8[10,64]", out()),
        bad("q.linear", "qu8[N,64]{q=0.05:0}, qi8[10,64]{q=0.01:0}", "zero point 300 is outside the qu8 range [0,255]",
            "scale", 0.1, "zero_point", 300, "dtype", DType.QU8),
        bad("q.linear_relu", "qu8[N,64]{q=0.05:0}, qi8[10,64]{q=0.01:0}", "dtype must be qu8 or qi8, got qi32",
            "scale", 0.1, "zero_point", 0, "dtype", DType.QI32),

        ok("q.conv2d", "qu8[N,3,8,8]{q=0.03:128}, qi8[16,3,3,3]{q=0.01:0}, f32[16]", "qu8[N,16,8,8]{q=0.1:3}", out("padding", l(1, 1))),
        ok("q.conv2d_relu", "qu8[1,4,9,9]{q=0.03:0}, qi8[4,1,3,3]{q=0.01:0}", "qu8[1,4,4,4]{q=0.1:3}", out("stride", l(2, 2), "groups", 4)),
        bad("q.conv2d", "qu8[N,3,8,8]{q=0.03:128}, qi8[16,4,3,3]{q=0.01:0}", "has 3 channels but weight", out()),
        bad("q.conv2d", "qu8[N,3,8,8]{q=0.03:128}, qi8[16,3,3,3]{q=0.01:0}, f64[16]", "bias must be f32, got f64[16]", out()),
        bad("q.conv2d_relu", "qu8[N,3,8,8]{q(axis=1)=[0.1:0,0.1:0,0.1:0]}, qi8[16,3,3,3]{q=0.01:0}", "x must be quantized per tensor", out()),

        ok("q.matmul", "qi8[2,4,5]{q=0.05:0}, qi8[5,3]{q=0.04:0}", "qi8[2,4,3]{q=0.1:2}", "scale", 0.1, "zero_point", 2, "dtype", DType.QI8),
        bad("q.matmul", "qi8[2,4,5]{q=0.05:0}, qu8[5,3]{q=0.04:0}", "operands must have one dtype", out()),
        bad("q.matmul", "qu8[4,5]{q=0.05:0}, qu8[4,3]{q=0.04:0}", "inner dims of qu8[4,5]{q=0.05:0} and qu8[4,3]{q=0.04:0} differ", out()),

        ok("q.add", "qu8[N,8,4,4]{q=0.05:3}, qu8[N,8,4,4]{q=0.07:100}", "qu8[N,8,4,4]{q=0.1:3}", out()),
        ok("q.add_relu", "qu8[2,3]{q=0.05:3}, qu8[2,3]{q=0.07:100}", "qu8[2,3]{q=0.1:3}", out()),
        bad("q.add", "qu8[2,3]{q=0.05:3}, qu8[1,3]{q=0.07:100}", "operands must have one shape", out()),
        bad("q.add_relu", "qu8[2,3]{q=0.05:3}, f32[2,3]", "b must be qu8 or qi8, got f32[2,3]", out()),

        ok("q.relu", "qu8[N,16]{q=0.1:3}", "qu8[N,16]{q=0.1:3}"),
        ok("q.relu", "qi8[4]{q=0.1:-3}", "qi8[4]{q=0.1:-3}"),
        bad("q.relu", "f32[4]", "x must be qu8 or qi8, got f32[4]"),

        ok("q.max_pool2d", "qu8[N,16,8,8]{q=0.1:3}", "qu8[N,16,4,4]{q=0.1:3}", "kernel_size", l(2, 2)),
        ok("q.max_pool2d", "qi8[1,2,7,7]{q=0.1:0}", "qi8[1,2,4,4]{q=0.1:0}", "kernel_size", l(3, 3), "stride", l(2, 2), "padding", l(1, 1)),
        bad("q.max_pool2d", "qu8[N,16,8,8]{q=0.1:3}", "padding 2 must be at most half of kernel_size 2", "kernel_size", l(2, 2), "padding", l(2, 2)),
        bad("q.max_pool2d", "qi32[1,1,4,4]{q=0.1:0}", "x must be qu8 or qi8, got qi32[1,1,4,4]", "kernel_size", l(2, 2)),

        ok("q.adaptive_avg_pool2d", "qu8[N,32,7,7]{q=0.1:3}", "qu8[N,32,1,1]{q=0.1:3}", "output_size", l(1, 1)),
        ok("q.adaptive_avg_pool2d", "qi8[2,5,6]{q=0.1:-1}", "qi8[2,3,2]{q=0.1:-1}", "output_size", l(3, 2)),
        bad("q.adaptive_avg_pool2d", "qu8[8]{q=0.1:3}", "input must be [N,C,H,W] or [C,H,W]", "output_size", l(1, 1)));
  }
}
