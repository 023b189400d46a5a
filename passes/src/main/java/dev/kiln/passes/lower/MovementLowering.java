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
          "nn.slice", "nn.select", "nn.expand", "nn.to_layout", "nn.cat" -> true;
      default -> false;
    };
  }

  static void lower(LowerContext c, Node n) {
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
        yield n.op().name().equals("nn.unsqueeze") ? x.unsqueeze(dim(n.attrInt("dim"), x.rank() + 1))
            : n.op().name().equals("nn.contiguous") || n.op().name().equals("nn.dropout") ? x : null;
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
