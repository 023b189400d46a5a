package dev.kiln.codegen.jvm;

import static org.objectweb.asm.Opcodes.*;

import dev.kiln.ir.Dim;
import dev.kiln.ir.Graph;
import dev.kiln.passes.analysis.BatchSeparable;
import dev.kiln.passes.analysis.BatchSplitRule;
import dev.kiln.passes.analysis.PerSampleGraph;
import java.util.ArrayList;
import java.util.List;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;

/**
 * The JVM backend's batch split: a batch-separable graph ({@link BatchSeparable}) with a batch other than 1 is
 * compiled for batch 1 ({@link PerSampleGraph}) into a per-sample class, and the entry class is a small generated
 * subclass of {@code dev.kiln.runtime.exec.BatchSplitModel} that runs the samples one after another through it. At
 * batch 8 mobilenet_v2's early activations are 38 MB each, so the batched model's layers run at memory bandwidth;
 * one sample's fit in cache. {@code -Dkiln.jvm.batchSplit=false} turns it off, {@code =always} drops the cost
 * rule of {@link #plan} (read at each compile).
 */
final class BatchSplit {
  private BatchSplit() {}

  static final String PROPERTY = "kiln.jvm.batchSplit";
  private static final String BASE = "dev/kiln/runtime/exec/BatchSplitModel";
  private static final String MODEL = "dev/kiln/runtime/exec/CompiledModel";

  /** The plan for a split model: the batch-1 graph and the batch the parameters have (static or symbolic). */
  record Plan(Graph perSample, Dim batch) {}

  /**
   * The split plan for {@code g}, or null: the cost rule and its conditions are {@link BatchSplitRule#plan} (shared
   * with the LLVM backend; resnet18 at batch 8 measured 1.20 unsplit against 1.24 split here).
   */
  static Plan plan(Graph g) {
    BatchSplitRule.Split s = BatchSplitRule.plan(g, BatchSplitRule.Mode.parse(System.getProperty(PROPERTY, "true")));
    return s == null ? null : new Plan(s.perSample(), s.batch());
  }

  /** The class name of the per-sample model of entry class {@code entry}. */
  static String perSampleName(String entry) { return entry + "_PerSample"; }

  /**
   * The per-sample model's warm-up inputs with the batch put back in dim 0, so warm-up runs the entry class on the
   * signature's shapes (a symbolic batch keeps 1). Null stays null.
   */
  static List<ModelWarmup.Input> batched(List<ModelWarmup.Input> perSample, Dim batch) {
    if (perSample == null) return null;
    List<ModelWarmup.Input> out = new ArrayList<>();
    for (ModelWarmup.Input in : perSample) {
      long[] s = in.shape().clone();
      if (batch.isStatic()) s[0] = batch.size();
      out.add(new ModelWarmup.Input(in.dtype(), s));
    }
    return List.copyOf(out);
  }

  /**
   * {@code public final class entry extends BatchSplitModel} whose constructor takes the weights map and passes
   * {@code new perSample(weights)} to the superclass.
   *
   * @param entry binary name of the entry class
   * @param perSample binary name of the per-sample class
   */
  static byte[] entryClass(String entry, String perSample) {
    String cls = entry.replace('.', '/'), inner = perSample.replace('.', '/');
    ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_FRAMES | ClassWriter.COMPUTE_MAXS) {
      @Override protected String getCommonSuperClass(String a, String b) { return "java/lang/Object"; }
    };
    cw.visit(V21, ACC_PUBLIC | ACC_FINAL | ACC_SUPER, cls, null, BASE, null);
    MethodVisitor mv = cw.visitMethod(ACC_PUBLIC, "<init>", "(Ljava/util/Map;)V",
        "(Ljava/util/Map<Ljava/lang/String;Ldev/kiln/runtime/Tensor;>;)V", null);
    mv.visitCode();
    mv.visitVarInsn(ALOAD, 0);
    mv.visitTypeInsn(NEW, inner);
    mv.visitInsn(DUP);
    mv.visitVarInsn(ALOAD, 1);
    mv.visitMethodInsn(INVOKESPECIAL, inner, "<init>", "(Ljava/util/Map;)V", false);
    mv.visitMethodInsn(INVOKESPECIAL, BASE, "<init>", "(L" + MODEL + ";)V", false);
    mv.visitInsn(RETURN);
    mv.visitMaxs(0, 0);
    mv.visitEnd();
    cw.visitEnd();
    return cw.toByteArray();
  }
}
