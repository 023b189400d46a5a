package dev.kiln.ir.ops;

import static dev.kiln.ir.OpDef.AttrKind.BOOL;
import static dev.kiln.ir.OpDef.AttrKind.FLOAT;
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

/** Neural-network layers: convolution, normalization, pooling, softmax, embedding. */
public final class NnOps {
  private NnOps() {}

  /** 2-D convolution of x [N,C,H,W] with w [O,C/groups,kh,kw] and optional bias [O]. */
  public static final OpDef CONV2D = OpDef.op("nn.conv2d")
      .summary("2-D convolution: %y = nn.conv2d(%x, %w, %b) {stride=[2,2], padding=[3,3], dilation=[1,1], groups=1} : f32[N,64,112,112]")
      .operands("x", "weight", "bias?").attr("stride", INTS, Attr.ints(1, 1)).attr("padding", INTS, Attr.ints(0, 0))
      .attr("dilation", INTS, Attr.ints(1, 1)).attr("groups", INT, Attr.of(1L)).traits(PURE).rule(c -> {
        TensorType x = LinalgOps.floats(c, 0), w = c.rank(1, 4);
        if (x.rank() != 4) throw c.fail("input must be [N,C,H,W], got " + x.text());
        long g = c.attrInt("groups");
        if (g <= 0) throw c.fail("groups must be positive, got " + g);
        long[] st = ShapeRules.expand(c, "stride", c.attrInts("stride"), 2), pad = ShapeRules.expand(c, "padding", c.attrInts("padding"), 2);
        long[] dil = ShapeRules.expand(c, "dilation", c.attrInts("dilation"), 2);
        for (int i = 0; i < 2; i++) if (st[i] <= 0 || dil[i] <= 0 || pad[i] < 0) throw c.fail("stride and dilation must be positive, padding non-negative");
        Dim cin = x.shape().dim(1), o = w.shape().dim(0);
        if (!w.shape().isStatic()) throw c.fail("weight shape must be static, got " + w.text());
        if (cin.isStatic() && cin.size() != w.shape().dim(1).size() * g)
          throw c.fail("input " + x.text() + " has " + cin + " channels but weight " + w.text() + " with groups=" + g + " expects " + w.shape().dim(1).size() * g);
        if (o.size() % g != 0) throw c.fail("output channels " + o + " not divisible by groups " + g);
        if (c.has(2)) LinalgOps.sameDim(c, c.rank(2, 1).shape().dim(0), o, "bias does not match output channels");
        Dim h = ShapeRules.window(x.shape().dim(2), w.shape().dim(2).size(), st[0], pad[0], dil[0], false);
        Dim wd = ShapeRules.window(x.shape().dim(3), w.shape().dim(3).size(), st[1], pad[1], dil[1], false);
        if (h.is(0) || wd.is(0)) throw c.fail("kernel " + w.shape() + " does not fit input " + x.text());
        return List.of(Type.tensor(x.dtype(), Shape.of(List.of(x.shape().dim(0), o, h, wd))));
      }).build();

  /** Eval-mode batch norm over dim 1 with running statistics: (x - mean) / sqrt(var + eps) * weight + bias. */
  public static final OpDef BATCH_NORM = OpDef.op("nn.batch_norm")
      .summary("batch norm, eval mode: %y = nn.batch_norm(%x, %mean, %var, %w, %b) {eps=1.0E-5} : f32[N,64,56,56]")
      .operands("x", "running_mean", "running_var", "weight?", "bias?").attr("eps", FLOAT, Attr.of(1e-5)).traits(PURE).rule(c -> {
        TensorType x = LinalgOps.floats(c, 0);
        if (x.rank() < 2) throw c.fail("input must have a channel dim, got " + x.text());
        for (int i = 1; i < c.numOperands(); i++)
          LinalgOps.sameDim(c, c.rank(i, 1).shape().dim(0), x.shape().dim(1), c.operandName(i) + " does not match channels of " + x.text());
        return List.of(Type.tensor(x.dtype(), x.shape()));
      }).build();

  /** Normalizes over the trailing dims given by normalized_shape. */
  public static final OpDef LAYER_NORM = OpDef.op("nn.layer_norm")
      .summary("layer norm: %y = nn.layer_norm(%x, %w, %b) {normalized_shape=[128], eps=1.0E-5} : f32[N,16,128]")
      .operands("x", "weight?", "bias?").attr("normalized_shape", INTS).attr("eps", FLOAT, Attr.of(1e-5)).traits(PURE).rule(c -> {
        TensorType x = LinalgOps.floats(c, 0);
        long[] ns = c.attrInts("normalized_shape");
        if (ns.length == 0 || ns.length > x.rank()) throw c.fail("normalized_shape " + Shape.sizesToString(ns) + " does not fit " + x.text());
        for (int i = 0; i < ns.length; i++)
          LinalgOps.sameDim(c, x.shape().dim(x.rank() - ns.length + i), Dim.of(ns[i]), "normalized_shape does not match " + x.text());
        for (int i = 1; i < c.numOperands(); i++)
          if (!c.ranked(i).shape().equals(Shape.of(ns))) throw c.fail(c.operandName(i) + " " + c.type(i).text() + " must have shape " + Shape.sizesToString(ns));
        return List.of(Type.tensor(x.dtype(), x.shape()));
      }).build();

  private static OpDef softmaxLike(String name, String summary) {
    return OpDef.op("nn." + name).summary(summary).operands("x").attr("dim", INT).traits(PURE).rule(c -> {
      TensorType x = c.ranked(0);
      c.dim(c.attrInt("dim"), x.rank());
      return List.of(Type.tensor(x.dtype().isFloat() ? x.dtype() : DType.F32, x.shape()));
    }).build();
  }

  public static final OpDef SOFTMAX = softmaxLike("softmax", "softmax over dim: %y = nn.softmax(%x) {dim=-1} : f32[N,10]");
  public static final OpDef LOG_SOFTMAX = softmaxLike("log_softmax", "log of softmax over dim: %y = nn.log_softmax(%x) {dim=-1} : f32[N,10]");

  private static List<Type> pool(TypeContext c, long[] k, boolean ceil, boolean max) {
    TensorType x = LinalgOps.floats(c, 0);
    if (x.rank() != 4 && x.rank() != 3) throw c.fail("input must be [N,C,H,W] or [C,H,W], got " + x.text());
    k = ShapeRules.expand(c, "kernel_size", k, 2);
    long[] st = c.attrIsNone("stride") || c.attrInts("stride").length == 0 ? k : ShapeRules.expand(c, "stride", c.attrInts("stride"), 2);
    long[] pad = ShapeRules.expand(c, "padding", c.attrInts("padding"), 2);
    long[] dil = max ? ShapeRules.expand(c, "dilation", c.attrInts("dilation"), 2) : new long[] {1, 1};
    for (int i = 0; i < 2; i++) {
      if (k[i] <= 0 || st[i] <= 0 || dil[i] <= 0) throw c.fail("kernel_size, stride and dilation must be positive");
      if (pad[i] * 2 > k[i]) throw c.fail("padding " + pad[i] + " must be at most half of kernel_size " + k[i]);
    }
    List<Dim> out = new ArrayList<>(x.shape().dims());
    int r = x.rank();
    out.set(r - 2, ShapeRules.window(x.shape().dim(r - 2), k[0], st[0], pad[0], dil[0], ceil));
    out.set(r - 1, ShapeRules.window(x.shape().dim(r - 1), k[1], st[1], pad[1], dil[1], ceil));
    if (out.get(r - 2).is(0) || out.get(r - 1).is(0)) throw c.fail("window " + Shape.sizesToString(k) + " does not fit " + x.text());
    return List.of(Type.tensor(x.dtype(), Shape.of(out)));
  }

  /** Max over windows; padding counts as -inf. An empty stride means stride = kernel_size. */
  public static final OpDef MAX_POOL2D = OpDef.op("nn.max_pool2d")
      .summary("max pooling: %y = nn.max_pool2d(%x) {kernel_size=[3,3], stride=[2,2], padding=[1,1], dilation=[1,1], ceil_mode=false} : f32[N,64,56,56]")
      .operands("x").attr("kernel_size", INTS).attr("stride", INTS, Attr.ints()).attr("padding", INTS, Attr.ints(0, 0))
      .attr("dilation", INTS, Attr.ints(1, 1)).attr("ceil_mode", BOOL, Attr.of(false)).traits(PURE)
      .rule(c -> pool(c, c.attrInts("kernel_size"), c.attrBool("ceil_mode"), true)).build();

  /** Mean over windows; divisor_override replaces the window size when set. */
  public static final OpDef AVG_POOL2D = OpDef.op("nn.avg_pool2d")
      .summary("average pooling: %y = nn.avg_pool2d(%x) {kernel_size=[2,2], stride=[2,2], padding=[0,0], ceil_mode=false, count_include_pad=true} : f32[N,64,28,28]")
      .operands("x").attr("kernel_size", INTS).attr("stride", INTS, Attr.ints()).attr("padding", INTS, Attr.ints(0, 0))
      .attr("ceil_mode", BOOL, Attr.of(false)).attr("count_include_pad", BOOL, Attr.of(true)).optAttr("divisor_override", INT)
      .traits(PURE).rule(c -> {
        if (!c.attrIsNone("divisor_override") && c.attrInt("divisor_override") == 0) throw c.fail("divisor_override must not be zero");
        return pool(c, c.attrInts("kernel_size"), c.attrBool("ceil_mode"), false);
      }).build();

  /** Averages over the adaptive windows [floor(i*H/oh), ceil((i+1)*H/oh)) as PyTorch does. */
  public static final OpDef ADAPTIVE_AVG_POOL2D = OpDef.op("nn.adaptive_avg_pool2d")
      .summary("adaptive average pooling: %y = nn.adaptive_avg_pool2d(%x) {output_size=[1,1]} : f32[N,512,1,1]")
      .operands("x").attr("output_size", INTS).traits(PURE).rule(c -> {
        TensorType x = LinalgOps.floats(c, 0);
        if (x.rank() != 4 && x.rank() != 3) throw c.fail("input must be [N,C,H,W] or [C,H,W], got " + x.text());
        long[] o = ShapeRules.expand(c, "output_size", c.attrInts("output_size"), 2);
        if (o[0] <= 0 || o[1] <= 0) throw c.fail("output_size must be positive");
        List<Dim> out = new ArrayList<>(x.shape().dims());
        out.set(x.rank() - 2, Dim.of(o[0]));
        out.set(x.rank() - 1, Dim.of(o[1]));
        return List.of(Type.tensor(x.dtype(), Shape.of(out)));
      }).build();

  /** Rows of weight [V,D] picked by integer indices: result indices.shape + [D]. */
  public static final OpDef EMBEDDING = OpDef.op("nn.embedding").summary("table lookup: %y = nn.embedding(%w, %idx) : f32[N,16,64]")
      .operands("weight", "indices").traits(PURE).rule(c -> {
        TensorType w = c.rank(0, 2), idx = c.ranked(1);
        if (!idx.dtype().isInteger()) throw c.fail("indices must be an integer tensor, got " + idx.text());
        List<Dim> out = new ArrayList<>(idx.shape().dims());
        out.add(w.shape().dim(1));
        return List.of(Type.tensor(w.dtype(), Shape.of(out)));
      }).build();

  public static final List<OpDef> ALL = List.of(CONV2D, BATCH_NORM, LAYER_NORM, SOFTMAX, LOG_SOFTMAX, MAX_POOL2D, AVG_POOL2D,
      ADAPTIVE_AVG_POOL2D, EMBEDDING);
}
