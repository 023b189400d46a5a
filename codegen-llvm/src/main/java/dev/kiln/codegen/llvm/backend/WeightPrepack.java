package dev.kiln.codegen.llvm.backend;

import static dev.kiln.ir.kernel.Expr.add;
import static dev.kiln.ir.kernel.Expr.i32;
import static dev.kiln.ir.kernel.Expr.mul;

import dev.kiln.codegen.llvm.gemm.PackedGemmEmitter;
import dev.kiln.ir.kernel.Expr;
import dev.kiln.ir.kernel.Expr.BOp;
import dev.kiln.ir.kernel.KBuffer;
import dev.kiln.ir.kernel.KType;
import dev.kiln.ir.kernel.Kernel;
import dev.kiln.ir.kernel.KernelProgram;
import dev.kiln.ir.kernel.Stmt;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Packs GEMM weights once, at init, into the panel layout of {@link PackedGemmEmitter}, so run kernels no longer
 * repack B on every call. A B operand qualifies when its storage is a WEIGHT or CONST (never written by a run
 * kernel) and it is one dense K x N matrix at offset 0, or a stack of them indexed by a loop variable
 * ({@code offB = v * K*N}, Winograd's per-position U, N a multiple of NR so packed and plain strides agree):
 * <ul>
 *   <li>a {@link Stmt.Gemm} that would use the packing GEMM (transposed, or more than
 *       {@code SmallGemmEmitter.MAX_ROWS} rows; the small GEMM reads B in place and gains nothing);
 *   <li>a channels-last, one-group, non-depthwise {@link Stmt.Conv}: its GEMM multiplies by W^T (K = kh·kw·cin,
 *       N = oc), whichever expansion it gets.
 * </ul>
 * The statement is rewritten to read the packed buffer {@code <b>_pk<nr>} (role CONST) as a transposed B with
 * {@code ldb = K} (so a column offset {@code j0 · ldb} is the packed offset of column {@code j0}), and an init kernel
 * {@code prepack_<b>...} (plain Kernel IR loops, appended after the other init kernels) fills it, zero-padding the
 * last panel. {@link #packed} names the packed buffers, which the emitter multiplies with
 * {@code kiln_gemm_packedB_*}; a rewritten run kernel that the emitter cannot handle must run as {@link #original}
 * (the JVM runner knows nothing of panels). Results are bit-identical to the per-call packing.
 *
 * <p>Off with {@code -Dkiln.llvm.prepack=false} (for measuring and for the bit-identity tests).
 */
final class WeightPrepack {
  private final KernelProgram in;
  private final int nr;
  private final Map<String, KBuffer> buffers;
  private final List<Kernel> init;
  private final Map<String, String> packedByKey = new LinkedHashMap<>();
  private final Map<Kernel, Kernel> originals = new IdentityHashMap<>();
  private KernelProgram out;

  private WeightPrepack(KernelProgram in, int nr) {
    this.in = in;
    this.nr = nr;
    this.buffers = new LinkedHashMap<>(in.buffers());
    this.init = new ArrayList<>(in.init());
  }

  /** Whether prepacking is on ({@code kiln.llvm.prepack}, default true). */
  static boolean enabled() { return !"false".equals(System.getProperty("kiln.llvm.prepack")); }

  /** Rewrites {@code p} for micro-tiles {@code nr} columns wide. */
  static WeightPrepack apply(KernelProgram p, int nr) {
    WeightPrepack w = new WeightPrepack(p, nr);
    List<Kernel> run = new ArrayList<>();
    for (Kernel k : p.kernels()) {
      Set<String> used = new LinkedHashSet<>();
      List<Stmt> body = w.stmts(k.body(), null, used);
      if (used.isEmpty()) {
        run.add(k);
        continue;
      }
      List<String> params = new ArrayList<>(k.params());
      for (String u : used) if (!params.contains(u)) params.add(u);
      Kernel rewritten = new Kernel(k.name(), params, body, k.origin());
      w.originals.put(rewritten, k);
      run.add(rewritten);
    }
    w.out = new KernelProgram(p.name(), w.buffers, p.inputs(), p.outputs(), w.init, run, p.references());
    return w;
  }

  /** Leaves {@code p} as it is (prepacking off). */
  static WeightPrepack none(KernelProgram p) {
    WeightPrepack w = new WeightPrepack(p, 1);
    w.out = p;
    return w;
  }

  KernelProgram program() { return out; }

  /** The packed buffers (B operands laid out for {@code kiln_gemm_packedB_*}). */
  Set<String> packed() { return Set.copyOf(packedByKey.values()); }

  /** The kernel as lowered, for a rewritten kernel that must run on the JVM. */
  Kernel original(Kernel k) { return originals.getOrDefault(k, k); }

  private List<Stmt> stmts(List<Stmt> body, Stmt.For loop, Set<String> used) {
    List<Stmt> res = new ArrayList<>(body.size());
    for (Stmt s : body) res.add(stmt(s, loop, used));
    return res;
  }

  private Stmt stmt(Stmt s, Stmt.For loop, Set<String> used) {
    return switch (s) {
      case Stmt.For f -> new Stmt.For(f.var(), f.extent(), stmts(f.body(), f, used));
      case Stmt.Gemm g -> gemm(g, loop, used);
      case Stmt.Conv c -> conv(c, used);
      default -> s;
    };
  }

  private Stmt gemm(Stmt.Gemm g, Stmt.For loop, Set<String> used) {
    boolean small = !g.transA() && !g.transB() && g.m() <= dev.kiln.codegen.llvm.gemm.SmallGemmEmitter.MAX_ROWS;
    int k = g.k(), n = g.n();
    if (small || k <= 0 || n <= 0 || !constant(g.b()) || g.ldb() != (g.transB() ? k : n)) return g;
    long len = count(g.b()), matrix = (long) k * n;
    int stack;
    if (g.offB() instanceof Expr.Const c && c.value() == 0) stack = 1;
    else if (loop != null && n % nr == 0 && stride(g.offB(), loop.var()) == matrix && len >= (long) loop.extent() * matrix) stack = loop.extent();
    else return g;
    String pk = pack(g.b(), g.transB(), k, n, stack);
    used.add(pk);
    return new Stmt.Gemm(g.transA(), true, g.m(), n, k, g.alpha(), g.a(), g.offA(), g.lda(), pk, g.offB(), k, g.beta(),
        g.c(), g.offC(), g.ldc());
  }

  private Stmt conv(Stmt.Conv c, Set<String> used) {
    int[] q = c.params();
    boolean depthwise = q[13] == q[1] && q[4] == q[1];
    if (!c.nhwc() || q[13] != 1 || depthwise || !constant(c.weight())) return c;
    int k = q[1] * q[5] * q[6], n = q[4];
    String pk = pack(c.weight(), true, k, n, 1);
    used.add(pk);
    return new Stmt.Conv(q, true, c.x(), pk, c.bias(), c.y());
  }

  /** Whether the buffer is filled before the run and never written by it. */
  private boolean constant(String b) {
    KBuffer.Role r = in.storageOf(b).role();
    return in.buffer(b).type() == KType.F32 && (r == KBuffer.Role.WEIGHT || r == KBuffer.Role.CONST);
  }

  private long count(String b) {
    long n = 1;
    for (long d : in.buffer(b).shape()) n *= d;
    return n;
  }

  /** s when {@code e} is {@code v * s} or {@code s * v}, else -1. */
  private static long stride(Expr e, String v) {
    if (e instanceof Expr.Binary x && x.op() == BOp.MUL) {
      if (x.a() instanceof Expr.Var a && a.name().equals(v) && x.b() instanceof Expr.Const c) return (long) c.value();
      if (x.b() instanceof Expr.Var a && a.name().equals(v) && x.a() instanceof Expr.Const c) return (long) c.value();
    }
    return -1;
  }

  /** The packed buffer for (b, form, K, N, stack), adding it and its init kernel the first time. */
  private String pack(String b, boolean transB, int k, int n, int stack) {
    String key = b + "/" + transB + "/" + k + "/" + n + "/" + stack;
    String have = packedByKey.get(key);
    if (have != null) return have;
    String name = b + "_pk" + nr;
    for (int i = 2; buffers.containsKey(name); i++) name = b + "_pk" + nr + "_" + i;
    long per = PackedGemmEmitter.packedFloats(k, n, nr);
    buffers.put(name, new KBuffer(name, KType.F32, new long[] {stack * per}, KBuffer.Role.CONST, null));
    init.add(new Kernel("prepack_" + name, List.of(b, name), packLoops(b, name, transB, k, n, stack, per),
        "prepack of %" + b + " (" + (transB ? "W^T" : "W") + ", K=" + k + ", N=" + n + (stack > 1 ? ", " + stack + " matrices" : "") + ") for kiln_gemm_packedB"));
    packedByKey.put(key, name);
    return name;
  }

  /** dst[s][panel][k][jj] = B_s(k, panel·NR + jj), 0 past column N. */
  private List<Stmt> packLoops(String src, String dst, boolean transB, int k, int n, int stack, long per) {
    String tag = "pk";
    Expr s = v(tag + "s"), jp = v(tag + "j"), kk = v(tag + "k"), jj = v(tag + "c");
    Expr col = add(mul(jp, i32(nr)), jj);
    Expr clamped = Expr.bin(BOp.MIN, col, i32(n - 1));
    Expr from = add(mul(s, i32((long) k * n)), transB ? add(mul(clamped, i32(k)), kk) : add(mul(kk, i32(n)), clamped));
    Expr value = new Expr.Select(Expr.bin(BOp.LT, col, i32(n)), new Expr.Load(src, KType.F32, from), Expr.f32(0));
    Expr to = add(add(mul(s, i32(per)), mul(jp, i32((long) nr * k))), add(mul(kk, i32(nr)), jj));
    Stmt store = new Stmt.Store(dst, to, value);
    int panels = (n + nr - 1) / nr;
    Stmt nest = new Stmt.For(tag + "j", panels, List.of(new Stmt.For(tag + "k", k, List.of(new Stmt.For(tag + "c", nr, List.of(store))))));
    return List.of(new Stmt.For(tag + "s", stack, List.of(nest)));
  }

  private static Expr v(String name) { return new Expr.Var(name, KType.INT); }
}
