package dev.kiln.frontend.torchscript.ops;

import dev.kiln.frontend.archive.PyTuple;
import dev.kiln.frontend.torchscript.LoweringContext;
import dev.kiln.frontend.torchscript.OpLowering;
import dev.kiln.ir.Attr;
import dev.kiln.ir.Builder;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.OpDef;
import dev.kiln.ir.PrimType;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Type;
import dev.kiln.ir.TypeError;
import dev.kiln.ir.Value;
import dev.kiln.ir.text.IrPrinter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A LoweringContext for tests: builds into a fresh graph, materializes known numbers as {@code const {value=...}}
 * (zero-dim i64/f64/bool tensors, or int/float/bool scalars), and calls lowerings by their archive name.
 */
final class TestContext implements LoweringContext {
  final Graph graph = new Graph("t");
  private final Builder b = Builder.atEnd(graph.body());
  private String current = "?";

  Value param(String name, Type type) { return graph.addParam(type, name); }

  Value weight(String name, DType d, long... shape) { return b.weight(name, Type.tensor(d, shape)); }

  /** Calls the lowering registered as {@code name} with positional arguments. */
  Object call(String name, Object... args) { return callKw(name, Map.of(), args); }

  Object callKw(String name, Map<String, Object> kwargs, Object... args) {
    OpLowering l = BuiltinTable.find(name);
    if (l == null) throw new AssertionError("no lowering for " + name);
    current = name;
    return l.lower(this, new ArrayList<>(Arrays.asList(args)), kwargs);
  }

  /** Ends the graph returning {@code values} and prints it. */
  String printReturning(Value... values) {
    b.ret(values);
    return IrPrinter.print(graph);
  }

  /** A node's op, attributes and result type, e.g. {@code prim.size {dim=0} : int}. */
  static String sig(Value v) {
    var n = v.definingNode();
    String attrs = n.attrs().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue().text())
        .collect(java.util.stream.Collectors.joining(", "));
    return n.op().name() + (attrs.isEmpty() ? "" : " {" + attrs + "}") + " : " + v.type().text();
  }

  static List<Object> list(Object... items) { return new ArrayList<>(Arrays.asList(items)); }

  @Override public Builder builder() { return b; }

  @Override public Value emit(OpDef op, Map<String, Attr> attrs, Value... operands) {
    return emitMulti(op, attrs, Arrays.asList(operands)).get(0);
  }

  @Override public List<Value> emitMulti(OpDef op, Map<String, Attr> attrs, List<Value> operands) {
    try {
      return b.create(op, operands, attrs).results();
    } catch (TypeError e) {
      throw fail(e.getMessage());
    }
  }

  @Override public Value tensor(Object arg, String what) {
    if (arg instanceof Value v && v.type() instanceof TensorType) return v;
    return switch (arg) {
      case Long l -> b.literal(Attr.of(l), Type.tensor(DType.I64));
      case Double d -> b.literal(Attr.of(d), Type.tensor(DType.F64));
      case Boolean z -> b.literal(Attr.of(z), Type.tensor(DType.BOOL));
      default -> throw fail(what + " must be a tensor, got " + Args.describe(arg));
    };
  }

  @Override public Value optionalTensor(Object arg, String what) { return arg == null ? null : tensor(arg, what); }

  @Override public TensorType typeOf(Value tensor) { return tensor.tensorType(); }

  @Override public long constInt(Object arg, String what) {
    return switch (arg) {
      case Long l -> l;
      case Boolean z -> z ? 1 : 0;
      default -> throw fail(what + " must be an int known while lowering, got " + Args.describe(arg));
    };
  }

  @Override public double constFloat(Object arg, String what) {
    return switch (arg) {
      case Double d -> d;
      case Long l -> l;
      default -> throw fail(what + " must be a float known while lowering, got " + Args.describe(arg));
    };
  }

  @Override public boolean constBool(Object arg, String what) {
    if (arg instanceof Boolean z) return z;
    throw fail(what + " must be a bool known while lowering, got " + Args.describe(arg));
  }

  @Override public long[] constInts(Object arg, String what) {
    if (arg instanceof Long l) return new long[] {l};
    List<?> items = arg instanceof PyTuple t ? t.items() : arg instanceof List<?> l ? l : null;
    if (items == null) throw fail(what + " must be a list of ints, got " + Args.describe(arg));
    long[] out = new long[items.size()];
    for (int i = 0; i < out.length; i++) out[i] = constInt(items.get(i), what + "[" + i + "]");
    return out;
  }

  @Override public boolean isConst(Object arg) {
    if (arg instanceof Value) return false;
    if (arg instanceof List<?> l) return l.stream().allMatch(this::isConst);
    if (arg instanceof PyTuple t) return t.items().stream().allMatch(this::isConst);
    return true;
  }

  @Override public Value scalar(Object arg, String what) {
    return switch (arg) {
      case Value v when v.type() instanceof PrimType -> v;
      case Long l -> b.literal(Attr.of(l), PrimType.INT);
      case Double d -> b.literal(Attr.of(d), PrimType.FLOAT);
      case Boolean z -> b.literal(Attr.of(z), PrimType.BOOL);
      default -> throw fail(what + " must be a number, got " + Args.describe(arg));
    };
  }

  /** Weights need an archive; the op lowerings tested here take none. */
  @Override public Value weight(dev.kiln.frontend.archive.StoredTensor tensor, String name) {
    throw fail("no weight table in this test context (asked for " + name + ")");
  }

  @Override public String modulePath(dev.kiln.frontend.archive.TorchObject module) { return null; }

  @Override public RuntimeException fail(String message) {
    return new IllegalArgumentException("model.py:1:1: " + current + ": " + message);
  }
}
