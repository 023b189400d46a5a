package dev.kiln.codegen.jvm;

import static org.objectweb.asm.Opcodes.*;

import dev.kiln.ir.kernel.KBuffer;
import dev.kiln.ir.kernel.Kernel;
import dev.kiln.ir.kernel.KernelProgram;
import dev.kiln.ir.kernel.Stmt;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;

/**
 * Convolutions whose weight never changes after construction (a named weight, or one re-laid out once by an init
 * kernel) get the weight's GEMM operand packed once in the constructor ({@code Conv2d.prepack}) into a final field,
 * and the run-time call passes it, so no run repacks the weight. Results are bit-identical to packing per call,
 * except that a channels-last conv of one group then runs the implicit GEMM ({@code ConvNhwc}): equal up to rounding.
 */
final class PackedWeights {
  static final String DESC = "[Ldev/kiln/runtime/kernels/PackedMatrix;";
  static final String PARAMS = "dev/kiln/runtime/kernels/ConvParams";

  private final KernelProgram p;
  private final String cls;
  /** Conv statement (by identity: its record holds an array) to the name of its packed-weight field. */
  private final Map<Stmt.Conv, String> fields = new IdentityHashMap<>();

  PackedWeights(KernelProgram p, String cls) {
    this.p = p;
    this.cls = cls;
    for (Kernel k : p.kernels()) collect(k.body());
  }

  private void collect(List<Stmt> body) {
    for (Stmt s : body) {
      if (s instanceof Stmt.For f) collect(f.body());
      else if (s instanceof Stmt.Conv c) {
        KBuffer.Role role = p.storageOf(c.weight()).role();
        if (role == KBuffer.Role.WEIGHT || role == KBuffer.Role.CONST) fields.put(c, "pk" + fields.size());
      }
    }
  }

  /** The program whose class is being emitted. */
  KernelProgram program() { return p; }

  /** The packed-weight field of a conv statement, or null when its weight is packed per call. */
  String fieldOf(Stmt.Conv c) { return fields.get(c); }

  void declareFields(ClassWriter cw) {
    for (String f : fields.values()) cw.visitField(ACC_PRIVATE | ACC_FINAL, f, DESC, null, null).visitEnd();
  }

  /** Constructor code; call after the weight fields are set and the init kernels have run. */
  void packInConstructor(MethodVisitor mv, KernelEmitter util) {
    for (Map.Entry<Stmt.Conv, String> e : fields.entrySet()) {
      Stmt.Conv c = e.getKey();
      KBuffer w = p.storageOf(c.weight());
      mv.visitVarInsn(ALOAD, 0);
      mv.visitTypeInsn(NEW, PARAMS);
      mv.visitInsn(DUP);
      for (int v : c.params()) util.pushInt(v);
      mv.visitMethodInsn(INVOKESPECIAL, PARAMS, "<init>", "(" + "I".repeat(16) + ")V", false);
      mv.visitVarInsn(ALOAD, 0);
      mv.visitFieldInsn(GETFIELD, cls, ModelClassEmitter.field(w.name()), ModelClassEmitter.arrayDesc(w.type()));
      mv.visitInsn(c.nhwc() ? ICONST_1 : ICONST_0);
      mv.visitMethodInsn(INVOKESTATIC, "dev/kiln/runtime/kernels/Conv2d", "prepack", "(L" + PARAMS + ";[FZ)" + DESC, false);
      mv.visitFieldInsn(PUTFIELD, cls, e.getValue(), DESC);
    }
  }
}
