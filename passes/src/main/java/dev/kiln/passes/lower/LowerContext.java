package dev.kiln.passes.lower;

import dev.kiln.ir.Layout;
import dev.kiln.ir.Node;
import dev.kiln.ir.PrimType;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.kernel.Expr;
import dev.kiln.ir.kernel.KBuffer;
import dev.kiln.ir.kernel.KType;
import dev.kiln.ir.kernel.Kernel;
import dev.kiln.ir.kernel.Stmt;
import dev.kiln.ir.ops.ControlOps;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The state of lowering one graph: buffers, kernels, and where each graph value lives (a view of a buffer, a
 * scalar constant, or an opaque {@code obj} buffer). Node lowerings add to it; {@link #mark}/{@link #rollback} undo
 * a lowering that gave up half way, so that the driver can fall back to a reference call cleanly.
 */
final class LowerContext {
  final Map<String, KBuffer> buffers = new LinkedHashMap<>();
  final List<Kernel> kernels = new ArrayList<>();
  final List<Kernel> init = new ArrayList<>();
  final List<String> references = new ArrayList<>();
  LoweringOptions options = LoweringOptions.DEFAULT;
  private final Map<Value, View> views = new LinkedHashMap<>();
  private final Map<Value, String> objs = new LinkedHashMap<>();
  private final List<Value> defined = new ArrayList<>();
  private final List<String> added = new ArrayList<>();
  private int vars;
  private int temps;

  /** A position to {@link #rollback} to. */
  record Mark(int buffers, int kernels, int init, int defined, int refs) {}

  Mark mark() { return new Mark(added.size(), kernels.size(), init.size(), defined.size(), references.size()); }

  void rollback(Mark m) {
    while (added.size() > m.buffers) buffers.remove(added.removeLast());
    while (kernels.size() > m.kernels) kernels.removeLast();
    while (init.size() > m.init) init.removeLast();
    while (references.size() > m.refs) references.removeLast();
    while (defined.size() > m.defined) {
      Value v = defined.removeLast();
      views.remove(v);
      objs.remove(v);
    }
  }

  String addBuffer(String hint, KType t, long[] shape, KBuffer.Role role, String source) {
    String name = unique(hint);
    buffers.put(name, new KBuffer(name, t, shape, role, source));
    added.add(name);
    return name;
  }

  private String unique(String hint) {
    String base = hint == null || hint.isEmpty() ? "t" : hint.replaceAll("[^A-Za-z0-9_]", "_");
    if (Character.isDigit(base.charAt(0))) base = "v" + base;
    String n = base;
    while (buffers.containsKey(n)) n = base + "_" + (++temps);
    return n;
  }

  String freshVar(String hint) { return hint + (vars++); }

  void bind(Value v, View view) {
    views.put(v, view);
    defined.add(v);
  }

  void bindObj(Value v, String buffer) {
    objs.put(v, buffer);
    defined.add(v);
  }

  /** The buffer element type of a tensor value, or null when it cannot live in a buffer (dynamic, unsupported dtype). */
  static KType bufferType(Value v) {
    if (!(v.type() instanceof TensorType t) || !t.shape().isStatic() || t.quant() != null) return null;
    if (t.shape().numel() > Integer.MAX_VALUE) return null;
    return KType.of(t.dtype());
  }

  static boolean nhwc(Value v) { return v.type() instanceof TensorType t && t.layout() == Layout.NHWC; }

  /** The view of tensor value {@code v}, materializing weights and literal tensors on first use. */
  View view(Value v) {
    View have = views.get(v);
    if (have != null) return have;
    Node d = v.definingNode();
    KType t = bufferType(v);
    if (d == null || d.op() != ControlOps.CONST || t == null || nhwc(v)) throw new Unsupported("%" + v.displayName() + " has no buffer");
    long[] shape = ((TensorType) v.type()).shape().sizes();
    View out;
    if (d.hasAttr("name")) {
      out = View.dense(addBuffer(d.attrStr("name"), t, shape, KBuffer.Role.WEIGHT, d.attrStr("name")), t, shape, false);
    } else {
      double[] vals = Literals.values(d, v);
      if (vals == null || vals.length > 4096) throw new Unsupported("literal %" + v.displayName() + " is too large to inline");
      String b = addBuffer(v.name() == null ? "lit" : v.name(), t, shape, KBuffer.Role.CONST, null);
      List<Stmt> body = new ArrayList<>();
      for (int i = 0; i < vals.length; i++) body.add(new Stmt.Store(b, Expr.i32(i), new Expr.Const(t, vals.length == 1 ? vals[0] : vals[i])));
      init.add(new Kernel("init_" + b, List.of(b), body, "%" + v.displayName() + " = const"));
      out = View.dense(b, t, shape, false);
    }
    bind(v, out);
    return out;
  }

  boolean hasView(Value v) { return views.containsKey(v); }

  String obj(Value v) { return objs.get(v); }

  /**
   * The value of {@code v} as a scalar expression when it is a number known at compile time (a literal int,
   * float or bool constant, or a one-element literal tensor), else null.
   */
  static Expr literalScalar(Value v, KType want) {
    Node d = v.definingNode();
    if (d == null || d.op() != ControlOps.CONST || !d.hasAttr("value")) return null;
    boolean scalarType = v.type() == PrimType.INT || v.type() == PrimType.FLOAT || v.type() == PrimType.BOOL
        || v.type() instanceof TensorType t && t.shape().isStatic() && t.shape().numel() == 1;
    if (!scalarType) return null;
    double[] vals = Literals.values(d, v);
    if (vals == null || vals.length < 1) return null;
    return new Expr.Const(want, vals[0]);
  }

  /** A new dense buffer for node result {@code v} (in its layout), bound as its view. */
  View define(Value v) {
    KType t = bufferType(v);
    if (t == null) throw new Unsupported("%" + v.displayName() + " is not a static f32/i64/bool tensor");
    long[] shape = ((TensorType) v.type()).shape().sizes();
    boolean nhwc = nhwc(v);
    long[] phys = nhwc ? new long[] {shape[0], shape[2], shape[3], shape[1]} : shape;
    View view = View.dense(addBuffer(v.name(), t, phys, KBuffer.Role.TEMP, null), t, shape, nhwc);
    bind(v, view);
    return view;
  }

  /** Adds a kernel named after its origin; {@code params} are collected from the statements. */
  void emit(String origin, String opHint, List<Stmt> body) {
    String name = "k" + kernels.size() + "_" + opHint.replaceAll("[^A-Za-z0-9_]", "_");
    kernels.add(new Kernel(name, Params.of(body), body, origin));
  }

  /**
   * Nested counted loops over {@code shape} visiting dims in {@code order} (outermost first); {@code body} gets one
   * index expression per logical dim and returns the innermost statements.
   */
  List<Stmt> nest(long[] shape, int[] order, Function<Expr[], List<Stmt>> body) {
    Expr[] idx = new Expr[shape.length];
    String[] names = new String[shape.length];
    for (int k = 0; k < order.length; k++) {
      int d = order[k];
      if (shape[d] == 1) idx[d] = Expr.i32(0);
      else {
        names[d] = freshVar("i");
        idx[d] = new Expr.Var(names[d], KType.INT);
      }
    }
    List<Stmt> inner = body.apply(idx);
    for (int k = order.length - 1; k >= 0; k--) {
      int d = order[k];
      if (names[d] != null) inner = List.of(new Stmt.For(names[d], (int) shape[d], inner));
    }
    return inner;
  }

  /** Dims in storage order of a view of {@code rank} dims: NCHW order, or N,H,W,C for channels-last. */
  static int[] order(int rank, boolean nhwc) {
    if (nhwc) return new int[] {0, 2, 3, 1};
    int[] o = new int[rank];
    for (int i = 0; i < rank; i++) o[i] = i;
    return o;
  }
}
