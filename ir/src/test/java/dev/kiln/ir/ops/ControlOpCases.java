package dev.kiln.ir.ops;

import static dev.kiln.ir.ops.OpCase.bad;
import static dev.kiln.ir.ops.OpCase.ok;
import static dev.kiln.ir.ops.OpCase.written;

import java.util.List;

/** Type-rule rows for constants, terminators and control flow (ControlOps). */
final class ControlOpCases {
  private ControlOpCases() {}

  static List<OpCase> cases() {
    return List.of(
        written("const", "", "name", "fc.weight"),
        written("const", "", "value", 2.5),
        bad("const", "", "has no attribute 'shape'", "shape", new long[] {2}),
        bad("const", "int", "takes 0 operands, got 1", "value", 1),
        bad("const", "", "attribute 'name' is 3, expected str", "name", 3),

        ok("return", "f32[N,4], int", "()"),
        ok("return", "", "()"),
        bad("return", "f32[2]", "has no attribute 'value'", "value", 1),

        ok("yield", "bool, f32[2]", "()"),
        bad("yield", "", "has no attribute 'x'", "x", 1),

        written("if", "bool"),
        bad("if", "", "takes 1 operands, got 0"),
        bad("if", "bool, bool", "takes 1 operands, got 2"),

        // Results are the carried values: loop(trip, cond, init...) -> init types.
        ok("loop", "int, bool, f32[N,4], int", "(f32[N,4], int)"),
        ok("loop", "int, bool", "()"),
        bad("loop", "float, bool, f32[2]", "trip count must be int, got float"),
        bad("loop", "int, f32[], f32[2]", "condition must be bool, got f32[]"),
        bad("loop", "int", "takes at least 2 operands, got 1"),

        ok("raise", "", "()", "message", "expected 4D input", "kind", "ValueError"),
        bad("raise", "str", "takes 0 operands, got 1"),
        bad("raise", "", "attribute 'message' is 3, expected str", "message", 3),

        ok("assert", "bool", "()", "message", "batch must be 1"),
        bad("assert", "int", "condition must be bool, got int"),
        bad("assert", "bool[1]", "condition must be bool, got bool[1]"));
  }
}
