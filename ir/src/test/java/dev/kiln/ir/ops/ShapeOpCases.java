package dev.kiln.ir.ops;

import static dev.kiln.ir.ops.OpCase.bad;
import static dev.kiln.ir.ops.OpCase.ok;

import dev.kiln.ir.Attr;
import dev.kiln.ir.DType;
import java.util.List;

/** Type-rule rows for movement, join and split ops (ShapeOps), with PyTorch's negative dims and clamping. */
final class ShapeOpCases {
  private ShapeOpCases() {}

  private static long[] l(long... v) { return v; }

  static List<OpCase> cases() {
    return List.of(
        ok("nn.reshape", "f32[2,3,4]", "f32[2,12]", "shape", l(-1, 12)),
        ok("nn.reshape", "f32[N,3,4]", "f32[N,12]", "shape", l(-1, 12)),
        ok("nn.reshape", "f32[N,3]", "f32[?]", "shape", l(-1)),
        ok("nn.reshape", "f32[0,4]", "f32[0,2]", "shape", l(-1, 2)),
        ok("nn.reshape", "f32[2,3], list<int>", "f32[*]"),
        bad("nn.reshape", "f32[2,3]", "cannot reshape [2,3] (6 elements) to [4,2]", "shape", l(4, 2)),
        bad("nn.reshape", "f32[2,3]", "only one dim may be -1 in [-1,-1]", "shape", l(-1, -1)),
        bad("nn.reshape", "f32[2,3]", "cannot reshape [2,3] to [-1,4]", "shape", l(-1, 4)),
        bad("nn.reshape", "f32[0,4]", "cannot reshape [0,4] to [-1,0]", "shape", l(-1, 0)),
        bad("nn.reshape", "f32[2,3], list<float>", "shape operand must be list<int>, got list<float>"),

        ok("nn.flatten", "f32[N,512,1,1]", "f32[N,512]", "start_dim", 1),
        ok("nn.flatten", "f32[2,3,4]", "f32[24]"),
        ok("nn.flatten", "f32[2,3,4,5]", "f32[2,12,5]", "start_dim", -3, "end_dim", -2),
        ok("nn.flatten", "f32[]", "f32[1]"),
        ok("nn.flatten", "f32[N,3,4]", "f32[?]"),
        bad("nn.flatten", "f32[2,3,4]", "start_dim 2 is after end_dim 1", "start_dim", 2, "end_dim", 1),
        bad("nn.flatten", "f32[2,3,4]", "dim 3 is out of range for rank 3", "start_dim", 3),

        ok("nn.permute", "f32[1,3,8,8]", "f32[1,8,8,3]", "dims", l(0, 2, 3, -3)),
        bad("nn.permute", "f32[1,3,8,8]", "dims [0,0,1,2] repeat 0", "dims", l(0, 0, 1, 2)),
        bad("nn.permute", "f32[1,3,8,8]", "dims [0,1] do not match rank 4", "dims", l(0, 1)),

        ok("nn.transpose", "f32[2,3,4]", "f32[2,4,3]", "dim0", 1, "dim1", -1),
        bad("nn.transpose", "f32[2,3,4]", "dim 3 is out of range for rank 3", "dim0", 0, "dim1", 3),

        ok("nn.contiguous", "f32[1,2,3,4]{nhwc}", "f32[1,2,3,4]"),
        bad("nn.contiguous", "int", "expected a tensor"),

        ok("nn.cat", "f32[2,3], f32[4,3]", "f32[6,3]"),
        ok("nn.cat", "f32[N,3], f32[N,5]", "f32[N,8]", "dim", -1),
        ok("nn.cat", "f32[N,3], f32[M,3]", "f32[?,3]"),
        ok("nn.cat", "f32[2,3], f64[1,3]", "f64[3,3]"),
        bad("nn.cat", "f32[2,3], f32[2,4]", "operand 1 f32[2,4] differs from f32[2,3] in dim 1"),
        bad("nn.cat", "f32[2,3], f32[3]", "operand 1 f32[3] has a different rank than f32[2,3]"),
        bad("nn.cat", "", "needs at least one tensor"),
        bad("nn.cat", "f32[2,3]", "dim 2 is out of range for rank 2", "dim", 2),

        ok("nn.stack", "f32[2,3], f32[2,3]", "f32[2,2,3]", "dim", 1),
        ok("nn.stack", "f32[2,3], f32[2,3], f32[2,3]", "f32[2,3,3]", "dim", -1),
        bad("nn.stack", "f32[2,3], f32[3,2]", "operand 1 f32[3,2] differs from f32[2,3]"),
        bad("nn.stack", "f32[2,3]", "dim 3 is out of range for rank 3", "dim", 3),

        // torch.chunk: pieces of ceil(size / chunks), so there may be fewer than chunks; an empty dim gives chunks empties.
        ok("nn.chunk", "f32[1,5]", "(f32[1,3], f32[1,2])", "chunks", 2, "dim", 1),
        ok("nn.chunk", "f32[6]", "(f32[2], f32[2], f32[2])", "chunks", 4),
        ok("nn.chunk", "f32[N,4]", "(f32[N,2], f32[N,2])", "chunks", 2, "dim", -1),
        ok("nn.chunk", "f32[0,3]", "(f32[0,3], f32[0,3])", "chunks", 2),
        bad("nn.chunk", "f32[4]", "chunks must be positive, got 0", "chunks", 0),
        bad("nn.chunk", "f32[N,4]", "dim 0 of f32[N,4] must be static to chunk", "chunks", 2),

        ok("nn.split", "f32[5,2]", "(f32[2,2], f32[2,2], f32[1,2])", "split_size", 2),
        ok("nn.split", "f32[2,5]", "(f32[2,3], f32[2,2])", "sizes", l(3, 2), "dim", 1),
        ok("nn.split", "f32[0]", "f32[0]", "split_size", 2),
        bad("nn.split", "f32[5]", "sizes sum to 6 but dim 0 is 5", "sizes", l(3, 3)),
        bad("nn.split", "f32[5]", "give exactly one of split_size and sizes", "sizes", l(3, 2), "split_size", 2),
        bad("nn.split", "f32[5]", "give exactly one of split_size and sizes"),
        bad("nn.split", "f32[5]", "sizes [6,-1] must be non-negative", "sizes", l(6, -1)),
        bad("nn.split", "f32[5]", "split_size must be positive, got 0", "split_size", 0),

        // Python slicing: out-of-range bounds clamp, negative bounds count from the end.
        ok("nn.slice", "f32[1,10]", "f32[1,3]", "dim", 1, "start", 2, "end", -1, "step", 3),
        ok("nn.slice", "f32[10]", "f32[10]", "start", -100, "end", 100),
        ok("nn.slice", "f32[10]", "f32[0]", "start", 8, "end", 2),
        ok("nn.slice", "f32[10]", "f32[3]", "start", -3),
        ok("nn.slice", "f32[N,4]", "f32[?,4]", "end", 2),
        bad("nn.slice", "f32[10]", "step must be positive, got 0", "step", 0),
        bad("nn.slice", "f32[10]", "dim 1 is out of range for rank 1", "dim", 1),

        ok("nn.select", "f32[2,3,4]", "f32[2,4]", "dim", 1, "index", -1),
        ok("nn.select", "f32[N,3]", "f32[3]", "dim", 0, "index", 5),
        bad("nn.select", "f32[2,3,4]", "index 3 out of range for size 3", "dim", 1, "index", 3),
        bad("nn.select", "f32[2,3,4]", "index -4 out of range for size 3", "dim", -2, "index", -4),
        bad("nn.select", "f32[]", "cannot select from a zero-dim tensor", "dim", 0, "index", 0),

        ok("nn.index_select", "f32[5,3], i64[7]", "f32[7,3]"),
        ok("nn.index_select", "f32[5,3], i32[N]", "f32[5,N]", "dim", -1),
        ok("nn.index_select", "f32[], i64[1]", "f32[]"),
        bad("nn.index_select", "f32[5,3], f32[2]", "index must be an integer tensor, got f32[2]"),
        bad("nn.index_select", "f32[5,3], i64[2,2]", "index must have rank 1, got i64[2,2]"),

        ok("nn.index", "f32[5,3], i64[2,4]", "f32[2,4,3]"),
        bad("nn.index", "f32[5,3], bool[5]", "index must be an integer tensor, got bool[5]"),
        bad("nn.index", "f32[], i64[1]", "cannot index a zero-dim tensor"),

        ok("nn.unsqueeze", "f32[3]", "f32[1,3]", "dim", 0),
        ok("nn.unsqueeze", "f32[3]", "f32[3,1]", "dim", -1),
        ok("nn.unsqueeze", "f32[]", "f32[1]", "dim", 0),
        bad("nn.unsqueeze", "f32[3]", "dim 2 is out of range for rank 2", "dim", 2),

        ok("nn.squeeze", "f32[1,3,1]", "f32[3]"),
        ok("nn.squeeze", "f32[1,3,1]", "f32[3,1]", "dim", 0),
        ok("nn.squeeze", "f32[1,3,1]", "f32[1,3,1]", "dim", 1),
        ok("nn.squeeze", "f32[N,1]", "f32[N]", "dim", -1),
        bad("nn.squeeze", "f32[N,3]", "cannot squeeze f32[N,3] with non-static dims; give dim"),
        bad("nn.squeeze", "f32[N,3]", "cannot tell whether dim 0 of f32[N,3] is 1", "dim", 0),

        ok("nn.expand", "f32[3,1]", "f32[2,3,4]", "sizes", l(2, -1, 4)),
        ok("nn.expand", "f32[N,1]", "f32[N,5]", "sizes", l(-1, 5)),
        bad("nn.expand", "f32[3]", "cannot expand f32[3] to [2,4]", "sizes", l(2, 4)),
        bad("nn.expand", "f32[3]", "-1 is not allowed for a new leading dim", "sizes", l(-1, 3)),
        bad("nn.expand", "f32[2,3]", "sizes [3] have fewer dims than f32[2,3]", "sizes", l(3)),
        bad("nn.expand", "f32[1]", "invalid size -2 in [-2]", "sizes", l(-2)),

        ok("nn.full", "", "f32[2,3]", "shape", l(2, 3)),
        ok("nn.full", "", "i64[4]", "shape", l(4), "value", 1, "dtype", DType.I64),
        ok("nn.full", "", "bool[]", "shape", new Attr.Ints(List.of()), "dtype", DType.BOOL),
        bad("nn.full", "", "negative size in shape [2,-1]", "shape", l(2, -1)),
        bad("nn.full", "", "cannot fill a quantized qi8 tensor", "shape", l(2), "dtype", DType.QI8),
        bad("nn.full", "f32[2]", "takes 0 operands, got 1", "shape", l(2)));
  }
}
