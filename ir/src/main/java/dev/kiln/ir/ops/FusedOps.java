package dev.kiln.ir.ops;

import static dev.kiln.ir.OpDef.AttrKind.STR;
import static dev.kiln.ir.OpDef.Trait.MOVEMENT;
import static dev.kiln.ir.OpDef.Trait.PURE;

import dev.kiln.ir.Layout;
import dev.kiln.ir.OpDef;
import dev.kiln.ir.TensorType;
import java.util.List;

/** Ops that optimization passes introduce: fused groups (one future kernel each) and explicit layout changes. */
public final class FusedOps {
  private FusedOps() {}

  /** The {@code kind} of a fused group of elementwise ops only. */
  public static final String ELEMENTWISE = "elementwise";
  /** The {@code kind} of a scaled dot-product attention group (matmul, scale, mask, softmax, matmul). */
  public static final String ATTENTION = "attention";

  /**
   * A group of ops that later lowering turns into one kernel. The node holds one block: its arguments mirror the
   * operands one to one (same types, same order), its nodes are the grouped ops and use only the block's own
   * arguments and results (the block is isolated from the values around it), and its {@code yield} passes out
   * the group's results, whose types are written explicitly on the node. Running the node means running the
   * block. {@code kind} names the pattern for lowering: {@code "elementwise"}, {@code "<anchor>+epilogue"}
   * (for example {@code "conv2d+epilogue"}, with the anchor op first in the block) or {@code "attention"}.
   */
  public static final OpDef FUSED = OpDef.op("fused")
      .summary("fused group: %y = fused(%x, %w) {kind=\"conv2d+epilogue\"} : f32[1,8,4,4] { ^(%a: f32[1,3,4,4], %b: f32[8,3,1,1]): ... yield(%r) }")
      .operands("inputs*").attr("kind", STR).blocks(1).traits(PURE).build();

  /**
   * Changes how a 4-D tensor's elements are stored, not their values: {@code layout} is {@code "nhwc"}
   * (channels-last) or {@code "contiguous"} (row-major over the logical NCHW shape). The result is the operand's
   * type with that layout.
   */
  public static final OpDef TO_LAYOUT = OpDef.op("nn.to_layout")
      .summary("change memory order: %y = nn.to_layout(%x) {layout=\"nhwc\"} : f32[1,8,4,4]{nhwc}")
      .operands("x").attr("layout", STR).traits(PURE, MOVEMENT).rule(c -> {
        TensorType x = c.tensor(0);
        Layout l = layout(c.attr("layout") instanceof dev.kiln.ir.Attr.Str s ? s.value() : "");
        if (l == null) throw c.fail("layout must be \"nhwc\" or \"contiguous\", got " + c.attr("layout").text());
        if (l == Layout.NHWC && (!x.shape().isRanked() || x.rank() != 4)) throw c.fail("nhwc needs a 4-D tensor, got " + x.text());
        return List.of(x.withLayout(l));
      }).build();

  /** The layout named by a {@code to_layout} attribute, or null if the name is not one. */
  public static Layout layout(String name) {
    return switch (name) {
      case "nhwc" -> Layout.NHWC;
      case "contiguous" -> Layout.CONTIGUOUS;
      default -> null;
    };
  }

  /** The attribute text naming {@code l}. */
  public static String layoutName(Layout l) { return l == Layout.NHWC ? "nhwc" : "contiguous"; }

  public static final List<OpDef> ALL = List.of(FUSED, TO_LAYOUT);
}
