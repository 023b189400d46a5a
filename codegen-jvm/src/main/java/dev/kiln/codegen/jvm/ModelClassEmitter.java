package dev.kiln.codegen.jvm;

import static org.objectweb.asm.Opcodes.*;

import dev.kiln.ir.kernel.KBuffer;
import dev.kiln.ir.kernel.KType;
import dev.kiln.ir.kernel.Kernel;
import dev.kiln.ir.kernel.KernelProgram;
import dev.kiln.ir.kernel.Stmt;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;

/**
 * Emits the one class of a model: {@code final class X implements dev.kiln.runtime.exec.CompiledModel}. Fields hold
 * only what never changes after construction (weight arrays, re-laid-out weights, reference interpreters), so one
 * instance is thread-safe; {@code run} takes its f32 temps from a {@code TempArena} frame that no other run holds
 * ({@link TempSlots}: temps of disjoint lifetimes share a slot) and allocates the rest per call as locals. Each kernel is a private
 * method whose parameters are the distinct arrays it touches; reference calls are emitted inline in {@code run}.
 */
final class ModelClassEmitter {
  private static final String TENSOR = "dev/kiln/runtime/Tensor";
  private static final String MODEL = "dev/kiln/runtime/exec/CompiledModel";
  private static final String INTERP = "dev/kiln/runtime/interp/Interpreter";

  private final KernelProgram p;
  private final String cls;
  private final ClassWriter cw;
  private final PackedWeights packed;
  private final PackedGemms gemms;
  private final QuantCalls quant;
  private final TempSlots temps;

  private ModelClassEmitter(KernelProgram p, String internalName) {
    this.p = p;
    this.cls = internalName;
    this.packed = new PackedWeights(p, internalName);
    this.gemms = new PackedGemms(p, internalName);
    this.quant = new QuantCalls(p);
    this.temps = new TempSlots(p);
    // Frames need common supertypes only of our own array/object locals; never load classes to find them.
    this.cw = new ClassWriter(ClassWriter.COMPUTE_FRAMES | ClassWriter.COMPUTE_MAXS) {
      @Override protected String getCommonSuperClass(String a, String b) { return "java/lang/Object"; }
    };
  }

  /** @param internalName e.g. {@code dev/kiln/gen/Forward} */
  static byte[] emit(KernelProgram p, String internalName) {
    return new ModelClassEmitter(p, internalName).emit();
  }

  private byte[] emit() {
    cw.visit(V21, ACC_PUBLIC | ACC_FINAL | ACC_SUPER, cls, null, "java/lang/Object", new String[] {MODEL});
    for (KBuffer b : p.buffers().values())
      if (b.role() == KBuffer.Role.WEIGHT || b.role() == KBuffer.Role.CONST)
        cw.visitField(ACC_PRIVATE | ACC_FINAL, field(b.name()), arrayDesc(b.type()), null, null).visitEnd();
    packed.declareFields(cw);
    gemms.declareFields(cw);
    temps.declareField(cw);
    for (int i = 0; i < p.references().size(); i++)
      cw.visitField(ACC_PRIVATE | ACC_FINAL, "ref" + i, "L" + quant.owner(i) + ";", null, null).visitEnd();
    constructor();
    run();
    for (Kernel k : p.init()) kernelMethod(k);
    for (Kernel k : p.kernels()) if (!isReference(k)) kernelMethod(k);
    cw.visitEnd();
    return cw.toByteArray();
  }

  private static boolean isReference(Kernel k) { return k.body().size() == 1 && k.body().get(0) instanceof Stmt.CallReference; }

  private void constructor() {
    MethodVisitor mv = cw.visitMethod(ACC_PUBLIC, "<init>", "(Ljava/util/Map;)V", "(Ljava/util/Map<Ljava/lang/String;L" + TENSOR + ";>;)V", null);
    mv.visitCode();
    mv.visitVarInsn(ALOAD, 0);
    mv.visitMethodInsn(INVOKESPECIAL, "java/lang/Object", "<init>", "()V", false);
    KernelEmitter util = new KernelEmitter(mv, n -> -1, n -> null, 2);
    for (KBuffer b : p.buffers().values()) {
      if (b.role() == KBuffer.Role.WEIGHT) {
        mv.visitVarInsn(ALOAD, 0);
        mv.visitVarInsn(ALOAD, 1);
        mv.visitLdcInsn(b.source());
        mv.visitMethodInsn(INVOKEINTERFACE, "java/util/Map", "get", "(Ljava/lang/Object;)Ljava/lang/Object;", true);
        mv.visitLdcInsn("missing weight \"" + b.source() + "\"");
        mv.visitMethodInsn(INVOKESTATIC, "java/util/Objects", "requireNonNull", "(Ljava/lang/Object;Ljava/lang/String;)Ljava/lang/Object;", false);
        mv.visitTypeInsn(CHECKCAST, TENSOR);
        toArray(mv, b.type());
        mv.visitFieldInsn(PUTFIELD, cls, field(b.name()), arrayDesc(b.type()));
      } else if (b.role() == KBuffer.Role.CONST) {
        mv.visitVarInsn(ALOAD, 0);
        util.pushInt((int) b.numel());
        newArray(mv, b.type());
        mv.visitFieldInsn(PUTFIELD, cls, field(b.name()), arrayDesc(b.type()));
      }
    }
    for (int i = 0; i < p.references().size(); i++) {
      mv.visitVarInsn(ALOAD, 0);
      mv.visitTypeInsn(NEW, quant.owner(i));
      mv.visitInsn(DUP);
      pushLongString(mv, p.references().get(i));
      mv.visitLdcInsn(p.name() + " reference #" + i);
      mv.visitMethodInsn(INVOKESTATIC, "dev/kiln/ir/text/IrParser", "parse", "(Ljava/lang/String;Ljava/lang/String;)Ldev/kiln/ir/Graph;", false);
      mv.visitVarInsn(ALOAD, 1);
      mv.visitMethodInsn(INVOKESPECIAL, quant.owner(i), "<init>", "(Ldev/kiln/ir/Graph;Ljava/util/Map;)V", false);
      mv.visitFieldInsn(PUTFIELD, cls, "ref" + i, "L" + quant.owner(i) + ";");
    }
    for (Kernel k : p.init()) callKernel(mv, k, name -> {
      mv.visitVarInsn(ALOAD, 0);
      KBuffer s = p.storageOf(name);
      mv.visitFieldInsn(GETFIELD, cls, field(s.name()), arrayDesc(s.type()));
    });
    packed.packInConstructor(mv, util);
    gemms.packInConstructor(mv, util);
    temps.construct(mv, util, cls);
    mv.visitInsn(RETURN);
    mv.visitMaxs(0, 0);
    mv.visitEnd();
  }

  /** Strings over the class-file constant limit are split and joined at run time. */
  private static void pushLongString(MethodVisitor mv, String s) {
    int chunk = 16000;
    mv.visitLdcInsn(s.substring(0, Math.min(chunk, s.length())));
    for (int at = chunk; at < s.length(); at += chunk) {
      mv.visitLdcInsn(s.substring(at, Math.min(at + chunk, s.length())));
      mv.visitMethodInsn(INVOKEVIRTUAL, "java/lang/String", "concat", "(Ljava/lang/String;)Ljava/lang/String;", false);
    }
  }

  private void run() {
    MethodVisitor mv = cw.visitMethod(ACC_PUBLIC, "run", "(Ljava/util/List;)Ljava/util/List;", "(Ljava/util/List<Ljava/lang/Object;>;)Ljava/util/List<Ljava/lang/Object;>;", null);
    mv.visitCode();
    KernelEmitter util = new KernelEmitter(mv, n -> -1, n -> null, 2);
    Map<String, Integer> local = new HashMap<>();
    int next = 2, frame = -1;
    if (temps.any()) temps.take(mv, cls, frame = next++); // this run's frame of temps kept between runs
    for (KBuffer b : p.buffers().values()) {
      if (b.role() == KBuffer.Role.ALIAS) continue;
      int slot = next++;
      local.put(b.name(), slot);
      switch (b.role()) {
        case INPUT -> {
          mv.visitVarInsn(ALOAD, 1);
          util.pushInt(Integer.parseInt(b.source()));
          mv.visitMethodInsn(INVOKEINTERFACE, "java/util/List", "get", "(I)Ljava/lang/Object;", true);
          if (b.type() != KType.OBJ) {
            mv.visitTypeInsn(CHECKCAST, TENSOR);
            toArray(mv, b.type());
          }
        }
        case WEIGHT, CONST -> {
          mv.visitVarInsn(ALOAD, 0);
          mv.visitFieldInsn(GETFIELD, cls, field(b.name()), arrayDesc(b.type()));
        }
        default -> {
          if (b.type() == KType.OBJ) mv.visitInsn(ACONST_NULL);
          else if (temps.slot(b.name()) >= 0) temps.pushArray(mv, util, frame, b.name());
          else {
            util.pushInt((int) b.numel());
            newArray(mv, b.type());
          }
        }
      }
      mv.visitVarInsn(ASTORE, slot);
    }
    int scratch = next++;
    for (Kernel k : p.kernels()) {
      if (isReference(k)) reference(mv, util, (Stmt.CallReference) k.body().get(0), local, scratch);
      else callKernel(mv, k, name -> mv.visitVarInsn(ALOAD, local.get(p.storageOf(name).name())));
    }
    mv.visitTypeInsn(NEW, "java/util/ArrayList");
    mv.visitInsn(DUP);
    mv.visitMethodInsn(INVOKESPECIAL, "java/util/ArrayList", "<init>", "()V", false);
    for (String o : p.outputs()) {
      mv.visitInsn(DUP);
      wrap(mv, util, p.buffer(o), local.get(p.storageOf(o).name()));
      mv.visitMethodInsn(INVOKEINTERFACE, "java/util/List", "add", "(Ljava/lang/Object;)Z", true);
      mv.visitInsn(POP);
    }
    if (temps.any()) temps.give(mv, cls, frame);
    mv.visitInsn(ARETURN);
    mv.visitMaxs(0, 0);
    mv.visitEnd();
  }

  /** Runs reference interpreter {@code r.ref()}: arrays go in as tensors sharing them; results are copied into arrays. */
  private void reference(MethodVisitor mv, KernelEmitter util, Stmt.CallReference r, Map<String, Integer> local, int scratch) {
    mv.visitVarInsn(ALOAD, 0);
    mv.visitFieldInsn(GETFIELD, cls, "ref" + r.ref(), "L" + quant.owner(r.ref()) + ";");
    mv.visitTypeInsn(NEW, "java/util/ArrayList");
    mv.visitInsn(DUP);
    mv.visitMethodInsn(INVOKESPECIAL, "java/util/ArrayList", "<init>", "()V", false);
    for (String in : r.inputs()) {
      mv.visitInsn(DUP);
      wrap(mv, util, p.buffer(in), local.get(p.storageOf(in).name()));
      mv.visitMethodInsn(INVOKEINTERFACE, "java/util/List", "add", "(Ljava/lang/Object;)Z", true);
      mv.visitInsn(POP);
    }
    mv.visitMethodInsn(INVOKEVIRTUAL, quant.owner(r.ref()), "run", "(Ljava/util/List;)Ljava/util/List;", false);
    mv.visitVarInsn(ASTORE, scratch);
    for (int i = 0; i < r.outputs().size(); i++) {
      KBuffer b = p.buffer(r.outputs().get(i));
      int dst = local.get(p.storageOf(b.name()).name());
      mv.visitVarInsn(ALOAD, scratch);
      util.pushInt(i);
      mv.visitMethodInsn(INVOKEINTERFACE, "java/util/List", "get", "(I)Ljava/lang/Object;", true);
      if (b.type() == KType.OBJ) {
        mv.visitVarInsn(ASTORE, dst);
        continue;
      }
      mv.visitTypeInsn(CHECKCAST, TENSOR);
      toArray(mv, b.type());
      mv.visitInsn(ICONST_0);
      mv.visitVarInsn(ALOAD, dst);
      mv.visitInsn(ICONST_0);
      util.pushInt((int) b.numel());
      mv.visitMethodInsn(INVOKESTATIC, "java/lang/System", "arraycopy", "(Ljava/lang/Object;ILjava/lang/Object;II)V", false);
    }
  }

  /** Pushes buffer {@code b} (array in {@code slot}) as a run-time value: a Tensor sharing the array, or the object. */
  private static void wrap(MethodVisitor mv, KernelEmitter util, KBuffer b, int slot) {
    if (b.type() == KType.OBJ) {
      mv.visitVarInsn(ALOAD, slot);
      return;
    }
    mv.visitFieldInsn(GETSTATIC, "dev/kiln/ir/DType", b.type().dtype().name(), "Ldev/kiln/ir/DType;");
    mv.visitVarInsn(ALOAD, slot);
    mv.visitMethodInsn(INVOKESTATIC, "java/lang/foreign/MemorySegment", "ofArray", "(" + arrayDesc(b.type()) + ")Ljava/lang/foreign/MemorySegment;", true);
    long[] shape = b.shape();
    util.pushInt(shape.length);
    mv.visitIntInsn(NEWARRAY, T_LONG);
    for (int i = 0; i < shape.length; i++) {
      mv.visitInsn(DUP);
      util.pushInt(i);
      mv.visitLdcInsn(shape[i]);
      mv.visitInsn(LASTORE);
    }
    mv.visitMethodInsn(INVOKESTATIC, TENSOR, "of", "(Ldev/kiln/ir/DType;Ljava/lang/foreign/MemorySegment;[J)L" + TENSOR + ";", false);
  }

  /** Converts the Tensor on the stack into a fresh array of the buffer type (row-major, values converted). */
  private static void toArray(MethodVisitor mv, KType t) {
    switch (t) {
      case F32 -> mv.visitMethodInsn(INVOKEVIRTUAL, TENSOR, "toFloatArray", "()[F", false);
      case I64 -> mv.visitMethodInsn(INVOKEVIRTUAL, TENSOR, "toLongArray", "()[J", false);
      case BOOL -> {
        mv.visitMethodInsn(INVOKEVIRTUAL, TENSOR, "segment", "()Ljava/lang/foreign/MemorySegment;", false);
        mv.visitFieldInsn(GETSTATIC, "java/lang/foreign/ValueLayout", "JAVA_BYTE", "Ljava/lang/foreign/ValueLayout$OfByte;");
        mv.visitMethodInsn(INVOKEINTERFACE, "java/lang/foreign/MemorySegment", "toArray", "(Ljava/lang/foreign/ValueLayout$OfByte;)[B", true);
      }
      default -> throw new IllegalStateException("no array for " + t);
    }
  }

  private static void newArray(MethodVisitor mv, KType t) {
    mv.visitIntInsn(NEWARRAY, switch (t) { case F32 -> T_FLOAT; case I64 -> T_LONG; default -> T_BYTE; });
  }

  /** The distinct storages of a kernel's parameters, in order: its method's parameter list. */
  private List<KBuffer> storages(Kernel k) {
    LinkedHashSet<String> names = new LinkedHashSet<>();
    for (String n : k.params()) names.add(p.storageOf(n).name());
    List<KBuffer> out = new ArrayList<>();
    for (String n : names) out.add(p.buffer(n));
    return out;
  }

  private String methodDesc(Kernel k) {
    StringBuilder sb = new StringBuilder("(");
    for (KBuffer b : storages(k)) sb.append(arrayDesc(b.type()));
    return sb.append(")V").toString();
  }

  private void callKernel(MethodVisitor mv, Kernel k, java.util.function.Consumer<String> pushArray) {
    mv.visitVarInsn(ALOAD, 0);
    for (KBuffer b : storages(k)) pushArray.accept(b.name());
    mv.visitMethodInsn(INVOKEVIRTUAL, cls, k.name(), methodDesc(k), false);
  }

  private void kernelMethod(Kernel k) {
    MethodVisitor mv = cw.visitMethod(ACC_PRIVATE | ACC_FINAL, k.name(), methodDesc(k), null, null);
    mv.visitCode();
    Map<String, Integer> slot = new HashMap<>();
    int s = 1;
    for (KBuffer b : storages(k)) slot.put(b.name(), s++);
    KernelEmitter e = new KernelEmitter(mv, n -> slot.get(p.storageOf(n).name()), n -> p.buffer(n).type(), s);
    e.packedWeights(cls, packed);
    e.vectorizeLoops(cw, cls, k.name());
    e.packedGemms(gemms);
    e.stmts(k.body());
    mv.visitInsn(RETURN);
    mv.visitMaxs(0, 0);
    mv.visitEnd();
  }

  static String field(String buffer) { return "b_" + buffer; }

  static String arrayDesc(KType t) {
    return switch (t) {
      case F32 -> "[F";
      case I64 -> "[J";
      case BOOL -> "[B";
      default -> "Ljava/lang/Object;";
    };
  }
}
