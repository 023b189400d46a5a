package dev.kiln.runtime.nativelib;

import dev.kiln.ir.kernel.Expr;
import dev.kiln.ir.kernel.KBuffer;
import dev.kiln.ir.kernel.KType;
import dev.kiln.ir.kernel.Kernel;
import dev.kiln.ir.kernel.KernelProgram;
import dev.kiln.ir.kernel.Stmt;
import dev.kiln.runtime.kernels.Conv2d;
import dev.kiln.runtime.kernels.ConvParams;
import dev.kiln.runtime.kernels.Gemm;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The JVM fallback for a kernel the LLVM backend's emitter does not generate (used by {@link NativeExecutor}, JIT and
 * AOT alike): walks its Kernel IR over the native buffers
 * (same semantics as the JVM backend: f32 arithmetic rounded per operation, int as 32-bit, float-to-int casts
 * saturating) and runs GEMM and convolution calls through {@code dev.kiln.runtime.kernels} on heap copies. Slow
 * but exact; the LLVM backend's report names every kernel that takes this path.
 */
public final class JavaKernelRunner {
  private final KernelProgram p;
  private final Kernel k;

  /** @param p the program whose buffers the kernel names (its kernel lists are not read) */
  public JavaKernelRunner(KernelProgram p, Kernel k) {
    this.p = p;
    this.k = k;
  }

  public Kernel kernel() { return k; }

  /** Runs the kernel; {@code storage} maps a storage buffer name to its native segment. */
  public void run(Function<String, MemorySegment> storage) {
    new Frame(storage).stmts(k.body());
  }

  private final class Frame {
    final Function<String, MemorySegment> storage;
    final Map<String, Double> vars = new HashMap<>();

    Frame(Function<String, MemorySegment> storage) { this.storage = storage; }

    MemorySegment seg(String buffer) { return storage.apply(p.storageOf(buffer).name()); }

    void stmts(List<Stmt> body) { for (Stmt s : body) stmt(s); }

    void stmt(Stmt s) {
      switch (s) {
        case Stmt.For f -> {
          for (int i = 0; i < f.extent(); i++) {
            vars.put(f.var(), (double) i);
            stmts(f.body());
          }
        }
        case Stmt.Let l -> vars.put(l.name(), eval(l.value()));
        case Stmt.Assign a -> vars.put(a.name(), eval(a.value()));
        case Stmt.Store st -> {
          KType t = p.buffer(st.buffer()).type();
          long i = (long) eval(st.index());
          double v = eval(Expr.cast(t, st.value()));
          MemorySegment m = seg(st.buffer());
          switch (t) {
            case F32 -> m.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) v);
            case I64 -> m.setAtIndex(ValueLayout.JAVA_LONG, i, (long) v);
            default -> m.set(ValueLayout.JAVA_BYTE, i, (byte) (v != 0 ? 1 : 0));
          }
        }
        case Stmt.Gemm g -> {
          float[] a = floats(g.a()), b = floats(g.b()), c = floats(g.c());
          Gemm.sgemm(g.transA(), g.transB(), g.m(), g.n(), g.k(), g.alpha(), a, (int) eval(g.offA()), g.lda(), b,
              (int) eval(g.offB()), g.ldb(), g.beta(), c, (int) eval(g.offC()), g.ldc());
          MemorySegment.copy(c, 0, seg(g.c()), ValueLayout.JAVA_FLOAT, 0, c.length);
        }
        case Stmt.Conv c -> {
          int[] q = c.params();
          ConvParams cp = new ConvParams(q[0], q[1], q[2], q[3], q[4], q[5], q[6], q[7], q[8], q[9], q[10], q[11], q[12], q[13], q[14], q[15]);
          float[] y = floats(c.y()), bias = c.bias() == null ? null : floats(c.bias());
          if (c.nhwc()) Conv2d.runNhwc(cp, floats(c.x()), 0, floats(c.weight()), bias, y, 0);
          else Conv2d.run(cp, floats(c.x()), 0, floats(c.weight()), bias, y, 0);
          MemorySegment.copy(y, 0, seg(c.y()), ValueLayout.JAVA_FLOAT, 0, y.length);
        }
        case Stmt.CallReference r -> throw new IllegalStateException("reference calls run as their own step");
      }
    }

    float[] floats(String buffer) {
      KBuffer b = p.storageOf(buffer);
      return seg(buffer).asSlice(0, b.numel() * 4).toArray(ValueLayout.JAVA_FLOAT);
    }

    double eval(Expr e) {
      return switch (e) {
        case Expr.Const c -> c.value();
        case Expr.Var v -> vars.get(v.name());
        case Expr.Load l -> {
          long i = (long) eval(l.index());
          MemorySegment m = seg(l.buffer());
          yield switch (l.type()) {
            case F32 -> m.getAtIndex(ValueLayout.JAVA_FLOAT, i);
            case I64 -> m.getAtIndex(ValueLayout.JAVA_LONG, i);
            default -> m.get(ValueLayout.JAVA_BYTE, i) != 0 ? 1 : 0;
          };
        }
        case Expr.Unary u -> round(u.type(), unary(u.op(), eval(u.a())));
        case Expr.Binary b -> round(b.type(), binary(b.op(), b.a().type(), eval(b.a()), eval(b.b())));
        case Expr.Select s -> eval(s.cond()) != 0 ? eval(s.a()) : eval(Expr.cast(s.a().type(), s.b()));
        case Expr.Cast c -> cast(eval(c.a()), c.a().type(), c.type());
      };
    }
  }

  private static double round(KType t, double v) {
    return switch (t) {
      case F32 -> (float) v;
      case INT -> (int) (long) v;
      case I64 -> (long) v;
      default -> v;
    };
  }

  private static double unary(Expr.UOp op, double a) {
    return switch (op) {
      case NEG -> -a;
      case ABS -> Math.abs(a);
      case EXP -> Math.exp(a);
      case LOG -> Math.log(a);
      case SQRT -> Math.sqrt(a);
      case TANH -> Math.tanh(a);
      case FLOOR -> Math.floor(a);
      case NOT -> a != 0 ? 0 : 1;
    };
  }

  private static double binary(Expr.BOp op, KType t, double a, double b) {
    boolean fl = t == KType.F32;
    return switch (op) {
      case ADD -> a + b;
      case SUB -> a - b;
      case MUL -> a * b;
      case DIV -> fl ? (float) a / (float) b : (double) ((long) a / (long) b);
      case REM -> fl ? (float) a % (float) b : (double) ((long) a % (long) b);
      case MAX -> fl ? Math.max((float) a, (float) b) : Math.max(a, b);
      case MIN -> fl ? Math.min((float) a, (float) b) : Math.min(a, b);
      case POW -> Math.pow(a, b);
      case LT -> a < b ? 1 : 0;
      case LE -> a <= b ? 1 : 0;
      case GT -> a > b ? 1 : 0;
      case GE -> a >= b ? 1 : 0;
      case EQ -> a == b ? 1 : 0;
      case NE -> a != b ? 1 : 0;
      case AND -> a != 0 && b != 0 ? 1 : 0;
      case OR -> a != 0 || b != 0 ? 1 : 0;
    };
  }

  private static double cast(double v, KType from, KType to) {
    return switch (to) {
      case F32 -> (float) v;
      case INT -> from == KType.F32 ? (int) (float) v : (int) (long) v;
      case I64 -> from == KType.F32 ? (long) (float) v : (long) v;
      case BOOL -> v != 0 ? 1 : 0;
      default -> v;
    };
  }
}
