package dev.kiln.codegen.llvm.backend;

import static org.bytedeco.llvm.global.LLVM.*;

import dev.kiln.codegen.llvm.IrBuilder;
import dev.kiln.codegen.llvm.LlvmModule;
import dev.kiln.ir.kernel.Expr;
import dev.kiln.ir.kernel.KType;
import java.util.function.Function;
import org.bytedeco.llvm.LLVM.LLVMBuilderRef;
import org.bytedeco.llvm.LLVM.LLVMTypeRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * Kernel IR expressions to LLVM values with the JVM backend's semantics (the reference the tests compare with):
 * {@code int} is kept as i64 (index arithmetic with nsw, so loops are analysable and addresses need no extension;
 * casts to int truncate to 32 bits first), {@code bool} is i1 in registers and i8 in buffers, float max/min are
 * {@code llvm.maximum/minimum} (NaN-propagating, -0 < +0, like Math.max), comparisons are ordered except {@code ne},
 * float-to-integer casts saturate ({@code llvm.fptosi.sat}) like Java's. {@code exp} and {@code tanh} are inline
 * polynomials ({@link VectorMath}, so their loops vectorize) within 1e-6 relative of the JVM's {@code Math.exp} /
 * {@code Math.tanh} rounded to float, with the same NaN, infinity, overflow and underflow results, but not always
 * the same last bits; {@code log}, {@code sqrt} and {@code pow} are LLVM intrinsics (libm).
 */
final class ScalarEmitter {
  private final LlvmModule m;
  private final IrBuilder ib;
  private final LLVMBuilderRef b;
  /** Resolves variables: loop counters and immutable locals directly, mutable locals by loading their slot. */
  private final Function<Expr.Var, LLVMValueRef> vars;
  /** Address of element {@code index} of a buffer. */
  private final AddressOf address;
  private final VectorMath math;

  interface AddressOf {
    LLVMValueRef of(String buffer, KType type, LLVMValueRef index);
  }

  /** Marks a load or store of a buffer (alias-scope metadata, {@link AliasScopes}); null: untagged. */
  interface Tag {
    void tag(LLVMValueRef inst, String buffer);
  }

  Tag tag;

  ScalarEmitter(IrBuilder ib, Function<Expr.Var, LLVMValueRef> vars, AddressOf address) {
    this.m = ib.module();
    this.ib = ib;
    this.b = ib.raw();
    this.vars = vars;
    this.address = address;
    this.math = new VectorMath(ib);
  }

  /** The register type of a Kernel IR scalar type. */
  LLVMTypeRef type(KType t) {
    return switch (t) {
      case F32 -> m.f32();
      case I64, INT -> m.i64();
      case BOOL -> m.i1();
      default -> throw new Unsupported("no scalar type for " + t);
    };
  }

  /** The in-memory element type of a buffer of {@code t}. */
  LLVMTypeRef memType(KType t) { return t == KType.BOOL ? LLVMInt8TypeInContext(m.context()) : type(t); }

  static int align(KType t) { return t == KType.F32 ? 4 : t == KType.BOOL ? 1 : 8; }

  LLVMValueRef load(String buffer, KType t, LLVMValueRef index) {
    LLVMValueRef v = ib.load(memType(t), address.of(buffer, t, index), align(t));
    if (tag != null) tag.tag(v, buffer);
    return t == KType.BOOL ? LLVMBuildICmp(b, LLVMIntNE, v, LLVMConstInt(memType(t), 0, 0), "") : v;
  }

  void store(String buffer, KType t, LLVMValueRef index, LLVMValueRef value) {
    LLVMValueRef v = t == KType.BOOL ? LLVMBuildZExt(b, value, memType(t), "") : value;
    LLVMValueRef st = LLVMBuildStore(b, v, address.of(buffer, t, index));
    LLVMSetAlignment(st, align(t));
    if (tag != null) tag.tag(st, buffer);
  }

  LLVMValueRef expr(Expr e) {
    return switch (e) {
      case Expr.Const c -> constant(c);
      case Expr.Var v -> vars.apply(v);
      case Expr.Load l -> load(l.buffer(), l.type(), expr(l.index()));
      case Expr.Unary u -> unary(u);
      case Expr.Binary x -> binary(x);
      case Expr.Select s -> LLVMBuildSelect(b, expr(s.cond()), expr(s.a()), expr(Expr.cast(s.a().type(), s.b())), "");
      case Expr.Cast c -> cast(expr(c.a()), c.a().type(), c.type());
    };
  }

  LLVMValueRef constant(Expr.Const c) {
    return switch (c.type()) {
      case F32 -> LLVMConstReal(m.f32(), (float) c.value());
      case BOOL -> LLVMConstInt(m.i1(), c.value() != 0 ? 1 : 0, 0);
      case I64, INT -> LLVMConstInt(m.i64(), (long) c.value(), 1);
      default -> throw new Unsupported("constant of type " + c.type());
    };
  }

  private LLVMValueRef unary(Expr.Unary u) {
    KType t = u.a().type();
    LLVMValueRef a = expr(u.a());
    if (u.op() == Expr.UOp.NOT) return LLVMBuildXor(b, a, LLVMConstInt(m.i1(), 1, 0), "");
    if (t == KType.F32) {
      return switch (u.op()) {
        case NEG -> LLVMBuildFNeg(b, a, "");
        case ABS -> intrinsic("llvm.fabs.f32", a);
        case FLOOR -> intrinsic("llvm.floor.f32", a);
        case EXP -> math.exp(a);
        case LOG -> intrinsic("llvm.log.f32", a);
        case SQRT -> intrinsic("llvm.sqrt.f32", a);
        case TANH -> math.tanh(a);
        default -> throw new Unsupported(u.op().text() + " of f32");
      };
    }
    return switch (u.op()) {
      case NEG -> t == KType.INT ? LLVMBuildNSWNeg(b, a, "") : LLVMBuildNeg(b, a, "");
      case ABS -> call("llvm.abs.i64", m.i64(), new LLVMTypeRef[] {m.i64(), m.i1()}, a, LLVMConstInt(m.i1(), 0, 0));
      case FLOOR -> a;
      default -> throw new Unsupported(u.op().text() + " of " + t);
    };
  }

  private LLVMValueRef binary(Expr.Binary x) {
    KType t = x.a().type();
    LLVMValueRef a = expr(x.a()), c = expr(x.b());
    if (x.op().isCompare()) return compare(x.op(), t, a, c);
    if (t == KType.F32) {
      return switch (x.op()) {
        case ADD -> LLVMBuildFAdd(b, a, c, "");
        case SUB -> LLVMBuildFSub(b, a, c, "");
        case MUL -> LLVMBuildFMul(b, a, c, "");
        case DIV -> LLVMBuildFDiv(b, a, c, "");
        case REM -> LLVMBuildFRem(b, a, c, "");
        case MAX -> intrinsic2("llvm.maximum.f32", a, c);
        case MIN -> intrinsic2("llvm.minimum.f32", a, c);
        case POW -> intrinsic2("llvm.pow.f32", a, c);
        default -> throw new Unsupported(x.op().text() + " of f32");
      };
    }
    if (t == KType.BOOL) {
      return switch (x.op()) {
        case AND, MIN, MUL -> LLVMBuildAnd(b, a, c, "");
        case OR, MAX -> LLVMBuildOr(b, a, c, "");
        default -> throw new Unsupported(x.op().text() + " of bool");
      };
    }
    boolean idx = t == KType.INT;
    return switch (x.op()) {
      case ADD -> idx ? LLVMBuildNSWAdd(b, a, c, "") : LLVMBuildAdd(b, a, c, "");
      case SUB -> idx ? LLVMBuildNSWSub(b, a, c, "") : LLVMBuildSub(b, a, c, "");
      case MUL -> idx ? LLVMBuildNSWMul(b, a, c, "") : LLVMBuildMul(b, a, c, "");
      case DIV -> nonZero(x.b()) ? LLVMBuildSDiv(b, a, c, "") : unsupported("integer division by a non-constant");
      case REM -> nonZero(x.b()) ? LLVMBuildSRem(b, a, c, "") : unsupported("integer remainder by a non-constant");
      case MAX -> LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSGT, a, c, ""), a, c, "");
      case MIN -> LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSLT, a, c, ""), a, c, "");
      case AND -> LLVMBuildAnd(b, a, c, "");
      case OR -> LLVMBuildOr(b, a, c, "");
      default -> unsupported(x.op().text() + " of " + t);
    };
  }

  /** Division by zero throws on the JVM but is undefined in LLVM: only constant non-zero divisors are native. */
  private static boolean nonZero(Expr d) { return d instanceof Expr.Const c && c.value() != 0 && c.value() != -1; }

  private static LLVMValueRef unsupported(String what) { throw new Unsupported(what); }

  private LLVMValueRef compare(Expr.BOp op, KType t, LLVMValueRef a, LLVMValueRef c) {
    if (t == KType.F32) {
      int p = switch (op) {
        case LT -> LLVMRealOLT; case LE -> LLVMRealOLE; case GT -> LLVMRealOGT; case GE -> LLVMRealOGE;
        case EQ -> LLVMRealOEQ; default -> LLVMRealUNE;
      };
      return LLVMBuildFCmp(b, p, a, c, "");
    }
    boolean u = t == KType.BOOL; // i1 true is 1, so unsigned order matches false < true
    int p = switch (op) {
      case LT -> u ? LLVMIntULT : LLVMIntSLT; case LE -> u ? LLVMIntULE : LLVMIntSLE;
      case GT -> u ? LLVMIntUGT : LLVMIntSGT; case GE -> u ? LLVMIntUGE : LLVMIntSGE;
      case EQ -> LLVMIntEQ; default -> LLVMIntNE;
    };
    return LLVMBuildICmp(b, p, a, c, "");
  }

  LLVMValueRef cast(LLVMValueRef v, KType from, KType to) {
    if (from == to) return v;
    return switch (to) {
      case F32 -> from == KType.BOOL ? LLVMBuildUIToFP(b, v, m.f32(), "") : LLVMBuildSIToFP(b, v, m.f32(), "");
      case BOOL -> from == KType.F32 ? LLVMBuildFCmp(b, LLVMRealUNE, v, LLVMConstReal(m.f32(), 0), "")
          : LLVMBuildICmp(b, LLVMIntNE, v, LLVMConstInt(m.i64(), 0, 0), "");
      case I64 -> from == KType.F32 ? call("llvm.fptosi.sat.i64.f32", m.i64(), new LLVMTypeRef[] {m.f32()}, v)
          : from == KType.BOOL ? LLVMBuildZExt(b, v, m.i64(), "") : v;
      case INT -> {
        if (from == KType.BOOL) yield LLVMBuildZExt(b, v, m.i64(), "");
        LLVMValueRef i32 = from == KType.F32 ? call("llvm.fptosi.sat.i32.f32", m.i32(), new LLVMTypeRef[] {m.f32()}, v)
            : LLVMBuildTrunc(b, v, m.i32(), "");
        yield LLVMBuildSExt(b, i32, m.i64(), "");
      }
      default -> throw new Unsupported("cast to " + to);
    };
  }

  private LLVMValueRef intrinsic(String name, LLVMValueRef a) {
    return call(name, m.f32(), new LLVMTypeRef[] {m.f32()}, a);
  }

  private LLVMValueRef intrinsic2(String name, LLVMValueRef a, LLVMValueRef c) {
    return call(name, m.f32(), new LLVMTypeRef[] {m.f32(), m.f32()}, a, c);
  }

  private LLVMValueRef call(String name, LLVMTypeRef ret, LLVMTypeRef[] params, LLVMValueRef... args) {
    LLVMTypeRef ft = m.fnType(ret, params);
    return ib.call(m.declare(name, ft), ft, args);
  }
}
