package dev.kiln.ir.ops;

import static dev.kiln.ir.OpDef.AttrKind.FLOAT;
import static dev.kiln.ir.OpDef.Trait.PURE;

import dev.kiln.ir.Attr;
import dev.kiln.ir.Dim;
import dev.kiln.ir.OpDef;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Type;
import dev.kiln.ir.TypeContext;
import java.util.ArrayList;
import java.util.List;

/** Matrix products: linear, matmul and its fixed-rank forms. */
public final class LinalgOps {
  private LinalgOps() {}

  static void sameDim(TypeContext c, Dim a, Dim b, String what) {
    if (a.isStatic() && b.isStatic() && a.size() != b.size()) throw c.fail(what + ": " + a + " vs " + b);
  }

  /** Matrix products do not promote (PyTorch: "expected m1 and m2 to have the same dtype"). */
  static void sameDType(TypeContext c, TensorType a, TensorType b) {
    if (a.dtype() != b.dtype()) throw c.fail("dtypes differ: " + a.text() + " and " + b.text());
  }

  static TensorType floats(TypeContext c, int i) {
    TensorType t = c.ranked(i);
    if (!t.dtype().isFloat()) throw c.fail(c.operandName(i) + " must be floating point, got " + t.text());
    return t;
  }

  /** y = x W^T + b over the last dim of x; W is [out, in]. */
  public static final OpDef LINEAR = OpDef.op("nn.linear").summary("x W^T + b: %y = nn.linear(%x, %w, %b) : f32[N,10]")
      .operands("x", "weight", "bias?").traits(PURE).rule(c -> {
        TensorType x = floats(c, 0), w = c.rank(1, 2);
        if (x.rank() == 0) throw c.fail("input must have at least one dim");
        sameDType(c, x, w);
        sameDim(c, x.shape().dim(-1), w.shape().dim(1), "input features " + x.text() + " do not match weight " + w.text());
        if (c.has(2)) sameDim(c, c.rank(2, 1).shape().dim(0), w.shape().dim(0), "bias does not match weight");
        List<Dim> out = new ArrayList<>(x.shape().dims());
        out.set(out.size() - 1, w.shape().dim(0));
        return List.of(Type.tensor(x.dtype(), Shape.of(out)));
      }).build();

  /** torch.matmul: 1-D operands are promoted and the extra dim dropped; batch dims broadcast. */
  public static final OpDef MATMUL = OpDef.op("nn.matmul").summary("batched matrix product: %c = nn.matmul(%a, %b) : f32[2,4,5]")
      .operands("a", "b").traits(PURE).rule(c -> {
        TensorType a = floats(c, 0), b = floats(c, 1);
        if (a.rank() == 0 || b.rank() == 0) throw c.fail("both operands need at least one dim");
        sameDType(c, a, b);
        List<Dim> ad = new ArrayList<>(a.shape().dims()), bd = new ArrayList<>(b.shape().dims());
        boolean aVec = ad.size() == 1, bVec = bd.size() == 1;
        if (aVec) ad.add(0, Dim.of(1));
        if (bVec) bd.add(Dim.of(1));
        sameDim(c, ad.get(ad.size() - 1), bd.get(bd.size() - 2), "inner dims of " + a.text() + " and " + b.text() + " differ");
        Shape batch = ShapeRules.broadcast(c, Shape.of(ad.subList(0, ad.size() - 2)), Shape.of(bd.subList(0, bd.size() - 2)));
        List<Dim> out = new ArrayList<>(batch.dims());
        if (!aVec) out.add(ad.get(ad.size() - 2));
        if (!bVec) out.add(bd.get(bd.size() - 1));
        return List.of(Type.tensor(a.dtype(), Shape.of(out)));
      }).build();

  public static final OpDef MM = OpDef.op("nn.mm").summary("2-D matrix product: %c = nn.mm(%a, %b) : f32[4,5]")
      .operands("a", "b").traits(PURE).rule(c -> {
        TensorType a = c.rank(0, 2), b = c.rank(1, 2);
        sameDType(c, a, b);
        sameDim(c, a.shape().dim(1), b.shape().dim(0), "inner dims of " + a.text() + " and " + b.text() + " differ");
        return List.of(Type.tensor(a.dtype(), Shape.of(List.of(a.shape().dim(0), b.shape().dim(1)))));
      }).build();

  public static final OpDef BMM = OpDef.op("nn.bmm").summary("batched 3-D product: %c = nn.bmm(%a, %b) : f32[2,4,5]")
      .operands("a", "b").traits(PURE).rule(c -> {
        TensorType a = c.rank(0, 3), b = c.rank(1, 3);
        sameDType(c, a, b);
        sameDim(c, a.shape().dim(0), b.shape().dim(0), "batch sizes differ");
        sameDim(c, a.shape().dim(2), b.shape().dim(1), "inner dims of " + a.text() + " and " + b.text() + " differ");
        return List.of(Type.tensor(a.dtype(), Shape.of(List.of(a.shape().dim(0), a.shape().dim(1), b.shape().dim(2)))));
      }).build();

  /** beta * input + alpha * (a @ b), input broadcasting to the product's shape. */
  public static final OpDef ADDMM = OpDef.op("nn.addmm").summary("beta*c + alpha*(a@b): %y = nn.addmm(%c, %a, %b) {beta=1, alpha=1} : f32[4,5]")
      .operands("input", "a", "b").attr("beta", FLOAT, Attr.of(1L)).attr("alpha", FLOAT, Attr.of(1L)).traits(PURE).rule(c -> {
        TensorType a = c.rank(1, 2), b = c.rank(2, 2);
        sameDType(c, a, b);
        sameDType(c, c.tensor(0), a);
        sameDim(c, a.shape().dim(1), b.shape().dim(0), "inner dims of " + a.text() + " and " + b.text() + " differ");
        Shape out = Shape.of(List.of(a.shape().dim(0), b.shape().dim(1)));
        if (!ShapeRules.broadcast(c, c.tensor(0).shape(), out).equals(out)) throw c.fail("input " + c.type(0).text() + " does not broadcast to " + out);
        return List.of(Type.tensor(a.dtype(), out));
      }).build();

  /** beta * input + alpha * bmm(a, b). */
  public static final OpDef BADDBMM = OpDef.op("nn.baddbmm").summary("beta*c + alpha*bmm(a,b): %y = nn.baddbmm(%c, %a, %b) {beta=1, alpha=1} : f32[2,4,5]")
      .operands("input", "a", "b").attr("beta", FLOAT, Attr.of(1L)).attr("alpha", FLOAT, Attr.of(1L)).traits(PURE).rule(c -> {
        TensorType a = c.rank(1, 3), b = c.rank(2, 3);
        sameDType(c, a, b);
        sameDType(c, c.tensor(0), a);
        sameDim(c, a.shape().dim(0), b.shape().dim(0), "batch sizes differ");
        sameDim(c, a.shape().dim(2), b.shape().dim(1), "inner dims of " + a.text() + " and " + b.text() + " differ");
        Shape out = Shape.of(List.of(a.shape().dim(0), a.shape().dim(1), b.shape().dim(2)));
        if (!ShapeRules.broadcast(c, c.tensor(0).shape(), out).equals(out)) throw c.fail("input " + c.type(0).text() + " does not broadcast to " + out);
        return List.of(Type.tensor(a.dtype(), out));
      }).build();

  public static final List<OpDef> ALL = List.of(LINEAR, MATMUL, MM, BMM, ADDMM, BADDBMM);
}
