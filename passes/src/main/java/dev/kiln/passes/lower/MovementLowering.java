package dev.kiln.passes.lower;

import dev.kiln.ir.Node;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.kernel.KBuffer;
import dev.kiln.ir.kernel.Stmt;
import java.util.ArrayList;
import java.util.List;

/**
 * Movement ops. Reshapes of row-major data ({@code reshape, flatten, squeeze, unsqueeze, contiguous, dropout})
 * become ALIAS buffers: the same array under another shape, no kernel. The others ({@code permute, transpose,
 * slice, select, expand, to_layout}, and reshapes of strided data) become one copy loop reading the operand
 * through the op's view; {@code cat} one copy loop per operand into its range of the output.
 */
final class MovementLowering {
  private MovementLowering() {}

  static boolean handles(String op) {
    return switch (op) {
      case "nn.reshape", "nn.flatten", "nn.squeeze", "nn.unsqueeze", "nn.contiguous", "nn.dropout", "nn.permute", "nn.transpose",
          "nn.slice", "nn.select", "nn.expand", "nn.to_layout", "nn.cat", "nn.chunk", "nn.split" -> true;
      default -> false;
    };
  }

  static void lower(LowerContext c, Node n) {
    if (n.op().name().equals("nn.chunk") || n.op().name().equals("nn.split")) {
      pieces(c, n);
      return;
    }
    Value r = n.result();
    if (LowerContext.bufferType(r) == null) throw new Unsupported("result is not a static tensor");
    if (n.op().name().equals("nn.cat")) {
      cat(c, n);
      return;
    }
    View x = c.view(n.operand(0));
    long[] out = ((TensorType) r.type()).shape().sizes();
    View v = switch (n.op().name()) {
      case "nn.reshape", "nn.flatten", "nn.squeeze", "nn.unsqueeze", "nn.contiguous", "nn.dropout" -> {
        if (x.isRowMajor() && !LowerContext.nhwc(r)) {
          String alias = c.addBuffer(r.name(), x.type(), out, KBuffer.Role.ALIAS, x.buffer());
          c.bind(r, View.dense(alias, x.type(), out, false));
          yield null;
        }
        if (n.op().name().equals("nn.contiguous") || n.op().name().equals("nn.dropout")) yield x;
        // A strided view that strides can still address in the new shape stays a view (no copy).
        View strided = LowerContext.nhwc(r) || LowerContext.nhwc(n.operand(0)) ? null : x.reshapeStrided(out);
        if (strided != null) {
          c.bind(r, strided);
          yield null;
        }
        yield n.op().name().equals("nn.unsqueeze") ? x.unsqueeze(dim(n.attrInt("dim"), x.rank() + 1)) : null;
      }
      case "nn.permute" -> {
        long[] d = n.attrInts("dims");
        int[] p = new int[d.length];
        for (int i = 0; i < d.length; i++) p[i] = dim(d[i], x.rank());
        yield x.permute(p);
      }
      case "nn.transpose" -> {
        int[] p = LowerContext.order(x.rank(), false);
        int a = dim(n.attrInt("dim0"), x.rank()), b = dim(n.attrInt("dim1"), x.rank());
        p[a] = b;
        p[b] = a;
        yield x.permute(p);
      }
      case "nn.slice" -> {
        int d = dim(n.attrInt("dim"), x.rank());
        long size = x.shape()[d], step = n.attrInt("step");
        long start = clampIndex(n.attrInt("start"), size);
        yield x.slice(d, start, out[d], step);
      }
      case "nn.select" -> {
        int d = dim(n.attrInt("dim"), x.rank());
        long i = n.attrInt("index");
        yield x.select(d, i < 0 ? i + x.shape()[d] : i);
      }
      case "nn.expand" -> x.broadcastTo(out);
      case "nn.to_layout" -> x;
      default -> throw new Unsupported(n.op().name());
    };
    if (c.hasView(r)) return;
    if (v != null && (v.isRowMajor() && !LowerContext.nhwc(r) || readsViews(r, v))) {
      // Already in row-major order (e.g. the transpose back of a result written transposed), or read only by
      // consumers that address strided operands directly: no copy.
      c.bind(r, v);
      return;
    }
    if (v == null) {
      // A reshape of strided data: copy it row-major first, then alias the copy.
      View dense = View.dense(c.addBuffer(r.name() + "_dense", x.type(), x.shape(), KBuffer.Role.TEMP, null), x.type(), x.shape(), false);
      copy(c, n, x, dense);
      String alias = c.addBuffer(r.name(), x.type(), out, KBuffer.Role.ALIAS, dense.buffer());
      if (LowerContext.nhwc(r)) throw new Unsupported("reshape into channels-last");
      c.bind(r, View.dense(alias, x.type(), out, false));
      return;
    }
    copy(c, n, v, c.define(r));
  }

  /**
   * True when every use of {@code r} is a q/k/v operand of {@code nn.attention}, whose GEMM calls read any view
   * with a unit stride in one of its last two dims, and {@code v} has one.
   */
  private static boolean readsViews(Value r, View v) {
    if (!r.hasUses() || v.rank() < 2 || LowerContext.nhwc(r)) return false;
    for (Value.Use u : r.uses()) if (!AttentionLowering.handles(u.user().op().name()) || u.index() > 2) return false;
    long[] st = v.strides(), sh = v.shape();
    int n = v.rank();
    return st[n - 1] == 1 || sh[n - 1] == 1 || st[n - 2] == 1 || sh[n - 2] == 1;
  }

  /**
   * {@code chunk} and {@code split}: each piece is a slice view of the operand along the split dim (no kernel);
   * its consumers read through the view, and a consumer that needs row-major data copies it then.
   */
  private static void pieces(LowerContext c, Node n) {
    View x = c.view(n.operand(0));
    if (LowerContext.nhwc(n.operand(0))) throw new Unsupported("split of a channels-last value");
    int d = dim(n.attrInt("dim"), x.rank());
    long at = 0;
    for (Value r : n.results()) {
      if (LowerContext.bufferType(r) == null || LowerContext.nhwc(r)) throw new Unsupported("piece %" + r.displayName() + " is not a static row-major tensor");
      long len = ((TensorType) r.type()).shape().sizes()[d];
      c.bind(r, x.slice(d, at, len, 1));
      at += len;
    }
    if (at != x.shape()[d]) throw new Unsupported("pieces cover " + at + " of " + x.shape()[d] + " elements of dim " + d);
  }

  /** out[idx] = src[idx] over out's shape, visiting out in storage order. */
  static void copy(LowerContext c, Node n, View src, View out) {
    boolean nhwc = out.rank() == 4 && out.strides()[1] == 1 && out.shape()[1] != 1 && out.strides()[3] != 1;
    List<Stmt> body = c.nest(out.shape(), LowerContext.order(out.rank(), nhwc),
        idx -> List.of(new Stmt.Store(out.buffer(), out.index(idx), src.load(idx))));
    c.emit(n.describe(), n.op().name(), body);
  }

  private static void cat(LowerContext c, Node n) {
    View out = c.define(n.result());
    int d = dim(n.attrInt("dim"), out.rank());
    long at = 0;
    List<Stmt> body = new ArrayList<>();
    for (Value v : n.operands()) {
      View x = c.view(v);
      if (x.rank() != out.rank()) throw new Unsupported("cat of a legacy empty tensor");
      View dst = out.slice(d, at, x.shape()[d], 1);
      boolean nhwc = LowerContext.nhwc(n.result());
      body.addAll(c.nest(x.shape(), LowerContext.order(x.rank(), nhwc), idx -> List.of(new Stmt.Store(dst.buffer(), dst.index(idx), x.load(idx)))));
      at += x.shape()[d];
    }
    c.emit(n.describe(), "cat", body);
  }

  static int dim(long d, int rank) { return (int) (d < 0 ? d + rank : d); }

  private static long clampIndex(long i, long size) {
    if (i < 0) i += size;
    return Math.max(0, Math.min(i, size));
  }
}
