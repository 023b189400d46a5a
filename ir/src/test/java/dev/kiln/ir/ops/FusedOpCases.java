package dev.kiln.ir.ops;

import static dev.kiln.ir.ops.OpCase.bad;
import static dev.kiln.ir.ops.OpCase.ok;
import static dev.kiln.ir.ops.OpCase.written;

import java.util.List;

/** Type-rule rows for the ops passes introduce (FusedOps). */
final class FusedOpCases {
  private FusedOpCases() {}

  static List<OpCase> cases() {
    return List.of(
        written("fused", "f32[2,3], f32[3]", "kind", "elementwise"),
        bad("fused", "f32[2]", "missing attribute 'kind'"),
        bad("fused", "f32[2]", "attribute 'kind' is 1, expected str", "kind", 1),

        ok("nn.to_layout", "f32[N,3,8,8]", "f32[N,3,8,8]{nhwc}", "layout", "nhwc"),
        ok("nn.to_layout", "f32[1,3,8,8]{nhwc}", "f32[1,3,8,8]", "layout", "contiguous"),
        bad("nn.to_layout", "f32[3,8,8]", "nhwc needs a 4-D tensor, got f32[3,8,8]", "layout", "nhwc"),
        bad("nn.to_layout", "f32[1,3,8,8]", "layout must be \"nhwc\" or \"contiguous\", got \"nchw\"", "layout", "nchw"));
  }
}
