package dev.kiln.frontend.torchscript;

import dev.kiln.frontend.archive.PyTuple;
import dev.kiln.frontend.archive.StoredTensor;
import dev.kiln.frontend.archive.TorchObject;
import dev.kiln.frontend.script.ScriptSyntaxException;
import dev.kiln.frontend.script.SourcePos;
import dev.kiln.ir.Attr;
import dev.kiln.ir.Builder;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.IrException;
import dev.kiln.ir.OpDef;
import dev.kiln.ir.PrimType;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Type;
import dev.kiln.ir.Value;
import dev.kiln.ir.ops.PrimOps;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The state of one import: the graph being built and its insertion point, the weights, the code, the frame being
 * lowered and the current source position. It is the {@link LoweringContext} op lowerings see. Statements,
 * expressions, calls and control flow are lowered by the helpers it holds; one instance serves one import and is
 * not thread-safe.
 */
final class Lowering implements LoweringContext {
  static final int MAX_INLINE_DEPTH = 64;

  final Graph graph;
  final WeightTable weights;
  final CodeIndex index;
  final Function<String, OpLowering> ops;
  /** The archive's module tree and constants; null for a standalone script. */
  final ModuleAttrs modules;
  final StmtLowering stmts = new StmtLowering(this);
  final ExprLowering exprs = new ExprLowering(this);
  final CallLowering calls = new CallLowering(this);
  final BranchLowering branches = new BranchLowering(this);
  final ScalarOps scalars = new ScalarOps(this);

  Builder builder;
  Frame frame;
  SourcePos pos;
  /** The op whose lowering is running (for {@link #fail}); null between calls. */
  String opName;
  int depth;

  Lowering(Graph graph, CodeIndex index, Function<String, OpLowering> ops, ModuleAttrs modules) {
    this.graph = graph;
    this.builder = Builder.atEnd(graph.body());
    this.weights = new WeightTable(Builder.atEnd(graph.body()));
    this.index = index;
    this.ops = ops;
    this.modules = modules;
  }

  /** True while nodes go into the graph body itself, not into the block of a run-time if or loop. */
  boolean atTopLevel() { return builder.block() == graph.body(); }

  // ---- errors

  /** An error at the current position naming the function being lowered. */
  ScriptLoweringException error(String message) { return error(message, null); }

  ScriptLoweringException error(String message, Throwable cause) {
    return new ScriptLoweringException(pos, message + (frame != null ? " (in " + frame.where + ")" : ""), cause);
  }

  /** IR errors (type errors from op rules) get the source position; errors that already have one pass through. */
  RuntimeException wrap(RuntimeException e) {
    if (e instanceof ScriptLoweringException || e instanceof ScriptSyntaxException) return e;
    if (e instanceof IrException) return error(e.getMessage(), e);
    return e;
  }

  @Override public Value weight(StoredTensor tensor, String name) { return weights.weight(tensor, name); }

  @Override public dev.kiln.runtime.Tensor weightData(Value v) {
    dev.kiln.ir.Node d = v.definingNode();
    return d != null && d.op() == dev.kiln.ir.ops.ControlOps.CONST && d.hasAttr("name") ? weights.weights().get(d.attrStr("name")) : null;
  }

  @Override public String modulePath(TorchObject module) { return modules == null ? null : modules.pathOf(module); }

  @Override public RuntimeException fail(String message) {
    return error((opName != null ? opName + ": " : "") + message);
  }

  // ---- emitting

  @Override public Builder builder() { return builder; }

  @Override public Value emit(OpDef op, Map<String, Attr> attrs, Value... operands) {
    try {
      return builder.create(op, Arrays.asList(operands), attrs).result();
    } catch (IrException e) {
      throw wrap(e);
    }
  }

  @Override public List<Value> emitMulti(OpDef op, Map<String, Attr> attrs, List<Value> operands) {
    try {
      return builder.create(op, operands, attrs).results();
    } catch (IrException e) {
      throw wrap(e);
    }
  }

  /** A literal constant of the given type at the insertion point. */
  Value literal(Attr value, Type type) { return builder.literal(value, type); }

  // ---- argument views

  @Override public Value tensor(Object arg, String what) {
    return switch (arg) {
      case Value v when v.type() instanceof TensorType -> v;
      case Value v when v.type() == PrimType.INT || v.type() == PrimType.FLOAT || v.type() == PrimType.BOOL ->
          emit(PrimOps.TO_TENSOR, Map.of(), v);
      case Long l -> literal(Attr.of(l), Type.tensor(DType.I64, Shape.SCALAR));
      case Double d -> literal(Attr.of(d), Type.tensor(DType.F32, Shape.SCALAR));
      case Boolean b -> literal(Attr.of(b), Type.tensor(DType.BOOL, Shape.SCALAR));
      case null, default -> throw fail(what + " must be a tensor, got " + Callables.describe(arg));
    };
  }

  @Override public Value optionalTensor(Object arg, String what) { return arg == null ? null : tensor(arg, what); }

  @Override public TensorType typeOf(Value tensor) {
    if (tensor.type() instanceof TensorType t) return t;
    throw fail("expected a tensor, got " + tensor.type().text());
  }

  @Override public long constInt(Object arg, String what) {
    return switch (arg) {
      case Long l -> l;
      case Boolean b -> b ? 1 : 0;
      case Value v -> throw fail(what + " must be known while lowering, got " + Callables.describe(v));
      case null, default -> throw fail(what + " must be an int, got " + Callables.describe(arg));
    };
  }

  @Override public double constFloat(Object arg, String what) {
    return switch (arg) {
      case Double d -> d;
      case Long l -> l;
      case Boolean b -> b ? 1 : 0;
      case null, default -> throw fail(what + " must be a float known while lowering, got " + Callables.describe(arg));
    };
  }

  @Override public boolean constBool(Object arg, String what) {
    return switch (arg) {
      case Boolean b -> b;
      case Long l -> l != 0;
      case null, default -> throw fail(what + " must be a bool known while lowering, got " + Callables.describe(arg));
    };
  }

  @Override public long[] constInts(Object arg, String what) {
    List<?> items = switch (arg) {
      case List<?> l -> l;
      case PyTuple t -> t.items();
      case Long l -> List.of(l);
      case null, default -> throw fail(what + " must be a list of ints known while lowering, got " + Callables.describe(arg));
    };
    long[] out = new long[items.size()];
    for (int i = 0; i < out.length; i++) out[i] = constInt(items.get(i), what + "[" + i + "]");
    return out;
  }

  @Override public boolean isConst(Object arg) {
    return switch (arg) {
      case Value _ -> false;
      case List<?> l -> l.stream().allMatch(this::isConst);
      case PyTuple t -> t.items().stream().allMatch(this::isConst);
      case null, default -> true;
    };
  }

  @Override public Value scalar(Object arg, String what) {
    return switch (arg) {
      case Value v when v.type() instanceof PrimType -> v;
      case Long l -> literal(Attr.of(l), PrimType.INT);
      case Double d -> literal(Attr.of(d), PrimType.FLOAT);
      case Boolean b -> literal(Attr.of(b), PrimType.BOOL);
      case String s -> literal(Attr.of(s), PrimType.STR);
      case null -> literal(new Attr.None(), PrimType.NONE);
      default -> throw fail(what + " must be a number, got " + Callables.describe(arg));
    };
  }

  /**
   * A value that can cross a block boundary (yield, loop-carried): IR values as they are, known numbers, bools and
   * strings as constants at the insertion point; null for anything else.
   */
  Value materialize(Object v) {
    return switch (v) {
      case Value val -> val;
      case Long _, Double _, Boolean _, String _ -> scalar(v, "value");
      case null, default -> null;
    };
  }
}
