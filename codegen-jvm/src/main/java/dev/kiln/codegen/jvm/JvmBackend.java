package dev.kiln.codegen.jvm;

import dev.kiln.ir.Graph;
import dev.kiln.ir.kernel.KernelProgram;
import dev.kiln.passes.lower.KernelLowering;
import dev.kiln.runtime.Tensor;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.util.CheckClassAdapter;

/**
 * The JVM backend: lowers an optimized graph to Kernel IR ({@link KernelLowering}) and emits one class per model
 * implementing {@code dev.kiln.runtime.exec.CompiledModel}. Loops need static shapes, so specialize symbolic dims
 * first (for example with the {@code specialize=N:1} pass): the class is compiled for one concrete input shape, and
 * values whose shapes stay symbolic run through reference calls. A batch-separable graph whose batch is not 1 is
 * compiled for batch 1 and run sample by sample ({@link BatchSplit}; off with {@code -Dkiln.jvm.batchSplit=false}).
 *
 * <p>Stateless and thread-safe.
 */
public final class JvmBackend {
  private JvmBackend() {}

  /**
   * @param optimized the graph after the optimization pipeline, not null; only read
   * @param weights the weight table its {@code const {name=...}} nodes name, not null (only checked for presence
   *     here; {@link JvmCompiled#instantiate} takes the tensors)
   * @param opts not null
   */
  public static JvmCompiled compile(Graph optimized, Map<String, Tensor> weights, JvmOptions opts) {
    BatchSplit.Plan split = BatchSplit.plan(optimized);
    if (split == null) return compile(KernelLowering.lower(optimized), weights, opts);
    String inner = BatchSplit.perSampleName(opts.className());
    JvmCompiled one = compile(KernelLowering.lower(split.perSample()), weights, new JvmOptions(inner, opts.verify()));
    byte[] entry = BatchSplit.entryClass(opts.className(), inner);
    if (opts.verify()) check(entry, new ClassLoader(JvmBackend.class.getClassLoader()) { // resolves the per-sample class
      @Override protected Class<?> findClass(String name) throws ClassNotFoundException {
        if (!name.equals(inner)) throw new ClassNotFoundException(name);
        byte[] b = one.classes().get(inner);
        return defineClass(name, b, 0, b.length);
      }
    });
    return new JvmCompiled(opts.className(), Map.of(opts.className(), entry, inner, one.classes().get(inner)),
        BatchSplit.batched(one.warmupInputs(), split.batch()));
  }

  /** Emits an already lowered program (for tests and tools that print the Kernel IR first). */
  public static JvmCompiled compile(KernelProgram program, Map<String, Tensor> weights, JvmOptions opts) {
    for (var b : program.buffers().values())
      if (b.role() == dev.kiln.ir.kernel.KBuffer.Role.WEIGHT && !weights.containsKey(b.source()))
        throw new IllegalArgumentException("graph @" + program.name() + " reads weight \"" + b.source() + "\", which is not in the weight table");
    byte[] bytes = ModelClassEmitter.emit(program, opts.className().replace('.', '/'));
    if (opts.verify()) check(bytes);
    return new JvmCompiled(opts.className(), Map.of(opts.className(), bytes), ModelWarmup.inputs(program));
  }

  /**
   * Runs ASM's CheckClassAdapter data-flow verification over a class.
   *
   * @throws IllegalStateException with the verifier's report when the class is malformed
   */
  public static void check(byte[] classFile) { check(classFile, JvmBackend.class.getClassLoader()); }

  /** As {@link #check(byte[])}, resolving the classes the class refers to in {@code loader}. */
  static void check(byte[] classFile, ClassLoader loader) {
    StringWriter out = new StringWriter();
    CheckClassAdapter.verify(new ClassReader(classFile), loader, false, new PrintWriter(out));
    if (!out.toString().isEmpty()) throw new IllegalStateException("generated class does not verify:\n" + out);
  }
}
