package dev.kiln.codegen.jvm;

import dev.kiln.ir.DType;
import dev.kiln.ir.kernel.KBuffer;
import dev.kiln.ir.kernel.KType;
import dev.kiln.ir.kernel.KernelProgram;
import dev.kiln.runtime.exec.CompiledModel;
import dev.kiln.runtime.exec.FirstCallWarmup;
import java.util.ArrayList;
import java.util.List;

/**
 * The warm-up {@link JvmCompiled#instantiate} gives a freshly built model, so that its first real call does not pay
 * for the JIT: this class finds the program's input shapes; {@link FirstCallWarmup} runs the model on made-up inputs
 * of those shapes until its code is compiled and its speed has settled (a fixed 3-20 runs left small models
 * interpreted: their first call measured 100-3000x the median), within 2 s of the instantiating thread's CPU time
 * (8 s of wall-clock time at most). The inputs come in several kinds of list, on the heap and in native memory, so
 * the caller's own kind does not deoptimize the compiled code at the first real call.
 * {@code -Dkiln.jvm.warmup=false} turns it off; {@code -Dkiln.jvm.warmup.log=true} prints what it did.
 */
public final class ModelWarmup {
  private ModelWarmup() {}

  /** Shapes and types of the program's inputs in parameter order, or null when one is not a tensor. */
  static List<Input> inputs(KernelProgram p) {
    List<Input> in = new ArrayList<>();
    for (KBuffer b : p.buffers().values()) {
      if (b.role() != KBuffer.Role.INPUT) continue;
      if (b.type() == KType.OBJ) return null;
      int i = Integer.parseInt(b.source());
      while (in.size() <= i) in.add(null);
      in.set(i, new Input(b.type().dtype(), b.shape().clone()));
    }
    return in.contains(null) ? null : List.copyOf(in);
  }

  /** One input of a compiled model: dtype and (physical) shape. */
  public record Input(DType dtype, long[] shape) {}

  /** Warms {@code model} up on {@link FirstCallWarmup#sample} inputs (no-op when off or inputs is null). Returns the runs made. */
  static int run(CompiledModel model, List<Input> inputs) {
    if (!FirstCallWarmup.ON || inputs == null) return 0;
    List<Object> sample = new ArrayList<>();
    for (Input i : inputs) sample.add(FirstCallWarmup.sample(i.dtype(), i.shape()));
    return FirstCallWarmup.run(model, sample);
  }
}
