package dev.kiln.codegen.jvm;

import static org.objectweb.asm.Opcodes.*;

import dev.kiln.ir.Dim;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.passes.analysis.BatchSeparable;
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
   * The split plan for {@code g}, or null when it is off, the graph is not separable, its batch is 1, or (unless
   * the property says {@code always}) one sample's activations take fewer bytes than the weights: each sample
   * reads every weight again, which costs more than it saves when the weights are the larger traffic (resnet18 at
   * batch 8: 47 MB of weights, 12 MB of activations per sample, measured 1.20 unsplit against 1.24 split; an MLP).
   */
  static Plan plan(Graph g) {
    String mode = System.getProperty(PROPERTY, "true").strip().toLowerCase(java.util.Locale.ROOT);
    if (mode.equals("false")) return null;
    BatchSeparable.Result r = BatchSeparable.analyze(g);
    if (!r.separable() || r.batch().is(1) || r.batch().is(0)) return null;
    if (!mode.equals("always") && activationBytesPerSample(g, r) < weightBytes(g)) return null;
    try {
      return new Plan(PerSampleGraph.of(g), r.batch());
    } catch (IllegalArgumentException e) {
      return null; // shape rules disagree at batch 1: compile the batched graph as it is
    }
  }

  /** Bytes of one sample's share of the parameters and top-level batched results (what a run writes and reads). */
  static long activationBytesPerSample(Graph g, BatchSeparable.Result r) {
    long bytes = 0;
    for (Value v : g.params()) bytes += perSampleBytes(v);
    for (Node n : g.body().nodes())
      for (Value v : n.results()) if (r.batched().contains(v)) bytes += perSampleBytes(v);
    return bytes;
  }

  /** Bytes of the named weights the graph reads ({@code const {name=...}} of static shape). */
  static long weightBytes(Graph g) {
    long bytes = 0;
    for (Node n : g.allNodes())
      if (n.op().name().equals("const") && !n.attrIsNone("name") && n.result().type() instanceof TensorType t && t.shape().isStatic())
        bytes += t.shape().numel() * t.dtype().byteSize();
    return bytes;
  }

  private static long perSampleBytes(Value v) {
    TensorType t = (TensorType) v.type();
    long n = t.dtype().byteSize();
    for (int i = 1; i < t.rank(); i++) n *= Math.max(1, t.shape().dim(i).size());
    return n;
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
