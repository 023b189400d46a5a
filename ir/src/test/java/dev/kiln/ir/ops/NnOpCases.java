package dev.kiln.ir.ops;

import static dev.kiln.ir.ops.OpCase.bad;
import static dev.kiln.ir.ops.OpCase.ok;

import java.util.List;

/** Type-rule rows for matrix products (LinalgOps) and layers (NnOps), with PyTorch's shape formulas. */
final class NnOpCases {
  private NnOpCases() {}

  private static long[] l(long... v) { return v; }

  static List<OpCase> cases() {
    return List.of(
        ok("nn.linear", "f32[N,16,64], f32[10,64], f32[10]", "f32[N,16,10]"),
        ok("nn.linear", "f32[64], f32[10,64]", "f32[10]"),
        bad("nn.linear", "f32[N,32], f32[10,64]", "input features f32[N,32] do not match weight f32[10,64]: 32 vs 64"),
        bad("nn.linear", "f32[N,64], f32[10,64], f32[5]", "bias does not match weight: 5 vs 10"),
        bad("nn.linear", "i64[2,64], f32[10,64]", "x must be floating point, got i64[2,64]"),
        bad("nn.linear", "f32[2,64], f64[10,64]", "dtypes differ: f32[2,64] and f64[10,64]"),

        // torch.matmul: a 1-D left operand gains a leading 1, a 1-D right one a trailing 1, both dropped after.
        ok("nn.matmul", "f32[3], f32[3]", "f32[]"),
        ok("nn.matmul", "f32[3], f32[2,3,4]", "f32[2,4]"),
        ok("nn.matmul", "f32[2,3,4], f32[4]", "f32[2,3]"),
        ok("nn.matmul", "f32[5,1,3,4], f32[2,4,6]", "f32[5,2,3,6]"),
        ok("nn.matmul", "f32[N,8,16], f32[16,32]", "f32[N,8,32]"),
        bad("nn.matmul", "f32[2,3], f32[4,5]", "inner dims of f32[2,3] and f32[4,5] differ"),
        bad("nn.matmul", "f32[], f32[3]", "both operands need at least one dim"),
        bad("nn.matmul", "f32[2,3,4], f32[3,4,5]", "do not broadcast"),
        bad("nn.matmul", "f32[2,3], f64[3,4]", "dtypes differ"),

        ok("nn.mm", "f32[4,3], f32[3,5]", "f32[4,5]"),
        bad("nn.mm", "f32[3], f32[3,5]", "a must have rank 2, got f32[3]"),
        bad("nn.mm", "f32[4,3], f32[2,5]", "inner dims of f32[4,3] and f32[2,5] differ"),
        ok("nn.bmm", "f32[2,4,3], f32[2,3,5]", "f32[2,4,5]"),
        ok("nn.bmm", "f32[N,4,3], f32[N,3,M]", "f32[N,4,M]"),
        bad("nn.bmm", "f32[2,4,3], f32[3,3,5]", "batch sizes differ: 2 vs 3"),
        bad("nn.bmm", "f32[2,4,3], f32[2,3]", "b must have rank 3, got f32[2,3]"),
        ok("nn.addmm", "f32[5], f32[4,3], f32[3,5]", "f32[4,5]", "beta", 0.5, "alpha", 2.0),
        ok("nn.addmm", "f32[4,1], f32[4,3], f32[3,5]", "f32[4,5]"),
        bad("nn.addmm", "f32[2,4,5], f32[4,3], f32[3,5]", "input f32[2,4,5] does not broadcast to [4,5]"),
        bad("nn.addmm", "f32[5], f32[4,3], f32[2,5]", "inner dims of f32[4,3] and f32[2,5] differ"),
        ok("nn.baddbmm", "f32[1,5], f32[2,4,3], f32[2,3,5]", "f32[2,4,5]"),
        bad("nn.baddbmm", "f32[5], f32[2,4,3], f32[3,3,5]", "batch sizes differ: 2 vs 3"),
        bad("nn.baddbmm", "f32[2,2,4,5], f32[2,4,3], f32[2,3,5]", "input f32[2,2,4,5] does not broadcast to [2,4,5]"),

        ok("nn.conv2d", "f32[N,3,224,224], f32[64,3,7,7]", "f32[N,64,112,112]", "stride", l(2, 2), "padding", l(3, 3)),
        ok("nn.conv2d", "f32[N,3,224,224], f32[64,3,7,7]", "f32[N,64,112,112]", "stride", 2, "padding", 3),
        ok("nn.conv2d", "f32[1,32,10,10], f32[32,1,3,3], f32[32]", "f32[1,32,10,10]", "padding", l(1, 1), "groups", 32),
        ok("nn.conv2d", "f32[1,3,10,10], f32[8,3,3,3]", "f32[1,8,6,6]", "dilation", l(2, 2)),
        ok("nn.conv2d", "f32[1,3,9,9], f32[8,3,3,1]", "f32[1,8,4,9]", "stride", l(2, 1)),
        ok("nn.conv2d", "f32[1,3,H,W], f32[8,3,3,3]", "f32[1,8,?,?]"),
        bad("nn.conv2d", "f32[1,4,8,8], f32[8,3,3,3]", "has 4 channels but weight f32[8,3,3,3] with groups=1 expects 3"),
        bad("nn.conv2d", "f32[1,4,8,8], f32[6,1,3,3]", "output channels 6 not divisible by groups 4", "groups", 4),
        bad("nn.conv2d", "f32[1,3,2,2], f32[8,3,3,3]", "kernel [8,3,3,3] does not fit input f32[1,3,2,2]"),
        bad("nn.conv2d", "f32[1,3,8,8], f32[8,3,3,3]", "attribute 'stride' needs 2 values, got 3", "stride", l(1, 1, 1)),
        bad("nn.conv2d", "f32[3,8,8], f32[8,3,3,3]", "input must be [N,C,H,W], got f32[3,8,8]"),
        bad("nn.conv2d", "f32[1,3,8,8], f32[8,3,3,3], f32[4]", "bias does not match output channels: 4 vs 8"),

        ok("nn.batch_norm", "f32[N,64,56,56], f32[64], f32[64], f32[64], f32[64]", "f32[N,64,56,56]", "eps", 1e-3),
        ok("nn.batch_norm", "f32[N,8], f32[8], f32[8]", "f32[N,8]"),
        bad("nn.batch_norm", "f32[N,64,8,8], f32[32], f32[64]", "running_mean does not match channels of f32[N,64,8,8]"),
        bad("nn.batch_norm", "f32[8], f32[8], f32[8]", "input must have a channel dim, got f32[8]"),

        ok("nn.layer_norm", "f32[N,16,128], f32[128], f32[128]", "f32[N,16,128]", "normalized_shape", l(128)),
        ok("nn.layer_norm", "f32[N,4,8]", "f32[N,4,8]", "normalized_shape", l(4, 8)),
        bad("nn.layer_norm", "f32[N,16,128]", "normalized_shape does not match f32[N,16,128]", "normalized_shape", l(64)),
        bad("nn.layer_norm", "f32[N,16,128], f32[64]", "weight f32[64] must have shape [128]", "normalized_shape", l(128)),
        bad("nn.layer_norm", "f32[8]", "normalized_shape [2,8] does not fit f32[8]", "normalized_shape", l(2, 8)),

        ok("nn.softmax", "f32[N,10]", "f32[N,10]", "dim", -1),
        ok("nn.softmax", "f16[2,3]", "f16[2,3]", "dim", 0),
        bad("nn.softmax", "f32[N,10]", "dim 2 is out of range for rank 2", "dim", 2),
        bad("nn.softmax", "f32[2]", "missing attribute 'dim'"),
        ok("nn.log_softmax", "f32[N,10]", "f32[N,10]", "dim", 1),
        bad("nn.log_softmax", "f32[*]", "needs a known rank, got f32[*]", "dim", 1),

        ok("nn.max_pool2d", "f32[N,64,112,112]", "f32[N,64,56,56]", "kernel_size", l(3, 3), "stride", l(2, 2), "padding", l(1, 1)),
        ok("nn.max_pool2d", "f32[64,8,8]", "f32[64,4,4]", "kernel_size", 2),
        // ceil_mode rounds the window count up, but the last window must start inside the input or left padding.
        ok("nn.max_pool2d", "f32[1,1,5,5]", "f32[1,1,3,3]", "kernel_size", 2, "stride", 2, "ceil_mode", true),
        ok("nn.max_pool2d", "f32[1,1,5,5]", "f32[1,1,2,2]", "kernel_size", 2, "stride", 2),
        ok("nn.max_pool2d", "f32[1,1,5,5]", "f32[1,1,3,3]", "kernel_size", 2, "stride", 2, "padding", 1, "ceil_mode", true),
        ok("nn.max_pool2d", "f32[1,1,6,6]", "f32[1,1,4,4]", "kernel_size", 3, "stride", 2, "padding", 1, "ceil_mode", true),
        ok("nn.max_pool2d", "f32[1,1,10,10]", "f32[1,1,6,6]", "kernel_size", 3, "stride", 1, "dilation", 2),
        bad("nn.max_pool2d", "f32[1,1,8,8]", "padding 2 must be at most half of kernel_size 3", "kernel_size", 3, "padding", 2),
        bad("nn.max_pool2d", "f32[1,1,2,2]", "window [3,3] does not fit f32[1,1,2,2]", "kernel_size", 3),
        bad("nn.max_pool2d", "f32[8,8]", "input must be [N,C,H,W] or [C,H,W], got f32[8,8]", "kernel_size", 2),
        bad("nn.max_pool2d", "f32[1,1,8,8]", "kernel_size, stride and dilation must be positive", "kernel_size", 2, "dilation", 0),

        ok("nn.avg_pool2d", "f32[N,64,56,56]", "f32[N,64,28,28]", "kernel_size", l(2, 2), "stride", l(2, 2)),
        ok("nn.avg_pool2d", "f32[1,1,7,7]", "f32[1,1,4,4]", "kernel_size", 2, "ceil_mode", true),
        bad("nn.avg_pool2d", "f32[1,1,8,8]", "kernel_size, stride and dilation must be positive", "kernel_size", 0),
        bad("nn.avg_pool2d", "f32[1,1,8,8]", "divisor_override must not be zero", "kernel_size", 2, "divisor_override", 0),

        ok("nn.adaptive_avg_pool2d", "f32[N,512,7,7]", "f32[N,512,1,1]", "output_size", l(1, 1)),
        ok("nn.adaptive_avg_pool2d", "f32[3,H,W]", "f32[3,7,7]", "output_size", 7),
        bad("nn.adaptive_avg_pool2d", "f32[1,3,8,8]", "output_size must be positive", "output_size", l(0, 1)),

        ok("nn.embedding", "f32[1000,64], i64[N,16]", "f32[N,16,64]"),
        bad("nn.embedding", "f32[1000,64], f32[4]", "indices must be an integer tensor, got f32[4]"),
        bad("nn.embedding", "f32[1000], i64[4]", "weight must have rank 2, got f32[1000]"));
  }
}
