package dev.kiln.ir.ops;

import static dev.kiln.ir.ops.OpCase.bad;
import static dev.kiln.ir.ops.OpCase.ok;

import dev.kiln.ir.DType;
import java.util.ArrayList;
import java.util.List;

/**
 * Type-rule rows for elementwise ops: PyTorch broadcasting (align right, 1 stretches) and type promotion
 * (bool < int < float; dimensioned tensors outrank zero-dim tensors, which outrank Python numbers).
 */
final class ElementwiseOpCases {
  private ElementwiseOpCases() {}

  private static final String QI8 = "qi8[2]{q=0.5:0}";

  static List<OpCase> cases() {
    List<OpCase> c = new ArrayList<>(List.of(
        ok("nn.add", "f32[1,64], f32[1,64]", "f32[1,64]"),
        ok("nn.add", "f32[N,1,4], f32[3,1]", "f32[N,3,4]"),
        ok("nn.add", "f32[N,4], f32[M,4]", "f32[?,4]"),
        ok("nn.add", "f32[N,4], f32[3,1]", "f32[3,4]"),
        ok("nn.add", "f32[*], f32[3]", "f32[*]"),
        ok("nn.add", "i32[2], f32[2]", "f32[2]"),
        ok("nn.add", "i64[2,3], float", "f32[2,3]"),
        ok("nn.add", "float, i64[2,3]", "f32[2,3]"),
        ok("nn.add", "i32[4], int", "i32[4]"),
        ok("nn.add", "f16[4], f64[]", "f16[4]"),
        ok("nn.add", "i32[4], f64[]", "f64[4]"),
        ok("nn.add", "i64[], int", "i64[]"),
        ok("nn.add", "bool[3], int", "i64[3]"),
        ok("nn.add", "bool[3], bool[3]", "bool[3]"),
        ok("nn.add", "i8[2], u8[2]", "i16[2]"),
        ok("nn.add", "f16[2], bf16[2]", "f32[2]"),
        ok("nn.add", "i32[2], i32[2]", "i32[2]", "alpha", 2),
        bad("nn.add", "f32[1,64], f32[1,32]", "shapes f32[1,64] and f32[1,32] do not broadcast"),
        bad("nn.add", "i64[2], i64[2]", "alpha 0.5 must be an integer for i64 operands", "alpha", 0.5),
        bad("nn.add", "str, f32[2]", "operand of type str is neither a tensor nor a number"),
        bad("nn.add", QI8 + ", f32[2]", "quantized qi8[2]{q=0.5:0} needs a quantized op"),
        bad("nn.add", "int, int", "needs at least one tensor operand"),

        ok("nn.sub", "f32[3], int", "f32[3]"),
        ok("nn.sub", "int, i32[2,1]", "i32[2,1]", "alpha", 3),
        bad("nn.sub", "bool[2], bool[2]", "subtracting bool tensors is not supported"),
        bad("nn.sub", "f32[2], f32[3]", "do not broadcast"),

        ok("nn.mul", "f32[2,3], f32[3]", "f32[2,3]"),
        ok("nn.mul", "bool[2], f32[]", "f32[2]"),
        bad("nn.mul", "f32[2,3], f32[2]", "shapes f32[2,3] and f32[2] do not broadcast"),

        // True division of integers gives the default float dtype; a rounding mode keeps the promoted dtype.
        ok("nn.div", "i64[4], i64[4]", "f32[4]"),
        ok("nn.div", "i64[4], int", "i64[4]", "rounding_mode", "floor"),
        ok("nn.div", "f64[2], int", "f64[2]", "rounding_mode", "trunc"),
        bad("nn.div", "f32[4], f32[4]", "rounding_mode must be \"trunc\" or \"floor\", got \"round\"", "rounding_mode", "round"),
        bad("nn.div", "f32[4], f32[5]", "do not broadcast"),

        ok("nn.pow", "i64[3], float", "f32[3]"),
        ok("nn.pow", "f32[3], int", "f32[3]"),
        ok("nn.pow", "i32[3], i64[]", "i32[3]"),
        bad("nn.pow", "f32[3], f32[2]", "do not broadcast"),
        ok("nn.maximum", "i32[2], f32[2]", "f32[2]"),
        bad("nn.maximum", "f32[2], list<int>", "operand of type list<int> is neither a tensor nor a number"),
        ok("nn.minimum", "f32[N,1], f32[1,5]", "f32[N,5]"),
        bad("nn.minimum", "f32[4,2], f32[3,2]", "do not broadcast"),

        ok("nn.where", "bool[2,1], f32[3], float", "f32[2,3]"),
        ok("nn.where", "bool[4], i64[4], f32[]", "f32[4]"),
        ok("nn.where", "bool[4], i32[4], int", "i32[4]"),
        bad("nn.where", "f32[4], f32[4], f32[4]", "cond must be bool, got f32[4]"),
        bad("nn.where", "bool[4], f32[3], f32[4]", "do not broadcast"),

        // As torch.masked_fill (out of place): x and mask broadcast together; the value is a number or 0-dim tensor.
        ok("nn.masked_fill", "f32[2,3], bool[3], float", "f32[2,3]"),
        ok("nn.masked_fill", "f32[3], bool[2,3], f32[]", "f32[2,3]"),
        ok("nn.masked_fill", "i64[N,4], bool[N,1], int", "i64[N,4]"),
        bad("nn.masked_fill", "f32[2], f32[2], float", "mask must be bool, got f32[2]"),
        bad("nn.masked_fill", "f32[2], bool[2], f32[2]", "value must be a number or a zero-dim tensor, got f32[2]"),
        bad("nn.masked_fill", "f32[2], bool[3], float", "do not broadcast"),

        ok("nn.relu", "f32[N,3]", "f32[N,3]"),
        ok("nn.relu", "i32[4]", "i32[4]"),
        bad("nn.relu", "int", "operand 0 (x) is int, expected a tensor"),
        bad("nn.relu", QI8, "quantized qi8[2]{q=0.5:0} needs a quantized op"),
        ok("nn.hardtanh", "f32[4]", "f32[4]", "min_val", 0.0, "max_val", 6.0),
        bad("nn.hardtanh", "f32[4]", "attribute 'min_val' is \"a\", expected float", "min_val", "a"),
        ok("nn.clamp", "f32[4]", "f32[4]", "min", 0.0),
        ok("nn.clamp", "i64[4]", "i64[4]", "max", 3),
        bad("nn.clamp", "float", "expected a tensor", "min", 0.0),
        ok("nn.leaky_relu", "f32[2,2]", "f32[2,2]", "negative_slope", 0.2),
        bad("nn.leaky_relu", "f32[2]", "has no attribute 'slope'", "slope", 0.2),
        ok("nn.gelu", "f32[4]", "f32[4]", "approximate", "tanh"),
        ok("nn.gelu", "i64[4]", "f32[4]"),
        bad("nn.gelu", "f32[4]", "approximate must be \"none\" or \"tanh\", got \"fast\"", "approximate", "fast"),
        ok("nn.neg", "i32[3]", "i32[3]"),
        bad("nn.neg", "bool[3]", "negating a bool tensor is not supported"),
        ok("nn.abs", "i8[3]", "i8[3]"),
        bad("nn.abs", "tuple<f32[3]>", "expected a tensor"),
        // logical_not treats nonzero as true and always gives bool.
        ok("nn.logical_not", "bool[4]", "bool[4]"),
        ok("nn.logical_not", "f32[N]", "bool[N]"),
        bad("nn.logical_not", "bool", "expected a tensor"),
        ok("nn.dropout", "f32[N,128]", "f32[N,128]", "p", 0.1),
        bad("nn.dropout", "f32[2], f32[2]", "takes 1 operands, got 2"),

        ok("nn.to", "f32[2,N]", "i64[2,N]", "dtype", DType.I64),
        ok("nn.to", "bool[3]", "f16[3]", "dtype", DType.F16),
        bad("nn.to", "f32[2]", "cannot cast f32[2] to qi8", "dtype", DType.QI8),
        bad("nn.to", "f32[2]", "missing attribute 'dtype'"),
        bad("nn.to", "int", "expected a tensor", "dtype", DType.F32)));
    // Unary float functions give f32 for integer and bool inputs, as torch.sigmoid(torch.tensor([1])) does.
    for (String op : List.of("nn.silu", "nn.sigmoid", "nn.hardsigmoid", "nn.hardswish", "nn.tanh", "nn.exp", "nn.log",
        "nn.sqrt", "nn.rsqrt", "nn.erf")) {
      c.add(ok(op, "f16[N,3]", "f16[N,3]"));
      c.add(ok(op, "i64[2]", "f32[2]"));
      c.add(bad(op, QI8, "quantized qi8[2]{q=0.5:0} needs a quantized op"));
      c.add(bad(op, "list<f32[2]>", "expected a tensor"));
    }
    for (String op : List.of("nn.eq", "nn.ne", "nn.lt", "nn.le", "nn.gt", "nn.ge")) {
      c.add(ok(op, "f32[2,3], float", "bool[2,3]"));
      c.add(ok(op, "i64[N], i32[1]", "bool[N]"));
      c.add(bad(op, "f32[2], f32[3]", "shapes f32[2] and f32[3] do not broadcast"));
      c.add(bad(op, "f32[2], str", "neither a tensor nor a number"));
    }
    return c;
  }
}
