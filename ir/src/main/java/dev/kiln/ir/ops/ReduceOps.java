package dev.kiln.ir.ops;

import static dev.kiln.ir.OpDef.AttrKind.BOOL;
import static dev.kiln.ir.OpDef.AttrKind.INT;
import static dev.kiln.ir.OpDef.AttrKind.INTS;
import static dev.kiln.ir.OpDef.Trait.PURE;

import dev.kiln.ir.Attr;
import dev.kiln.ir.DType;
import dev.kiln.ir.Dim;
import dev.kiln.ir.OpDef;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Type;
import dev.kiln.ir.TypeContext;
import java.util.ArrayList;
import java.util.List;

/** Reductions over a set of dims (all dims when {@code dims} is empty), keeping them as 1 when keepdim. */
public final class ReduceOps {
  private ReduceOps() {}

  static Shape reduced(TypeContext c, TensorType x, long[] dims, boolean keep) {
    // A zero-dim tensor reduces over dim 0 or -1 to itself, as in PyTorch.
    if (x.rank() == 0) {
      for (long d : dims) c.dim(d, 0);
      return Shape.SCALAR;
    }
    boolean[] red = new boolean[x.rank()];
    if (dims.length == 0) java.util.Arrays.fill(red, true);
    for (long d : dims) {
      int i = c.dim(d, x.rank());
      if (red[i] && dims.length > 0) throw c.fail("dim " + i + " listed twice");
      red[i] = true;
    }
    List<Dim> out = new ArrayList<>();
    for (int i = 0; i < x.rank(); i++) {
      if (!red[i]) out.add(x.shape().dim(i));
      else if (keep) out.add(Dim.of(1));
    }
    return Shape.of(out);
  }

  private static OpDef reduce(String name, String summary, boolean toFloat) {
    return OpDef.op("nn." + name).summary(summary).operands("x").attr("dims", INTS, Attr.ints()).attr("keepdim", BOOL, Attr.of(false))
        .traits(PURE).rule(c -> {
          TensorType x = c.ranked(0);
          DType d = x.dtype();
          if (toFloat && !d.isFloat()) throw c.fail(name + " needs a floating-point input, got " + x.text());
          if (!toFloat && (d == DType.BOOL || d.isInteger())) d = name.equals("sum") ? DType.I64 : d;
          return List.of(Type.tensor(d, reduced(c, x, c.attrInts("dims"), c.attrBool("keepdim"))));
        }).build();
  }

  public static final OpDef MEAN = reduce("mean", "mean over dims: %y = nn.mean(%x) {dims=[2,3], keepdim=true} : f32[N,64,1,1]", true);
  /** Integer and bool inputs sum to i64, as in PyTorch. */
  public static final OpDef SUM = reduce("sum", "sum over dims: %y = nn.sum(%x) {dims=[1], keepdim=false} : f32[N]", false);
  public static final OpDef AMAX = reduce("amax", "max over dims: %y = nn.amax(%x) {dims=[1], keepdim=false} : f32[N]", false);

  /** Index of the first maximum along dim (over the flattened tensor when dim is absent), as i64. */
  public static final OpDef ARGMAX = OpDef.op("nn.argmax").summary("index of the max: %i = nn.argmax(%x) {dim=1, keepdim=false} : i64[N]")
      .operands("x").optAttr("dim", INT).attr("keepdim", BOOL, Attr.of(false)).traits(PURE).rule(c -> {
        TensorType x = c.ranked(0);
        // No dim: the index into the flattened tensor; keepdim keeps every dim as 1 (argmax(x2d, keepdim=True) is [[i]]).
        if (c.attrIsNone("dim")) return List.of(Type.tensor(DType.I64, reduced(c, x, new long[0], c.attrBool("keepdim"))));
        return List.of(Type.tensor(DType.I64, reduced(c, x, new long[] {c.attrInt("dim")}, c.attrBool("keepdim"))));
      }).build();

  public static final List<OpDef> ALL = List.of(MEAN, SUM, AMAX, ARGMAX);
}
