package dev.kiln.ir.ops;

import static dev.kiln.ir.ops.OpCase.bad;
import static dev.kiln.ir.ops.OpCase.ok;

import java.util.ArrayList;
import java.util.List;

/** Type-rule rows for scalar, list and tuple ops (PrimOps), following TorchScript's typing. */
final class PrimOpCases {
  private PrimOpCases() {}

  static List<OpCase> cases() {
    List<OpCase> c = new ArrayList<>();
    // int op int -> int; a float anywhere -> float; bool counts as int (True + True == 2).
    for (String op : List.of("prim.add", "prim.sub", "prim.mul", "prim.floordiv", "prim.mod", "prim.min", "prim.max")) {
      c.add(ok(op, "int, int", "int"));
      c.add(ok(op, "int, float", "float"));
      c.add(ok(op, "float, float", "float"));
      c.add(ok(op, "bool, int", "int"));
      c.add(bad(op, "str, int", "a is str, expected int or float"));
      c.add(bad(op, "int, f32[2]", "b is f32[2], expected int or float"));
    }
    c.addAll(List.of(
        ok("prim.div", "int, int", "float"),
        ok("prim.div", "float, int", "float"),
        bad("prim.div", "int, none", "b is none, expected int or float"),
        ok("prim.pow", "int, int", "int"),
        ok("prim.pow", "int, float", "float"),
        bad("prim.pow", "list<int>, int", "a is list<int>, expected int or float"),
        ok("prim.neg", "int", "int"),
        ok("prim.neg", "float", "float"),
        bad("prim.neg", "str", "a is str, expected int or float"),
        bad("prim.neg", "int, int", "takes 1 operands, got 2")));
    for (String op : List.of("prim.eq", "prim.ne", "prim.lt", "prim.le", "prim.gt", "prim.ge")) {
      c.add(ok(op, "int, float", "bool"));
      c.add(bad(op, "int", "takes 2 operands, got 1"));
    }
    c.addAll(List.of(
        ok("prim.eq", "str, str", "bool"),
        ok("prim.not", "bool", "bool"),
        bad("prim.not", "", "takes 1 operands, got 0"),
        ok("prim.and", "bool, bool", "bool"),
        bad("prim.and", "bool", "takes 2 operands, got 1"),
        ok("prim.or", "bool, bool", "bool"),
        bad("prim.or", "bool, bool, bool", "takes 2 operands, got 3"),
        ok("prim.is_none", "optional<f32[*]>", "bool"),
        bad("prim.is_none", "", "takes 1 operands, got 0"),
        ok("prim.int", "float", "int"),
        ok("prim.int", "f32[1]", "int"),
        bad("prim.int", "", "takes 1 operands, got 0"),
        ok("prim.float", "int", "float"),
        bad("prim.float", "int, int", "takes 1 operands, got 2"),
        ok("prim.bool", "i64[]", "bool"),
        bad("prim.bool", "", "takes 1 operands, got 0"),

        ok("prim.size", "f32[N,3]", "int", "dim", -1),
        bad("prim.size", "f32[N,3]", "dim 2 is out of range for rank 2", "dim", 2),
        bad("prim.size", "int", "operand 0 (x) is int, expected a tensor", "dim", 0),
        bad("prim.size", "f32[2]", "missing attribute 'dim'"),
        ok("prim.shape", "f32[N,3]", "list<int>"),
        bad("prim.shape", "int", "expected a tensor"),
        ok("prim.rank", "f32[*]", "int"),
        bad("prim.rank", "list<int>", "expected a tensor"),
        ok("prim.numel", "f32[2,3]", "int"),
        bad("prim.numel", "float", "expected a tensor"),
        ok("prim.to_tensor", "int", "i64[]"),
        ok("prim.to_tensor", "float", "f64[]"),
        ok("prim.to_tensor", "bool", "bool[]"),
        bad("prim.to_tensor", "str", "expected int, float or bool, got str"),
        ok("prim.item", "f32[1]", "float"),
        ok("prim.item", "i32[]", "int"),
        ok("prim.item", "bool[1,1]", "bool"),
        bad("prim.item", "int", "expected a tensor"),

        ok("prim.list", "int, int, int", "list<int>"),
        ok("prim.list", "f32[2], f32[N,3]", "list<f32[*]>"),
        bad("prim.list", "", "an empty list needs its type written"),
        bad("prim.list", "int, float", "list elements differ: int and float"),
        bad("prim.list", "f32[2], i64[2]", "list elements differ: f32[2] and i64[2]"),
        ok("prim.tuple", "int, f32[2]", "tuple<int,f32[2]>"),
        ok("prim.tuple", "", "tuple<>"),
        bad("prim.tuple", "int", "has no attribute 'n'", "n", 1),
        ok("prim.tuple_get", "tuple<int,f32[2]>", "f32[2]", "index", 1),
        bad("prim.tuple_get", "tuple<int,f32[2]>", "index 2 out of range for tuple<int,f32[2]>", "index", 2),
        bad("prim.tuple_get", "list<int>", "expected a tuple, got list<int>", "index", 0),
        ok("prim.unpack", "tuple<int,f32[2]>", "(int, f32[2])"),
        bad("prim.unpack", "int", "expected a tuple, got int"),
        ok("prim.list_get", "list<f32[*]>, int", "f32[*]"),
        bad("prim.list_get", "tuple<int>, int", "expected a list, got tuple<int>"),
        bad("prim.list_get", "list<int>, float", "index must be int, got float"),
        ok("prim.list_unpack", "list<int>", "(int, int, int)", "n", 3),
        bad("prim.list_unpack", "str", "expected a list, got str", "n", 1),
        bad("prim.list_unpack", "list<int>", "n must be non-negative, got -1", "n", -1),
        ok("prim.len", "list<list<int>>", "int"),
        bad("prim.len", "str", "expected a list, got str"),
        ok("prim.unwrap", "optional<f32[N]>", "f32[N]"),
        ok("prim.unwrap", "int", "int"),
        bad("prim.unwrap", "", "takes 1 operands, got 0")));
    return c;
  }
}
