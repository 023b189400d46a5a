package dev.kiln.ir.kernel;

import java.util.List;
import java.util.Map;

/**
 * A whole model in Kernel IR: buffers, the kernels that run once when the model is made ({@code init}, filling
 * CONST buffers from weights), the kernels of one run in order, and the graph results. Made by the lowering in
 * {@code dev.kiln.passes.lower}; consumed by the backends. Immutable.
 *
 * @param buffers every buffer by name, in definition order
 * @param inputs the INPUT buffers, one per graph parameter in order
 * @param outputs the buffers holding the graph results in order (a buffer may appear twice)
 * @param references IR text of the graphs that {@link Stmt.CallReference} runs, by index
 */
public record KernelProgram(String name, Map<String, KBuffer> buffers, List<String> inputs, List<String> outputs,
    List<Kernel> init, List<Kernel> kernels, List<String> references) {
  public KernelProgram {
    buffers = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(buffers));
    inputs = List.copyOf(inputs);
    outputs = List.copyOf(outputs);
    init = List.copyOf(init);
    kernels = List.copyOf(kernels);
    references = List.copyOf(references);
  }

  public KBuffer buffer(String name) {
    KBuffer b = buffers.get(name);
    if (b == null) throw new IllegalArgumentException("no buffer %" + name + " in program @" + this.name);
    return b;
  }

  /** The buffer whose storage {@code name} uses: itself, or what its alias chain ends at. */
  public KBuffer storageOf(String name) {
    KBuffer b = buffer(name);
    while (b.role() == KBuffer.Role.ALIAS) b = buffer(b.source());
    return b;
  }
}
