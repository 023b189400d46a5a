package dev.kiln.codegen.jvm;

import static org.objectweb.asm.Opcodes.*;

import dev.kiln.ir.kernel.Expr;
import dev.kiln.ir.kernel.KBuffer;
import dev.kiln.ir.kernel.Kernel;
import dev.kiln.ir.kernel.KernelProgram;
import dev.kiln.ir.kernel.Stmt;
import dev.kiln.runtime.kernels.Gemm;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;

/**
 * GEMM calls whose B operand never changes after construction (a linear layer's weight, or its transpose laid out
 * by an init kernel) and whose shape takes the packed path ({@link Gemm#packsB}): B is packed once in the
 * constructor ({@code Gemm.prepackB}) into a final field and the call becomes {@code Gemm.sgemmPackedB}, so no run
 * repacks the weight. Results are bit-identical to packing per call. Products small enough to read B in place
 * (a few rows) are left alone: they never pack.
 */
final class PackedGemms {
  static final String DESC = "Ldev/kiln/runtime/kernels/PackedMatrix;";

  private final KernelProgram p;
  private final String cls;
  private final Map<Stmt.Gemm, String> fields = new IdentityHashMap<>();

  PackedGemms(KernelProgram p, String cls) {
    this.p = p;
    this.cls = cls;
    for (Kernel k : p.kernels()) collect(k.body());
  }

  private void collect(List<Stmt> body) {
    for (Stmt s : body) {
      if (s instanceof Stmt.For f) collect(f.body());
      else if (s instanceof Stmt.Gemm g && g.offB() instanceof Expr.Const && Gemm.packsB(g.m(), g.n(), g.k()) && g.alpha() != 0f) {
        KBuffer.Role role = p.storageOf(g.b()).role();
        if (role == KBuffer.Role.WEIGHT || role == KBuffer.Role.CONST) fields.put(g, "pg" + fields.size());
      }
    }
  }

  /** The packed-B field of a GEMM statement, or null when B is packed per call (or never). */
  String fieldOf(Stmt.Gemm g) { return fields.get(g); }

  void declareFields(ClassWriter cw) {
    for (String f : fields.values()) cw.visitField(ACC_PRIVATE | ACC_FINAL, f, DESC, null, null).visitEnd();
  }

  /** Constructor code; call after the weight fields are set and the init kernels have run. */
  void packInConstructor(MethodVisitor mv, KernelEmitter util) {
    for (Map.Entry<Stmt.Gemm, String> e : fields.entrySet()) {
      Stmt.Gemm g = e.getKey();
      KBuffer w = p.storageOf(g.b());
      mv.visitVarInsn(ALOAD, 0);
      mv.visitInsn(g.transB() ? ICONST_1 : ICONST_0);
      util.pushInt(g.k());
      util.pushInt(g.n());
      mv.visitVarInsn(ALOAD, 0);
      mv.visitFieldInsn(GETFIELD, cls, ModelClassEmitter.field(w.name()), ModelClassEmitter.arrayDesc(w.type()));
      util.pushInt((int) ((Expr.Const) g.offB()).value());
      util.pushInt(g.ldb());
      mv.visitMethodInsn(INVOKESTATIC, "dev/kiln/runtime/kernels/Gemm", "prepackB", "(ZII[FII)" + DESC, false);
      mv.visitFieldInsn(PUTFIELD, cls, e.getValue(), DESC);
    }
  }

  /** {@code Gemm.sgemmPackedB(transA, m, alpha, a, offA, lda, packed B, beta, c, offC, ldc)} for statement g. */
  void emitCall(MethodVisitor mv, KernelEmitter k, Stmt.Gemm g, String field, java.util.function.Function<String, Integer> arraySlot) {
    k.pushInt(g.transA() ? 1 : 0);
    k.pushInt(g.m());
    mv.visitLdcInsn(g.alpha());
    mv.visitVarInsn(ALOAD, arraySlot.apply(g.a()));
    k.expr(g.offA());
    k.pushInt(g.lda());
    mv.visitVarInsn(ALOAD, 0);
    mv.visitFieldInsn(GETFIELD, cls, field, DESC);
    mv.visitLdcInsn(g.beta());
    mv.visitVarInsn(ALOAD, arraySlot.apply(g.c()));
    k.expr(g.offC());
    k.pushInt(g.ldc());
    mv.visitMethodInsn(INVOKESTATIC, "dev/kiln/runtime/kernels/Gemm", "sgemmPackedB", "(ZIF[FII" + DESC + "F[FII)V", false);
  }
}
