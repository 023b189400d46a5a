package dev.kiln.passes.lower;

import static dev.kiln.ir.kernel.Expr.BOp.*;

import dev.kiln.ir.Node;
import dev.kiln.ir.kernel.Expr;
import dev.kiln.ir.kernel.KType;
import dev.kiln.ir.kernel.Stmt;
import java.util.ArrayList;
import java.util.List;

/**
 * Reductions ({@code mean, sum, amax}), {@code softmax}/{@code log_softmax} and 2-D pooling as loop nests: outer
 * loops over the kept (output) dims, an accumulator local, inner loops over the reduced dims or the window.
 */
final class ReduceLowering {
  private ReduceLowering() {}

  static boolean handles(String op) {
    return switch (op) {
      case "nn.mean", "nn.sum", "nn.amax", "nn.softmax", "nn.log_softmax", "nn.max_pool2d", "nn.avg_pool2d", "nn.adaptive_avg_pool2d" -> true;
      default -> false;
    };
  }

  static void lower(LowerContext c, Node n) {
    View x = c.view(n.operand(0));
    switch (n.op().name()) {
      case "nn.softmax", "nn.log_softmax" -> softmax(c, n, x);
      case "nn.max_pool2d", "nn.avg_pool2d", "nn.adaptive_avg_pool2d" -> PoolLowering.lower(c, n, x);
      default -> reduce(c, n, x);
    }
  }

  private static void reduce(LowerContext c, Node n, View x) {
    int r = x.rank();
    boolean[] red = new boolean[r];
    long[] dims = n.attrInts("dims");
    if (dims.length == 0) java.util.Arrays.fill(red, true);
    for (long d : dims) red[MovementLowering.dim(d, r)] = true;
    boolean keep = n.attrBool("keepdim");
    View out = c.define(n.result());
    KType t = out.type();
    if (t == KType.BOOL) throw new Unsupported("bool reduction");
    String op = n.op().name();
    long count = 1;
    List<Integer> kept = new ArrayList<>(), reduced = new ArrayList<>();
    for (int d = 0; d < r; d++) {
      if (red[d]) { reduced.add(d); count *= x.shape()[d]; }
      else kept.add(d);
    }
    final long cnt = count;
    List<Stmt> body = c.nest(sub(x.shape(), kept), LowerContext.order(kept.size(), false), ik -> {
      String acc = c.freshVar("acc");
      Expr av = new Expr.Var(acc, t);
      Expr init = op.equals("nn.amax") ? new Expr.Const(t, t == KType.F32 ? Double.NEGATIVE_INFINITY : Long.MIN_VALUE) : new Expr.Const(t, 0);
      List<Stmt> s = new ArrayList<>();
      s.add(new Stmt.Let(acc, init, true));
      s.addAll(c.nest(sub(x.shape(), reduced), LowerContext.order(reduced.size(), false), ir -> {
        Expr v = Expr.cast(t, x.load(merge(r, kept, ik, reduced, ir)));
        return List.of(new Stmt.Assign(acc, Expr.bin(op.equals("nn.amax") ? MAX : ADD, av, v)));
      }));
      Expr res = op.equals("nn.mean") ? Expr.bin(DIV, av, new Expr.Const(t, cnt)) : av;
      Expr[] oi = new Expr[out.rank()];
      for (int d = 0, k = 0, j = 0; d < r; d++) {
        if (!red[d]) oi[j++] = ik[k++];
        else if (keep) oi[j++] = Expr.i32(0);
      }
      s.add(new Stmt.Store(out.buffer(), out.index(oi), res));
      return s;
    });
    c.emit(n.describe(), op, body);
  }

  // softmax over d: m = max x, s = sum e^(x-m), y = e^(x-m)/s; log_softmax: y = x - m - log s
  private static void softmax(LowerContext c, Node n, View x) {
    int r = x.rank(), dim = MovementLowering.dim(n.attrInt("dim"), r);
    View out = c.define(n.result());
    if (out.type() != KType.F32 || x.type() != KType.F32) throw new Unsupported("softmax on non-f32");
    boolean log = n.op().name().equals("nn.log_softmax");
    List<Integer> kept = new ArrayList<>();
    for (int d = 0; d < r; d++) if (d != dim) kept.add(d);
    int len = (int) x.shape()[dim];
    List<Stmt> body = c.nest(sub(x.shape(), kept), LowerContext.order(kept.size(), false), ik -> {
      String mx = c.freshVar("max"), sm = c.freshVar("sum"), j1 = c.freshVar("j"), j2 = c.freshVar("j"), j3 = c.freshVar("j");
      Expr m = new Expr.Var(mx, KType.F32), s = new Expr.Var(sm, KType.F32);
      List<Stmt> st = new ArrayList<>();
      st.add(new Stmt.Let(mx, Expr.f32(Double.NEGATIVE_INFINITY), true));
      st.add(new Stmt.For(j1, len, List.of(new Stmt.Assign(mx, Expr.bin(MAX, m, x.load(at(r, kept, ik, dim, j1)))))));
      st.add(new Stmt.Let(sm, Expr.f32(0), true));
      Expr e2 = new Expr.Unary(Expr.UOp.EXP, Expr.bin(SUB, x.load(at(r, kept, ik, dim, j2)), m));
      st.add(new Stmt.For(j2, len, List.of(new Stmt.Assign(sm, Expr.bin(ADD, s, e2)))));
      Expr xv = x.load(at(r, kept, ik, dim, j3));
      Expr y = log ? Expr.bin(SUB, Expr.bin(SUB, xv, m), new Expr.Unary(Expr.UOp.LOG, s))
          : Expr.bin(DIV, new Expr.Unary(Expr.UOp.EXP, Expr.bin(SUB, xv, m)), s);
      st.add(new Stmt.For(j3, len, List.of(new Stmt.Store(out.buffer(), out.index(at(r, kept, ik, dim, j3)), y))));
      return st;
    });
    c.emit(n.describe(), n.op().name(), body);
  }

  private static Expr[] at(int r, List<Integer> kept, Expr[] ik, int dim, String j) {
    Expr[] idx = new Expr[r];
    for (int k = 0; k < kept.size(); k++) idx[kept.get(k)] = ik[k];
    idx[dim] = new Expr.Var(j, KType.INT);
    return idx;
  }

  static long[] sub(long[] shape, List<Integer> dims) {
    long[] s = new long[dims.size()];
    for (int i = 0; i < s.length; i++) s[i] = shape[dims.get(i)];
    return s;
  }

  private static Expr[] merge(int r, List<Integer> a, Expr[] ia, List<Integer> b, Expr[] ib) {
    Expr[] idx = new Expr[r];
    for (int k = 0; k < a.size(); k++) idx[a.get(k)] = ia[k];
    for (int k = 0; k < b.size(); k++) idx[b.get(k)] = ib[k];
    return idx;
  }
}
