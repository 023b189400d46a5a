package dev.kiln.frontend.trace;

import static dev.kiln.ir.Builder.attrs;

import dev.kiln.ir.Attr;
import dev.kiln.ir.DType;
import dev.kiln.ir.Dim;
import dev.kiln.ir.OpDef;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.ops.ElementwiseOps;
import dev.kiln.ir.ops.LinalgOps;
import dev.kiln.ir.ops.PrimOps;
import dev.kiln.ir.ops.ReduceOps;
import dev.kiln.ir.ops.ShapeOps;
import dev.kiln.runtime.Tensor;
import java.util.List;
import java.util.Map;

/**
 * An eager tensor for models written in Java: every method computes at once through the runtime's reference
 * kernels and, while a {@link Tracer} runs, also records its op into the traced graph. Values are immutable.
 * Layers (conv, norms, pooling, LSTM, attention) are in {@link F}; modules in {@code dev.kiln.frontend.trace.nn}.
 *
 * <p>Reading a value into Java ({@link #item}, {@link #bool}, {@link #countNonzero}, or the size of a symbolic dim
 * through {@link #size}/{@link #shape}) makes a {@link Guard} while tracing: the graph then only holds for inputs
 * that give the same value, and it checks that with an assert. Use {@link #dim} to look at a dim without one.
 */
public final class T {
  final Tensor tensor;
  /** The graph value while tracing, else null. */
  final Value value;
  /** The session that recorded {@link #value}, else null. */
  final TraceSession session;

  T(Tensor tensor, Value value, TraceSession session) {
    this.tensor = tensor;
    this.value = value;
    this.session = session;
  }

  /** Wraps a runtime tensor; inside a trace it becomes a constant of the graph (a weight named {@code _const.<k>}). */
  public static T of(Tensor t) { return new T(java.util.Objects.requireNonNull(t, "tensor"), null, null); }

  public static T fromFloats(float[] data, long... shape) { return of(Tensor.fromFloats(data, shape)); }

  /** A tensor filled with {@code value}; traced as {@code nn.full}, so {@code shape} is static. */
  public static T full(double value, DType dtype, long... shape) {
    return Dispatch.call1(ShapeOps.FULL, attrs("shape", shape, "value", value, "dtype", dtype));
  }

  public static T zeros(long... shape) { return full(0, DType.F32, shape); }

  // ---- what it holds

  /** The eager value. Reading its elements does not make a guard: use it only for results, not for decisions. */
  public Tensor tensor() { return tensor; }

  public DType dtype() { return tensor.dtype(); }

  public int rank() { return tensor.rank(); }

  /** Dim {@code d} as the graph sees it: symbolic (e.g. {@code N}) while tracing a symbolic input, else its size. */
  public Dim dim(int d) {
    int i = d < 0 ? d + rank() : d;
    if (value != null && value.type() instanceof TensorType tt && tt.shape().isRanked()) return tt.shape().dim(i);
    return Dim.of(tensor.size(i));
  }

  /** The size of dim {@code d}; reading a symbolic dim makes a guard (the graph then holds for this size only). */
  public long size(int d) {
    int i = d < 0 ? d + rank() : d;
    long n = tensor.size(i);
    TraceSession s = TraceSession.current();
    if (s != null && dim(i).isSymbolic()) {
      Value v = s.builder().op(PrimOps.SIZE, attrs("dim", i), s.valueOf(this));
      s.guard("size", "size(" + i + ") of symbolic dim " + dim(i) + " was read as " + n, v, Attr.of(n));
    }
    return n;
  }

  /** All sizes; see {@link #size}. */
  public long[] shape() {
    long[] out = new long[rank()];
    for (int i = 0; i < out.length; i++) out[i] = size(i);
    return out;
  }

  /** The single element as a number; makes a guard while tracing. */
  public double item() {
    if (tensor.numel() != 1) throw new TraceException("item() at " + CallSite.find().where() + " needs one element, got " + describe());
    double v = tensor.doubleAt(0);
    TraceSession s = TraceSession.current();
    if (s != null) {
      Value it = s.builder().op(PrimOps.ITEM, s.valueOf(this));
      Attr seen = dtype() == DType.BOOL ? Attr.of(v != 0) : dtype().isFloat() ? Attr.of(v) : Attr.of(tensor.longAt(0));
      s.guard("item", "item() was " + seen.text(), it, seen);
    }
    return v;
  }

  /** Python's {@code bool(tensor)} for a one-element tensor, as a Java condition; makes a guard while tracing. */
  public boolean bool() {
    if (tensor.numel() != 1) throw new TraceException("bool() at " + CallSite.find().where() + " needs one element, got " + describe());
    boolean v = tensor.doubleAt(0) != 0;
    TraceSession s = TraceSession.current();
    if (s != null) s.guard("bool", "bool() was " + v, s.builder().op(PrimOps.BOOL_, s.valueOf(this)), Attr.of(v));
    return v;
  }

  /** How many elements are not zero (the length of {@code nonzero()}); makes a guard while tracing. */
  public long countNonzero() {
    T c = ne(0.0).sum();
    long n = c.tensor.longAt(0);
    TraceSession s = TraceSession.current();
    if (s != null) s.guard("nonzero", "countNonzero() was " + n, s.builder().op(PrimOps.ITEM, s.valueOf(c)), Attr.of(n));
    return n;
  }

  // ---- arithmetic, with broadcasting; numbers act as Python scalars

  /** {@code other} is a T or a Double (a Python float scalar: it takes part in promotion as a number). */
  private T bin(OpDef op, Object other) { return Dispatch.call1(op, Map.of(), this, other); }

  public T add(T o) { return bin(ElementwiseOps.ADD, o); }
  public T add(double o) { return bin(ElementwiseOps.ADD, o); }
  public T sub(T o) { return bin(ElementwiseOps.SUB, o); }
  public T sub(double o) { return bin(ElementwiseOps.SUB, o); }
  public T mul(T o) { return bin(ElementwiseOps.MUL, o); }
  public T mul(double o) { return bin(ElementwiseOps.MUL, o); }
  public T div(T o) { return bin(ElementwiseOps.DIV, o); }
  public T div(double o) { return bin(ElementwiseOps.DIV, o); }
  public T pow(double o) { return bin(ElementwiseOps.POW, o); }
  public T maximum(T o) { return bin(ElementwiseOps.MAXIMUM, o); }
  public T minimum(T o) { return bin(ElementwiseOps.MINIMUM, o); }

  public T eq(T o) { return bin(ElementwiseOps.EQ, o); }
  public T eq(double o) { return bin(ElementwiseOps.EQ, o); }
  public T ne(T o) { return bin(ElementwiseOps.NE, o); }
  public T ne(double o) { return bin(ElementwiseOps.NE, o); }
  public T lt(T o) { return bin(ElementwiseOps.LT, o); }
  public T lt(double o) { return bin(ElementwiseOps.LT, o); }
  public T le(double o) { return bin(ElementwiseOps.LE, o); }
  public T gt(T o) { return bin(ElementwiseOps.GT, o); }
  public T gt(double o) { return bin(ElementwiseOps.GT, o); }
  public T ge(double o) { return bin(ElementwiseOps.GE, o); }

  /** {@code cond ? a : b} elementwise; this is the bool condition. */
  public T where(T a, T b) { return Dispatch.call1(ElementwiseOps.WHERE, Map.of(), this, a, b); }

  public T matmul(T o) { return Dispatch.call1(LinalgOps.MATMUL, Map.of(), this, o); }

  // ---- unary

  private T un(OpDef op) { return Dispatch.call1(op, Map.of(), this); }

  public T neg() { return un(ElementwiseOps.NEG); }
  public T abs() { return un(ElementwiseOps.ABS); }
  public T exp() { return un(ElementwiseOps.EXP); }
  public T log() { return un(ElementwiseOps.LOG); }
  public T sqrt() { return un(ElementwiseOps.SQRT); }
  public T relu() { return un(ElementwiseOps.RELU); }
  public T sigmoid() { return un(ElementwiseOps.SIGMOID); }
  public T tanh() { return un(ElementwiseOps.TANH); }
  public T silu() { return un(ElementwiseOps.SILU); }
  public T gelu() { return un(ElementwiseOps.GELU); }

  public T to(DType d) { return Dispatch.call1(ElementwiseOps.TO, attrs("dtype", d), this); }

  public T softmax(int dim) { return F.softmax(this, dim); }

  // ---- movement

  /** Reshape (view); one size may be -1. Keep a symbolic batch as -1 rather than reading it with {@link #size}. */
  public T reshape(long... shape) { return Dispatch.call1(ShapeOps.RESHAPE, attrs("shape", shape), this); }

  public T view(long... shape) { return reshape(shape); }

  public T flatten(int startDim) { return flatten(startDim, -1); }

  public T flatten(int startDim, int endDim) { return Dispatch.call1(ShapeOps.FLATTEN, attrs("start_dim", startDim, "end_dim", endDim), this); }

  public T permute(long... dims) { return Dispatch.call1(ShapeOps.PERMUTE, attrs("dims", dims), this); }

  public T transpose(int d0, int d1) { return Dispatch.call1(ShapeOps.TRANSPOSE, attrs("dim0", d0, "dim1", d1), this); }

  public T contiguous() { return un(ShapeOps.CONTIGUOUS); }

  public T unsqueeze(int dim) { return Dispatch.call1(ShapeOps.UNSQUEEZE, attrs("dim", dim), this); }

  public T squeeze(int dim) { return Dispatch.call1(ShapeOps.SQUEEZE, attrs("dim", dim), this); }

  /** Broadcasts to {@code sizes}; -1 keeps a dim (symbolic ones too). */
  public T expand(long... sizes) { return Dispatch.call1(ShapeOps.EXPAND, attrs("sizes", sizes), this); }

  /** {@code x[start:end]} on {@code dim}. */
  public T slice(int dim, long start, long end) { return slice(dim, start, end, 1); }

  public T slice(int dim, long start, long end, long step) {
    return Dispatch.call1(ShapeOps.SLICE, attrs("dim", dim, "start", start, "end", end, "step", step), this);
  }

  /** {@code x[..., index, ...]} on {@code dim}, which disappears. */
  public T select(int dim, long index) { return Dispatch.call1(ShapeOps.SELECT, attrs("dim", dim, "index", index), this); }

  /** {@code x[idx]} with an integer tensor on dim 0. */
  public T index(T idx) { return Dispatch.call1(ShapeOps.INDEX, Map.of(), this, idx); }

  public T indexSelect(int dim, T idx) { return Dispatch.call1(ShapeOps.INDEX_SELECT, attrs("dim", dim), this, idx); }

  /** Splits into {@code chunks} pieces along {@code dim} (the dim must be static). */
  public List<T> chunk(int chunks, int dim) { return Dispatch.call(ShapeOps.CHUNK, attrs("chunks", chunks, "dim", dim), this); }

  public static T cat(List<T> xs, int dim) { return Dispatch.call1(ShapeOps.CAT, attrs("dim", dim), xs.toArray()); }

  public static T stack(List<T> xs, int dim) { return Dispatch.call1(ShapeOps.STACK, attrs("dim", dim), xs.toArray()); }

  // ---- reductions; no dims means every dim

  private T reduce(OpDef op, boolean keepdim, long... dims) { return Dispatch.call1(op, attrs("dims", dims, "keepdim", keepdim), this); }

  public T mean(long... dims) { return reduce(ReduceOps.MEAN, false, dims); }
  public T mean(boolean keepdim, long... dims) { return reduce(ReduceOps.MEAN, keepdim, dims); }
  public T sum(long... dims) { return reduce(ReduceOps.SUM, false, dims); }
  public T sum(boolean keepdim, long... dims) { return reduce(ReduceOps.SUM, keepdim, dims); }
  public T amax(long... dims) { return reduce(ReduceOps.AMAX, false, dims); }

  public T argmax(int dim) { return Dispatch.call1(ReduceOps.ARGMAX, attrs("dim", dim, "keepdim", false), this); }

  /** {@code f32[2,3]}, or with the graph type while tracing: {@code f32[2,3] as f32[N,3]}. */
  public String describe() {
    String s = TraceSession.concrete(tensor).text();
    return value != null && !value.type().text().equals(s) ? s + " as " + value.type().text() : s;
  }

  @Override public String toString() { return "T(" + describe() + ")"; }
}
